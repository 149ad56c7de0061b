"""Deliver each owner's digest in the tools they use: an e-mail over SMTP (plain text and
HTML) and a post to a chat webhook (Slack Block Kit or a Microsoft Teams Adaptive Card).

A send that fails is retried with backoff, then logged as failed; it never stops the refresh.
Each (owner, role, day, channel) is delivered once: a second run the same day sends only what
failed or was not sent before. Everything sent is masked (``jobs/messages.py``)."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import re
import smtplib
import ssl
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, getaddresses, make_msgid
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

import polars as pl

from dashboard.jobs.digests import Digest
from dashboard.jobs.messages import DigestMessage, digest_message, slack_payload, teams_payload
from dashboard.store import AppStore
from dashboard.store.delivery_log import record_delivery, sent_keys

SMTP_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
MAX_TIMEOUT = 60.0  # seconds: the most one send may take, whatever the settings say
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
    problems: tuple[str, ...] = ()  # settings that could not be read (their default is used)

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
    names = {
        "smtp_url": "SMTP_URL",
        "smtp_from": "SMTP_FROM",
        "smtp_user": "SMTP_USER",
        "smtp_password": "SMTP_PASSWORD",
        "webhook_url": "WEBHOOK_URL",
        "base_url": "BASE_URL",
        "attempts": "DELIVERY_ATTEMPTS",
        "backoff_seconds": "DELIVERY_BACKOFF_SECONDS",
        "timeout_seconds": "DELIVERY_TIMEOUT_SECONDS",
    }
    values: dict[str, object] = {}
    for key, var in names.items():
        value = env.get(f"TANDEM_{var}", found.get(key))
        if value not in (None, ""):
            values[key] = value
    problems: list[str] = []
    # bounded: a send never holds the job longer than a minute, nor retries without end
    for key, kind, low, high in (
        ("attempts", int, 1, 10),
        ("backoff_seconds", float, 0.0, 60.0),
        ("timeout_seconds", float, 0.1, MAX_TIMEOUT),
    ):
        if key not in values:
            continue
        try:
            number = kind(values[key])
        except (TypeError, ValueError):
            number = None
        if number is None or number != number:  # unreadable, or NaN
            problems.append(f"TANDEM_{names[key]} is not a number: the default is used")
            del values[key]
        else:
            values[key] = min(high, max(low, number))
    return DeliverySettings(**values, problems=tuple(problems))


@dataclass
class DeliverySummary:
    sent: int = 0
    already_sent: int = 0
    skipped: int = 0  # nowhere to send (no e-mail address on file)
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # an unclosed [ in the host
        return None


def webhook_kind(url: str) -> str:
    """ "teams" for a Teams workflow URL (or ``teams+https://``), else "slack"."""
    parts = _split(url)
    scheme = parts.scheme if parts else ""
    if scheme.startswith("teams+"):
        return "teams"
    if scheme.startswith("slack+"):
        return "slack"
    host = ((parts.hostname if parts else None) or "").lower()
    return "teams" if host.endswith(TEAMS_HOSTS) else "slack"


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return None
    return port or None


def _masked_target(url: str, with_port: bool = False) -> str:
    """The target as the log shows it: the scheme and the host (and the port, for a mail
    server), never a path, a query, a token, a user or a password."""
    parts = _split(url)
    if parts is None:
        return "(an unreadable URL)"
    port = _port(parts) if with_port else None
    return f"{parts.scheme}://{parts.hostname or ''}{f':{port}' if port else ''}"


def is_loopback(host: str | None) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1: this machine."""
    if not host:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_url(url: str, what: str) -> SplitResult:
    """The URL split, or ``Refused`` naming what is wrong (never the URL itself)."""
    if any(ord(c) <= 32 or 127 <= ord(c) <= 159 for c in url):
        raise Refused(f"the {what} URL holds a space or a control character")
    parts = _split(url)
    if parts is None:
        raise Refused(f"the {what} URL cannot be read (an unclosed [ in its host)")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise Refused(f"the {what} URL's port is not a number from 1 to 65535")
    if not parts.hostname:
        raise Refused(f"the {what} URL names no host")
    return parts


def webhook_endpoint(url: str) -> str:
    """The URL to POST to (``teams+``/``slack+`` taken off), or ``Refused`` before anything is
    connected to: only ``https://``, or plain ``http://`` to this machine (for tests)."""
    parts = _checked_url(url, "webhook")
    scheme = parts.scheme.lower()
    plain = scheme.split("+", 1)[1] if scheme.startswith(("teams+", "slack+")) else scheme
    if plain == "http" and not is_loopback(parts.hostname):
        raise Refused(
            "a webhook over plain http:// is only for a receiver on this machine (127.0.0.1, "
            "::1, localhost); use https://"
        )
    if plain not in ("http", "https"):
        raise Refused(
            f"a webhook URL must start with https:// ({scheme[:20] or 'no scheme'} is refused)"
        )
    return parts._replace(scheme=plain).geturl()


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


@dataclass(frozen=True)
class SmtpEndpoint:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None


def smtp_endpoint(settings: DeliverySettings) -> SmtpEndpoint:
    """Where and how mail is sent, or ``Refused`` before anything is connected to. A user and
    password are only sent over TLS (``smtps://``, ``smtp+starttls://``) or to a relay on this
    machine (127.0.0.0/8, ::1, localhost)."""
    raw = settings.smtp_url or ""
    if any(ord(c) <= 32 or 127 <= ord(c) <= 159 for c in raw):
        raise Refused("the SMTP URL holds a space or a control character")
    url = _split(raw)
    if url is None:
        raise Refused("the SMTP URL cannot be read (an unclosed [ in its host)")
    if url.scheme not in SMTP_SCHEMES:
        raise Refused(
            f"TANDEM_SMTP_URL must start with {', '.join(s + '://' for s in SMTP_SCHEMES)}"
        )
    try:
        port = url.port
    except ValueError:
        port = 0
    if port == 0:
        raise Refused("the SMTP URL's port is not a number from 1 to 65535")
    host = url.hostname or "localhost"
    user = unquote(url.username) if url.username else settings.smtp_user
    password = unquote(url.password) if url.password else settings.smtp_password
    if user and url.scheme == "smtp" and not is_loopback(host):  # no user: nothing is sent
        raise Refused(
            f"an SMTP user and password are sent only over TLS (smtps:// or smtp+starttls://) "
            f"or to a relay on this machine (127.0.0.1, ::1, localhost), not over plain smtp:// "
            f"to {host}"
        )
    return SmtpEndpoint(url.scheme, host, port or SMTP_SCHEMES[url.scheme], user, password)


def send_email(mail: EmailMessage, to: str, settings: DeliverySettings) -> None:
    """Send over SMTP to ``to`` alone (the envelope never comes from the headers): plain (a
    relay on the same host), STARTTLS or implicit TLS; login with the URL's user and password,
    or the settings', only as ``smtp_endpoint`` allows."""
    endpoint = smtp_endpoint(settings)
    host, port, user, password = endpoint.host, endpoint.port, endpoint.user, endpoint.password
    if endpoint.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=settings.timeout_seconds, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, port, timeout=settings.timeout_seconds)
    with client:
        if endpoint.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if user:
            client.login(user, password or "")
        client.send_message(mail, to_addrs=[to])


class Final(OSError):
    """An answer a retry would not change (a redirect, a refusal): not retried."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None  # a 3xx stays an answer: the POST is never re-sent anywhere


def _opener() -> urllib.request.OpenerDirector:
    """HTTP and HTTPS only (no file, ftp or data handler), redirects never followed."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _NoRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _within(seconds: float, work: Callable[[], None]) -> None:
    """Run ``work``, giving up after ``seconds`` in all (a server answering a byte at a time
    never holds the job): ``TimeoutError``."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(target=run, name="tandem-delivery", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise TimeoutError(f"no answer within {seconds:g} s")
    if outcome[0] is not None:
        raise outcome[0]


def post_webhook(payload: dict, url: str, settings: DeliverySettings) -> None:
    """POST the JSON to ``url`` (checked by ``webhook_endpoint``); only a 2xx answer is sent.
    A redirect is not followed; the whole exchange is bounded by the timeout."""
    timeout = min(settings.timeout_seconds, MAX_TIMEOUT)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )

    def post() -> None:
        try:
            with _opener().open(request, timeout=timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            exc.close()
            status = exc.code
        except urllib.error.URLError as exc:  # the reason, never the URL
            reason = exc.reason
            raise (reason if isinstance(reason, OSError) else OSError(str(reason))) from None
        except http.client.HTTPException as exc:  # what it said is not repeated
            raise OSError(f"the webhook's answer is not HTTP ({type(exc).__name__})") from None
        if 300 <= status < 400:
            raise Final(f"the webhook answered {status}, a redirect, which is not followed")
        if 400 <= status < 500 and status not in (408, 429):
            raise Final(f"the webhook answered {status}")
        if not 200 <= status < 300:
            raise OSError(f"the webhook answered {status}")

    _within(timeout, post)


def _secrets(settings: DeliverySettings) -> list[str]:
    """What must never be written anywhere: passwords, and every part of a webhook URL but
    its scheme and host (its path, query and user hold the token)."""
    found = [settings.smtp_password or ""]
    for url in (settings.smtp_url, settings.webhook_url):
        parts = _split(url or "")
        if parts is None:
            found.append(url or "")
            continue
        found += [url or "", parts.password or "", unquote(parts.password or "")]
        if url == settings.webhook_url:
            found += [
                parts.path if len(parts.path) > 1 else "",
                parts.query,
                parts.fragment,
                parts.username or "",
            ]
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[hidden]")
    return text


def _with_retries(
    send: Callable[[], None], settings: DeliverySettings, sleep: Callable[[float], None]
) -> tuple[int, str | None]:
    """Try up to ``attempts`` times, waiting ``backoff`` (doubling) between; (attempts, error).
    An answer a retry would not change (``Final``) ends the tries."""
    error = None
    for attempt in range(1, settings.attempts + 1):
        try:
            send()
            return attempt, None
        except Exception as exc:
            error = _scrub(f"{type(exc).__name__}: {exc}", _secrets(settings))
            if isinstance(exc, Final):
                return attempt, error
            if attempt < settings.attempts:
                sleep(settings.backoff_seconds * 2 ** (attempt - 1))
    return settings.attempts, error


def _refusal(check: Callable[[], object], settings: DeliverySettings) -> str | None:
    try:
        check()
    except Refused as exc:
        return _scrub(f"not sent: {exc}", _secrets(settings))
    return None


def _one_recipient(cells: list[object]) -> str:
    """The owner's one valid address; two different ones on file are refused (which one is
    the person's is not for the delivery to guess)."""
    addresses = {recipient(cell) for cell in cells}
    if len(addresses) > 1:
        raise Refused("the owner has two different e-mail addresses on file")
    return addresses.pop()


def deliver_digests(
    app: AppStore,
    digests: list[Digest],
    owners: pl.DataFrame,
    settings: DeliverySettings,
    now: Callable[[], dt.datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> DeliverySummary:
    """Send every digest on every configured channel, once per owner, role, day and channel;
    log each outcome. Never raises for a failed send."""
    summary = DeliverySummary(errors=[f"settings: {problem}" for problem in settings.problems])
    emails: dict[str, list[object]] = {}
    for owner, cell in owners.select("owner", "email").iter_rows() if owners.height else []:
        if cell is not None and str(cell).strip():
            emails.setdefault(owner, []).append(cell)
    webhook = settings.webhook_url or ""
    refused = {
        "email": _refusal(lambda: smtp_endpoint(settings), settings) if settings.smtp_url else None,
        "chat": _refusal(lambda: webhook_endpoint(webhook), settings) if webhook else None,
    }
    for day in sorted({d.day for d in digests}):
        done = sent_keys(app, day)
        for digest in (d for d in digests if d.day == day):
            message = digest_message(digest, settings.base_url)
            for channel in settings.channels:
                if (digest.owner, digest.role, channel) in done:
                    summary.already_sent += 1
                    continue
                if channel == "email":
                    cells = emails.get(digest.to, [])
                    target = _masked_target(settings.smtp_url or "", with_port=True)
                    if digest.recipient:  # the owner is on leave: to the person covering
                        target += f" to {digest.recipient}, covering for {digest.owner}"
                    if not cells:
                        record_delivery(
                            app,
                            day=day,
                            owner=digest.owner,
                            role=digest.role,
                            channel=channel,
                            target=target,
                            status="skipped",
                            attempts=0,
                            error="no e-mail address on file",
                            at=now(),
                        )
                        summary.skipped += 1
                        continue
                    try:
                        to = _one_recipient(cells)
                    except Refused as exc:
                        attempts, error = 0, f"not sent: {exc}"
                    else:
                        attempts, error = 0, refused["email"]
                    if not error:
                        header = formataddr((_header_text(digest.to), to))
                        attempts, error = _with_retries(
                            lambda m=message, h=header, t=to, d=day: send_email(
                                email(m, h, settings, d), t, settings
                            ),
                            settings,
                            sleep,
                        )
                else:
                    kind = webhook_kind(webhook)
                    target = f"chat ({kind}) {_masked_target(webhook)}"
                    if refused["chat"]:
                        attempts, error = 0, refused["chat"]
                    else:
                        url = webhook_endpoint(webhook)
                        payload = (
                            teams_payload(message) if kind == "teams" else slack_payload(message)
                        )
                        attempts, error = _with_retries(
                            lambda p=payload, u=url: post_webhook(p, u, settings), settings, sleep
                        )
                status = "failed" if error else "sent"
                record_delivery(
                    app,
                    day=day,
                    owner=digest.owner,
                    role=digest.role,
                    channel=channel,
                    target=target,
                    status=status,
                    attempts=attempts,
                    error=error,
                    at=now(),
                )
                if error:
                    summary.failed += 1
                    summary.errors.append(f"{digest.owner} ({digest.role}, {channel}): {error}")
                else:
                    summary.sent += 1
    return summary
