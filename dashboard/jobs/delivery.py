"""Deliver each owner's digest in the tools they use: an e-mail over SMTP (plain text and
HTML) and a post to a chat webhook (Slack Block Kit or a Microsoft Teams Adaptive Card).

A send that fails is retried with backoff, then logged as failed; it never stops the refresh.
Each (owner, role, day, channel) is delivered once: a second run the same day sends only what
failed or was not sent before. Everything sent is masked (``jobs/messages.py``)."""

from __future__ import annotations

import datetime as dt
import json
import re
import smtplib
import ssl
import time
import tomllib
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, getaddresses, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import polars as pl

from dashboard.jobs.digests import Digest
from dashboard.jobs.messages import DigestMessage, digest_message, slack_payload, teams_payload
from dashboard.store import AppStore
from dashboard.store.delivery_log import record_delivery, sent_keys

SMTP_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TEAMS_HOSTS = ("logic.azure.com", "webhook.office.com", "powerplatform.com", "powerautomate.com")

# one bare address: a conservative local part (no %, ! or quotes: no source routing, no
# comments) and a domain of at least two labels
_LOCAL = r"[A-Za-z0-9_+'&=~-]+(?:\.[A-Za-z0-9_+'&=~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_ONE = "the e-mail address on file"


class Refused(ValueError):
    """A send refused before anything is connected to: a bad address or a URL Tandem will not
    use. Logged as a failure with its reason, never retried."""


def recipient(cell: object) -> str:
    """The one address in an owner's e-mail cell, or ``Refused`` saying what is wrong with it
    (never the cell itself). Only a bare address is sent to: no list, no display name, no
    comment, no line break."""
    text = "" if cell is None else str(cell).strip(" ")
    if _CONTROL.search(text):
        raise Refused(f"{_NOT_ONE} holds a line break or a control character")
    if "," in text or ";" in text:
        raise Refused(f"{_NOT_ONE} holds more than one address (a comma or a semicolon)")
    if any(c in text for c in '<>"()[]:\\'):
        raise Refused(
            f"{_NOT_ONE} holds a display name, brackets, quotes or a comment: only a bare "
            "address is sent to"
        )
    if any(c.isspace() for c in text):
        raise Refused(f"{_NOT_ONE} holds a space")
    if not text.isascii():
        raise Refused(f"{_NOT_ONE} holds non-ASCII characters, which Tandem does not send to")
    too_long = len(text) > 254 or len(text.rpartition("@")[0]) > 64
    if not ADDRESS.fullmatch(text) or too_long or getaddresses([text]) != [("", text)]:
        raise Refused(f"{_NOT_ONE} is not a valid address (name@domain.tld)")
    return text


def _header_text(text: str) -> str:
    """A header value on one line: line breaks and control characters become spaces."""
    return _CONTROL.sub(" ", text)


@dataclass(frozen=True)
class DeliverySettings:
    """Where digests go. From ``TANDEM_*`` variables, else ``[tandem.delivery]`` in
    ``.streamlit/secrets.toml``."""

    smtp_url: str | None = None  # smtp://host:25, smtp+starttls://host:587, smtps://host:465
    smtp_from: str = "Tandem <tandem@localhost>"
    smtp_user: str | None = None
    smtp_password: str | None = None
    webhook_url: str | None = (
        None  # Slack incoming webhook or Teams workflow (teams+https:// forces)
    )
    base_url: str | None = None  # the app's address, for links to each account
    attempts: int = 3
    backoff_seconds: float = 1.0  # doubled after each failed attempt
    timeout_seconds: float = 10.0

    @property
    def channels(self) -> list[str]:
        return [c for c, url in (("email", self.smtp_url), ("chat", self.webhook_url)) if url]


def delivery_settings(env: dict[str, str], secrets_files: list[Path]) -> DeliverySettings:
    """The settings from the environment, falling back to the first secrets file that has
    a ``[tandem.delivery]`` table."""
    found: dict[str, object] = {}
    for path in secrets_files:
        if path.is_file():
            found = (
                tomllib.loads(path.read_text(encoding="utf-8"))
                .get("tandem", {})
                .get("delivery", {})
            )
            if found:
                break
    names = {"smtp_url": "SMTP_URL", "smtp_from": "SMTP_FROM", "smtp_user": "SMTP_USER",
             "smtp_password": "SMTP_PASSWORD", "webhook_url": "WEBHOOK_URL", "base_url": "BASE_URL",
             "attempts": "DELIVERY_ATTEMPTS", "backoff_seconds": "DELIVERY_BACKOFF_SECONDS"}  # fmt: skip
    values: dict[str, object] = {}
    for key, var in names.items():
        value = env.get(f"TANDEM_{var}", found.get(key))
        if value not in (None, ""):
            values[key] = value
    if "attempts" in values:
        values["attempts"] = max(1, int(values["attempts"]))
    if "backoff_seconds" in values:
        values["backoff_seconds"] = float(values["backoff_seconds"])
    return DeliverySettings(**values)


@dataclass
class DeliverySummary:
    sent: int = 0
    already_sent: int = 0
    skipped: int = 0  # nowhere to send (no e-mail address on file)
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def webhook_kind(url: str) -> str:
    """ "teams" for a Teams workflow URL (or ``teams+https://``), else "slack"."""
    scheme = urlsplit(url).scheme
    if scheme.startswith("teams+"):
        return "teams"
    if scheme.startswith("slack+"):
        return "slack"
    host = (urlsplit(url).hostname or "").lower()
    return "teams" if host.endswith(TEAMS_HOSTS) else "slack"


def _plain_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[-1]}://{rest}"


def _masked_target(url: str) -> str:
    """The target as the log shows it: scheme, host and port, never a token or a password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def email(
    message: DigestMessage, to: str, settings: DeliverySettings, day: dt.date
) -> EmailMessage:
    """The digest as an e-mail with a plain-text and an HTML part (the standard library's
    ``email``, never a hand-built MIME string)."""
    mail = EmailMessage()
    mail["Subject"] = _header_text(message.subject)
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Message-ID"] = make_msgid(domain="tandem.local")
    mail["X-Tandem-Digest"] = day.isoformat()
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def send_email(mail: EmailMessage, to: str, settings: DeliverySettings) -> None:
    """Send over SMTP to ``to`` alone (the envelope never comes from the headers): plain (a
    relay on the same host), STARTTLS or implicit TLS; login with the URL's user and password,
    or the settings'."""
    url = urlsplit(settings.smtp_url or "")
    if url.scheme not in SMTP_SCHEMES:
        raise ValueError(
            f"TANDEM_SMTP_URL must start with {', '.join(s + '://' for s in SMTP_SCHEMES)}"
        )
    host, port = url.hostname or "localhost", url.port or SMTP_SCHEMES[url.scheme]
    user = unquote(url.username) if url.username else settings.smtp_user
    password = unquote(url.password) if url.password else settings.smtp_password
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=settings.timeout_seconds,
                                               context=ssl.create_default_context())  # fmt: skip
    else:
        client = smtplib.SMTP(host, port, timeout=settings.timeout_seconds)
    with client:
        if url.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if user:
            client.login(user, password or "")
        client.send_message(mail, to_addrs=[to])


def post_webhook(payload: dict, settings: DeliverySettings) -> None:
    """POST the JSON; any answer but 2xx is a failure."""
    request = urllib.request.Request(
        _plain_url(settings.webhook_url or ""), data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as answer:  # noqa: S310
        if not 200 <= answer.status < 300:
            raise OSError(f"the webhook answered {answer.status}")


def _with_retries(send: Callable[[], None], settings: DeliverySettings, sleep: Callable[[float], None]) -> tuple[int, str | None]:  # fmt: skip
    """Try up to ``attempts`` times, waiting ``backoff`` (doubling) between; (attempts, error)."""
    error = None
    for attempt in range(1, settings.attempts + 1):
        try:
            send()
            return attempt, None
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            if attempt < settings.attempts:
                sleep(settings.backoff_seconds * 2 ** (attempt - 1))
    return settings.attempts, error


def _one_recipient(cells: list[object]) -> str:
    """The owner's one valid address; two different ones on file are refused (which one is
    the person's is not for the delivery to guess)."""
    addresses = {recipient(cell) for cell in cells}
    if len(addresses) > 1:
        raise Refused("the owner has two different e-mail addresses on file")
    return addresses.pop()


def deliver_digests(
    app: AppStore, digests: list[Digest], owners: pl.DataFrame, settings: DeliverySettings,
    now: Callable[[], dt.datetime], sleep: Callable[[float], None] = time.sleep,
) -> DeliverySummary:  # fmt: skip
    """Send every digest on every configured channel, once per owner, role, day and channel;
    log each outcome. Never raises for a failed send."""
    summary = DeliverySummary()
    emails: dict[str, list[object]] = {}
    for owner, cell in owners.select("owner", "email").iter_rows() if owners.height else []:
        if cell is not None and str(cell).strip():
            emails.setdefault(owner, []).append(cell)
    for day in sorted({d.day for d in digests}):
        done = sent_keys(app, day)
        for digest in (d for d in digests if d.day == day):
            message = digest_message(digest, settings.base_url)
            for channel in settings.channels:
                if (digest.owner, digest.role, channel) in done:
                    summary.already_sent += 1
                    continue
                if channel == "email":
                    cells = emails.get(digest.owner, [])
                    target = _masked_target(settings.smtp_url or "")
                    if not cells:
                        record_delivery(app, day=day, owner=digest.owner, role=digest.role,
                                        channel=channel, target=target, status="skipped",
                                        attempts=0, error="no e-mail address on file", at=now())  # fmt: skip
                        summary.skipped += 1
                        continue
                    try:
                        to = _one_recipient(cells)
                    except Refused as exc:
                        attempts, error = 0, f"not sent: {exc}"
                    else:
                        header = formataddr((_header_text(digest.owner), to))
                        attempts, error = _with_retries(
                            lambda m=message, h=header, t=to, d=day: send_email(
                                email(m, h, settings, d), t, settings
                            ),
                            settings,
                            sleep,
                        )
                else:
                    target = _masked_target(settings.webhook_url or "")
                    kind = webhook_kind(settings.webhook_url or "")
                    payload = teams_payload(message) if kind == "teams" else slack_payload(message)
                    channel_name = f"chat ({kind})"
                    attempts, error = _with_retries(lambda p=payload: post_webhook(p, settings), settings, sleep)  # fmt: skip
                    target = f"{channel_name} {target}"
                status = "failed" if error else "sent"
                record_delivery(app, day=day, owner=digest.owner, role=digest.role, channel=channel,
                                target=target, status=status, attempts=attempts, error=error, at=now())  # fmt: skip
                if error:
                    summary.failed += 1
                    summary.errors.append(f"{digest.owner} ({digest.role}, {channel}): {error}")
                else:
                    summary.sent += 1
    return summary
