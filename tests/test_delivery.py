"""Digests delivered in the tools people use: e-mail to a real SMTP server on loopback
(aiosmtpd), chat posts to a real HTTP receiver on loopback that checks the JSON (Slack Block
Kit, a Teams Adaptive Card); masked, once per owner and day, and a dead server never fails the
refresh. Nothing leaves the machine."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import json
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from streamlit.testing.v1 import AppTest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.delivery import (
    DeliverySettings,
    Refused,
    deliver_digests,
    delivery_settings,
    recipient,
    smtp_endpoint,
    webhook_endpoint,
    webhook_kind,
)
from dashboard.jobs.digests import Digest
from dashboard.jobs.messages import AccountLine, DigestMessage, slack_payload, teams_payload
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.delivery_log import recent_deliveries
from dashboard.text import EMAIL, PHONE
from tests.conftest import tandem
from tests.pg import free_port

ANCHOR = dt.date(2026, 5, 1)
LEAK = "Leaky Corp (jo.smith@leaky.example, +44 20 7946 0958)"


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield f"smtp://127.0.0.1:{controller.port}", inbox
    controller.stop()


class Posts(list):
    """What the receiver was sent: (path, JSON)."""


@pytest.fixture
def receiver() -> Iterator[tuple[str, Posts]]:
    posts = Posts()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                assert self.headers["Content-Type"] == "application/json"
                posts.append((self.path, json.loads(body)))
            except (AssertionError, ValueError):
                self.send_response(400)
            else:
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", posts
    server.shutdown()


@pytest.fixture
def book(tmp_path: Path) -> Stores:
    """A small demo, scored, with a contact's e-mail and phone in an account name that is on
    some digest: masking must keep them out of everything sent."""
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=120, seed=8, anchor=ANCHOR))
    refresh(stores, ANCHOR, tmp_path, digests=False)
    red = stores.sources.query(
        "SELECT account_id FROM account_scores WHERE band = 'red' ORDER BY arr DESC LIMIT 1"
    )
    with stores.sources.writer() as writer:
        writer.execute(
            "UPDATE accounts SET account_name = ? WHERE account_id = ?",
            [LEAK, red["account_id"][0]],
        )
    return stores


def _settings(**kw) -> DeliverySettings:
    return DeliverySettings(base_url="http://tandem.example", backoff_seconds=0.01, **kw)


def _no_pii(text: str) -> None:
    assert not re.search(EMAIL, text), re.search(EMAIL, text)
    assert not re.search(PHONE, text), re.search(PHONE, text)


def _valid_block_kit(payload: dict) -> None:
    assert isinstance(payload["text"], str) and payload["text"]
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        assert block["type"] in {"header", "section", "divider", "context"}
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and 0 < len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert all(e["type"] in {"mrkdwn", "plain_text"} for e in block["elements"])


def _valid_adaptive_card(payload: dict) -> None:
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    for element in card["body"]:
        assert element["type"] in {"TextBlock", "Container"}
        items = element.get("items", [element])
        assert all(i["type"] == "TextBlock" and i["text"] for i in items)


def test_every_owner_gets_their_digest_by_mail_and_chat_masked_and_only_once(
    book, smtp, receiver, tmp_path
):
    smtp_url, inbox = smtp
    http_url, posts = receiver
    settings = _settings(smtp_url=smtp_url, webhook_url=f"slack+{http_url}/slack")
    first = refresh(book, ANCHOR, tmp_path, delivery=settings)
    owners = book.sources.query("SELECT owner, email FROM owners")
    digests = {p.stem for p in first.digests}
    assert first.delivery.failed == 0 and first.delivery.sent == 2 * len(digests)
    assert len(inbox.messages) == len(digests) == len(posts)
    addresses = dict(owners.iter_rows())
    leaked = 0
    for message, rcpt in zip(inbox.messages, inbox.recipients, strict=True):
        owner = message["To"].addresses[0].display_name
        assert rcpt == [addresses[owner]]  # to the owner, from the owners table
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert message.get_content_type() == "multipart/alternative"
        assert (
            plain.startswith(message["Subject"]) and "<table" in html
        ) or "Nothing needs you" in html
        for part in (plain, html, message["Subject"]):
            _no_pii(part)
        leaked += "Leaky Corp ([e-mail hidden], [phone hidden])" in plain
        if "Next:" in plain:
            assert "http://tandem.example/account?account=ACC-" in plain  # a link to the account
    assert leaked >= 1  # the account with the contact in its name was sent, masked
    for path, payload in posts:
        assert path == "/slack"
        _valid_block_kit(payload)
        _no_pii(json.dumps(payload))
    # a second delivery the same day sends nothing new
    second = refresh(book, ANCHOR, tmp_path, delivery=settings)
    assert second.delivery.sent == 0 and second.delivery.already_sent == first.delivery.sent
    assert len(inbox.messages) == len(digests) and len(posts) == len(digests)
    log = recent_deliveries(book.app)
    assert log.filter(pl.col("status") == "sent").height == first.delivery.sent
    assert not log["target"].str.contains("@").any()


def test_a_teams_workflow_url_gets_adaptive_cards(book, receiver, tmp_path):
    http_url, posts = receiver
    result = refresh(
        book,
        ANCHOR,
        tmp_path,
        digests=False,
        delivery=_settings(webhook_url=f"teams+{http_url}/teams"),
    )
    assert result.delivery.sent == len(posts) > 0
    for _, payload in posts:
        _valid_adaptive_card(payload)
        _no_pii(json.dumps(payload))


def test_a_dead_mail_server_is_retried_logged_and_shown_and_the_refresh_succeeds(
    book, tmp_path, app_data_dir
):
    dead = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    run = tandem(
        tmp_path,
        "refresh",
        "--as-of",
        ANCHOR.isoformat(),
        "--deliver",
        TANDEM_SMTP_URL=dead,
        TANDEM_DELIVERY_BACKOFF_SECONDS="0.01",
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["delivered"]["failed"] > 0 and out["delivered"]["sent"] == 0
    assert "not delivered" in run.stderr and "ConnectionRefusedError" in run.stderr
    log = recent_deliveries(book.app)
    failed = log.filter(pl.col("status") == "failed")
    assert failed.height == out["delivered"]["failed"] and (failed["attempts"] == 3).all()
    # shown on the Data page
    app_data_dir(tmp_path)
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    at.switch_page("../pages/data.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("could not be delivered" in w.value for w in at.warning)
    shown = next(d.value for d in at.dataframe if "attempts" in d.value.columns)
    assert (shown["status"] == "failed").sum() == failed.height


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://hooks.slack.com/services/T0/B0/x", "slack"),
        (
            "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke",
            "teams",
        ),
        ("https://acme.webhook.office.com/webhookb2/x", "teams"),
        ("teams+http://127.0.0.1:8080/x", "teams"),
        ("https://chat.example/hooks/x", "slack"),
    ],
)
def test_the_webhook_format_is_chosen_by_the_url(url, kind):
    assert webhook_kind(url) == kind


def test_settings_come_from_the_environment_or_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[tandem.delivery]\nsmtp_url = "smtps://mail.example:465"\n'
        'smtp_user = "tandem"\nsmtp_password = "s3cret"\nwebhook_url = "https://hooks.slack.com/x"\n'
    )
    found = delivery_settings({}, [secrets])
    assert found.smtp_url == "smtps://mail.example:465" and found.smtp_user == "tandem"
    assert found.channels == ["email", "chat"]
    env = delivery_settings(
        {"TANDEM_SMTP_URL": "smtp://relay:25", "TANDEM_SMTP_FROM": "CS <cs@x.example>"}, [secrets]
    )
    assert env.smtp_url == "smtp://relay:25" and env.smtp_from == "CS <cs@x.example>"
    assert delivery_settings({}, [tmp_path / "missing.toml"]).channels == []


# an owner's e-mail cell that must not reach anyone: each tries to add a recipient
INJECTED = [
    "mallory@x.example, rcpt-injected@evil.example",
    "mallory@x.example; rcpt-injected@evil.example",
    "mallory@x.example\nBcc: rcpt-injected@evil.example",
    "mallory@x.example\rrcpt-injected@evil.example",
    '"Mallory" <rcpt-injected@evil.example>',
    "mallory@x.example <rcpt-injected@evil.example>",
    "rcpt-injected@evil.example (mallory@x.example)",
    "rcpt-injected%evil.example@x.example",
    "mallory@x.example\x00rcpt-injected@evil.example",
]


@pytest.mark.parametrize(
    "cell",
    [
        *INJECTED,
        "mallory",
        "mallory@x",
        "mallory@@x.example",
        "mallory@x..example",
        "mallory@-x.example",
        "mållory@x.example",
        "mallory x@x.example",
        "mallory@x.example.",
        "",
    ],
)
def test_an_e_mail_cell_that_is_not_one_bare_address_is_refused(cell):
    with pytest.raises(Refused) as refused:
        recipient(cell)
    assert "evil" not in str(refused.value)  # the reason, never the cell


@pytest.mark.parametrize(
    "cell",
    [
        "jo.smith@tandem.example",
        "o'neil+cs@mail.tandem.example",
        " jo@x.example ",
        "JO_SMITH-2@X-Y.example",
    ],
)
def test_a_bare_address_is_a_recipient(cell):
    assert recipient(cell) == cell.strip()


def test_an_injected_recipient_receives_nothing_and_the_owner_is_logged_as_not_sent(
    book, smtp, tmp_path
):
    smtp_url, inbox = smtp
    owners = book.sources.query("SELECT owner, email FROM owners ORDER BY owner")
    bad = dict(zip(owners["owner"][: len(INJECTED)], INJECTED, strict=True))
    with book.sources.writer() as writer:
        for owner, cell in bad.items():
            writer.execute("UPDATE owners SET email = ? WHERE owner = ?", [cell, owner])
    result = refresh(book, ANCHOR, tmp_path, digests=False, delivery=_settings(smtp_url=smtp_url))
    good = {o: e for o, e in owners.iter_rows() if o not in bad}
    received = [r for rcpt in inbox.recipients for r in rcpt]
    assert not any("evil" in r or "mallory" in r for r in received), received
    assert set(received) <= set(good.values()) and received  # the others still get theirs
    for message in inbox.messages:
        assert "evil" not in str(message["To"]) and "evil" not in message.as_string()
    log = recent_deliveries(book.app)
    refused = log.filter(pl.col("owner").is_in(list(bad)))
    assert refused.height > 0 and (refused["status"] == "failed").all()
    assert (refused["attempts"] == 0).all()
    assert refused["error"].str.starts_with("not sent: the e-mail address on file").all()
    assert not refused["error"].str.contains("evil").any()
    assert result.delivery.failed == refused.height
    assert result.delivery.sent == len(received) == log.filter(pl.col("status") == "sent").height


OURS = "http://tandem.example/account?account="  # the only links a message may hold
PHISH = "[Verify your SSO](https://evil.example/phish) or www.evil.example/reset"
EVIL_OWNER = "Eve [Call me](https://evil.example/owner) evil.example/call"
# what a client would link in text: a scheme, www. or a domain name
BARE_URL = re.compile(r"(?i)[a-z][a-z0-9+.-]*://|\bwww\.|\b[a-z0-9-]+\.[a-z]{2,}\b")


def _teams_links(text: str) -> tuple[list[str], str]:
    """The targets of the live links in Adaptive Card Markdown (CommonMark: a link needs an
    unescaped ``](``), and the text as shown once Tandem's own links are taken out."""
    unescaped = re.sub(r"\\[!-/:-@\[-`{-~]", "\0\0", text)  # escaped punctuation is literal
    targets = re.findall(r"\]\(([^)\s]*)", unescaped) + re.findall(r"<([^>\s]*)>", unescaped)
    shown = re.sub(r"\]\(" + re.escape(OURS) + r"[^)\s]*\)", "]", text)
    return targets, re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", shown)


def _slack_links(text: str) -> tuple[list[str], str]:
    """The targets of Slack's ``<url|text>`` links, and the text as shown without them."""
    targets = re.findall(r"<([^|>]*)[|>]", text)
    shown = re.sub(r"<" + re.escape(OURS) + r"[^|>]*\|", "", text)
    return targets, shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _html_links(html_text: str) -> tuple[list[str], str]:
    import html

    targets = re.findall(r"href=['\"]([^'\"]*)", html_text)
    return targets, html.unescape(re.sub(r"<[^>]+>", " ", html_text))


def _no_live_link(targets: list[str], shown: str) -> None:
    assert all(t.startswith(OURS) for t in targets), targets
    assert not BARE_URL.search(shown), BARE_URL.search(shown)


@pytest.fixture
def hostile_book(book) -> Stores:
    """The book with a phishing link as the name of its three largest red accounts and as the
    name of one of their CSMs."""
    red = book.sources.query(
        "SELECT account_id, csm_owner FROM account_scores WHERE band = 'red' ORDER BY arr DESC LIMIT 3"
    )
    owner = red["csm_owner"][0]
    with book.sources.writer() as writer:
        for account_id in red["account_id"]:
            writer.execute(
                "UPDATE accounts SET account_name = ? WHERE account_id = ?", [PHISH, account_id]
            )
        writer.execute("UPDATE owners SET owner = ? WHERE owner = ?", [EVIL_OWNER, owner])
        for column in ("csm_owner", "am_owner"):
            writer.execute(
                f"UPDATE accounts SET {column} = ? WHERE {column} = ?", [EVIL_OWNER, owner]
            )
    return book


def test_a_link_in_account_and_owner_names_is_no_live_link_in_teams_slack_or_mail(
    hostile_book, smtp, receiver, tmp_path
):
    smtp_url, inbox = smtp
    http_url, posts = receiver
    settings = _settings(smtp_url=smtp_url, webhook_url=f"teams+{http_url}/teams")
    assert refresh(hostile_book, ANCHOR, tmp_path, delivery=settings).delivery.failed == 0
    shown_names = 0
    for _, payload in (p for p in posts if p[0] == "/teams"):
        _valid_adaptive_card(payload)
        for element in payload["attachments"][0]["content"]["body"]:
            for block in element.get("items", [element]):
                targets, shown = _teams_links(block["text"])
                _no_live_link(targets, shown)
                shown_names += "[Verify your SSO](https[:]//evil[.]example/phish)" in shown
    assert shown_names >= 1  # shown, as text
    assert any(
        "Eve [Call me]" in p["attachments"][0]["content"]["body"][0]["text"].replace("\\", "")
        for _, p in posts
    )
    for message in inbox.messages:
        targets, shown = _html_links(message.get_body(("html",)).get_content())
        _no_live_link(targets, shown)
        plain = message.get_body(("plain",)).get_content()
        _no_live_link([], re.sub(r"Open: " + re.escape(OURS) + r"\S*", "", plain))
        _no_live_link([], str(message["Subject"]))
    assert any(
        "[Verify your SSO](https[:]//evil[.]example/phish)" in m.as_string() for m in inbox.messages
    )
    # Slack, on the next day (a chat post is sent once per owner, role and day)
    slack = _settings(webhook_url=f"slack+{http_url}/slack")
    assert (
        refresh(hostile_book, ANCHOR + dt.timedelta(days=1), tmp_path, delivery=slack).delivery.sent
        > 0
    )
    slack_posts = [payload for path, payload in posts if path == "/slack"]
    assert slack_posts
    for payload in slack_posts:
        _valid_block_kit(payload)
        for block in payload["blocks"]:
            if block["type"] == "section":
                assert block["text"]["verbatim"] is True  # Slack adds no links of its own
                _no_live_link(*_slack_links(block["text"]["text"]))
    assert any(
        "[Verify your SSO](https[:]//evil[.]example/phish)" in json.dumps(p) for p in slack_posts
    )


def test_every_data_text_in_a_chat_card_is_escaped():
    line = AccountLine(
        name="**Bold** _it_ <b>x</b> `code` ![img](https://evil.example/i.png)",
        account_id="ACC-1",
        arr="$1.2M",
        health="35 red",
        renewal="renews in 40 days",
        reason="- a list\n1. numbered",
        cause="see https://evil.example/a & www.evil.example",
        action="[click](javascript:alert(1)) evil.example/reset",
        link=None,
    )
    message = DigestMessage(
        "Eve [x](https://evil.example) digest", "intro evil.example", [line], "", ""
    )
    texts = [
        b.get("text") or b["items"][0]["text"]
        for b in teams_payload(message)["attachments"][0]["content"]["body"]
    ]
    for text in texts:
        targets, _ = _teams_links(text)
        assert targets == [], text
        data = re.sub(r"^\*\*(.*?)(?<!\\)\*\*", r"\1", text)  # the name's bold is Tandem's
        assert not re.search(r"(?<!\\)[*_`<>\[\]()&!]", data), text  # no markup unescaped
        assert not re.search(r"(?m)^[ \t]*([-+]|\d+[.)])[ \t]", text), text  # no list
    slack = json.dumps(slack_payload(message))
    assert "<b>" not in slack and "<javascript" not in slack and "<https" not in slack


# -- no connection leaves the machine, even from code under test that would try ----------
_OUTSIDE: list[str] | None = None  # while a list: every try to reach another host, refused


def _guard(event: str, args: tuple) -> None:
    if _OUTSIDE is None or event not in (
        "socket.getaddrinfo",
        "socket.connect",
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
    ):
        return
    host = args[1] if event == "socket.connect" else args[0]
    host = host[0] if isinstance(host, tuple) else host
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str) or host.startswith("/"):  # a Unix socket
        return
    try:
        if host == "localhost" or ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    _OUTSIDE.append(host)
    raise PermissionError(f"test guard: nothing may reach {host}")


sys.addaudithook(_guard)


@pytest.fixture
def no_outside_connections() -> Iterator[list[str]]:
    """Every name lookup or connection to a host that is not loopback, in this process, is
    refused (an audit hook, not a stub) and recorded: the list must stay empty."""
    global _OUTSIDE
    _OUTSIDE = []
    try:
        yield _OUTSIDE
    finally:
        _OUTSIDE = None


SECRET = "S3CRET-TOKEN"  # in a webhook URL's path and query: never logged


def _digest(owner: str = "Jo Smith") -> Digest:
    rows = pl.DataFrame(
        {
            "account_id": ["ACC-1"],
            "account_name": ["Acme"],
            "arr": [12000.0],
            "health": [35.0],
            "band": ["red"],
            "days_to_renewal": [40],
            "reason": ["health fell"],
            "cause": ["usage down"],
            "action": ["call"],
        }
    )
    return Digest(owner, "csm", ANCHOR, f"{owner} — digest", "The value side.", rows)


OWNERS = pl.DataFrame(
    {"owner": ["Jo Smith", "Ann Lee"], "email": ["jo@tandem.example", "ann@tandem.example"]}
)


def _deliver(tmp_path: Path, **settings) -> tuple:
    app = Stores.open(tmp_path).app
    started = time.perf_counter()
    summary = deliver_digests(
        app, [_digest(), _digest("Ann Lee")], OWNERS, _settings(**settings), dt.datetime.now
    )
    return summary, recent_deliveries(app), time.perf_counter() - started


def _never_logged(summary, log, *secrets: str) -> None:
    written = json.dumps(summary.errors) + json.dumps(log.select("target", "error").rows())
    for secret in secrets:
        assert secret not in written, written


@pytest.fixture
def redirecting() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A loopback server answering every POST to /hook with 302 to /target on itself (which
    would answer 200 to anything): what it was asked, (method, path)."""
    asked: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            asked.append((self.command, self.path))
            moved = self.path.startswith("/hook")
            self.send_response(302 if moved else 200)
            if moved:
                self.send_header("Location", f"http://127.0.0.1:{port}/target?t={SECRET}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_PUT = do_POST

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}", asked
    server.shutdown()


def test_a_webhook_redirect_is_a_failed_delivery_and_the_target_gets_nothing(redirecting, tmp_path):
    base, asked = redirecting
    url = f"teams+{base}/hook/{SECRET}?sig={SECRET}-q"
    summary, log, _ = _deliver(tmp_path, webhook_url=url)
    assert summary.sent == 0 and summary.failed == 2
    assert not [a for a in asked if not a[1].startswith("/hook")], asked  # /target: nothing
    assert len(asked) == 2  # one POST per digest: a redirect is not retried
    assert (log["status"] == "failed").all() and (log["attempts"] == 1).all()
    assert log["error"].str.contains("answered 302, a redirect, which is not followed").all()
    assert (log["target"] == "chat (teams) teams+http://127.0.0.1").all()  # scheme and host
    _never_logged(summary, log, SECRET, "/hook", "/target", "sig=")


class _Drip:
    """A loopback server that answers every request one byte every 0.1 s for a minute."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 583:
                    conn.sendall(bytes([byte]))
                    time.sleep(0.1)
                conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                return


def test_a_webhook_that_answers_a_byte_at_a_time_is_cut_at_the_timeout(tmp_path):
    drip = _Drip()
    try:
        summary, log, seconds = _deliver(
            tmp_path, webhook_url=drip.url, timeout_seconds=0.5, attempts=1
        )
    finally:
        drip.sock.close()
    assert summary.failed == 2 and summary.sent == 0
    # 2 × 0.5 s; read to their end, the two answers would take two minutes. The bound is far
    # from both: it tells a cut read from an uncut one on a loaded machine, and times nothing
    assert seconds < 30, seconds
    assert log["error"].str.contains("no answer within 0.5 s").all()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"https://hooks.example:99999/x?token={SECRET}", "port is not a number from 1 to 65535"),
        (f"http://127.0.0.1:abc/{SECRET}", "port is not a number from 1 to 65535"),
        (f"https://hooks.example:0/{SECRET}", "port is not a number from 1 to 65535"),
        (
            f"http://hooks.example/services/{SECRET}",
            "plain http:// is only for a receiver on this machine",
        ),
        (f"http://10.0.0.1/{SECRET}", "plain http:// is only for a receiver on this machine"),
        (
            f"http://127.0.0.1.evil.example/{SECRET}",
            "plain http:// is only for a receiver on this machine",
        ),
        (f"ftp://127.0.0.1/{SECRET}", "must start with https://"),
        (f"file:///tmp/{SECRET}", "names no host"),
        (f"file://localhost/tmp/{SECRET}", "must start with https://"),
        (f"gopher://127.0.0.1:70/{SECRET}", "must start with https://"),
        (f"javascript:alert('{SECRET}')", "names no host"),
        (f"https:///{SECRET}", "names no host"),
        (f"https://[::1/{SECRET}", "cannot be read"),
        (f"https://hooks.example/{SECRET}\r\nX-Injected: 1", "a space or a control character"),
    ],
)
def test_a_webhook_url_tandem_will_not_use_is_refused_before_connecting(
    url, reason, tmp_path, no_outside_connections
):
    with pytest.raises(Refused, match=re.escape(reason)) as refused:
        webhook_endpoint(url)
    assert SECRET not in str(refused.value)
    summary, log, _ = _deliver(tmp_path, webhook_url=url)
    assert summary.failed == 2 and summary.sent == 0 and (log["attempts"] == 0).all()
    assert log["error"].str.contains(re.escape(reason)).all()
    _never_logged(summary, log, SECRET)
    assert no_outside_connections == []


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T0/B0/x",
        "teams+https://acme.webhook.office.com/x",
        "http://127.0.0.1:8080/x",
        "slack+http://localhost/x",
        "http://[::1]:9/x",
        "http://127.8.0.1/x",
    ],
)
def test_https_and_plain_http_to_this_machine_are_webhooks(url):
    assert webhook_endpoint(url).split("://")[0] in ("http", "https")


def test_file_and_ftp_webhook_urls_open_nothing(tmp_path):
    fifo = tmp_path / "hook.fifo"
    os.mkfifo(fifo)
    opened, stop = threading.Event(), threading.Event()

    def watch() -> None:  # a writer can open a FIFO only while someone reads it
        while not stop.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.005)
                continue
            opened.set()
            os.write(fd, b"{}")
            os.close(fd)

    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for url in (f"file://localhost{fifo}", f"ftp://127.0.0.1:{listener.getsockname()[1]}/x"):
            summary, log, _ = _deliver(tmp_path / url[:4], webhook_url=url, timeout_seconds=0.5)
            assert summary.failed == 2 and (log["attempts"] == 0).all()
    finally:
        stop.set()
        watcher.join()
    assert not opened.is_set()  # the FIFO was never opened
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected to the FTP port
    listener.close()


@pytest.mark.parametrize(
    "url", [f"https://127.0.0.1:99999/x?token={SECRET}", f"http://127.0.0.1:abc/{SECRET}"]
)
def test_a_typo_in_the_webhook_port_is_a_logged_failure_and_the_refresh_exits_0(
    url, book, tmp_path
):
    run = tandem(
        tmp_path, "refresh", "--as-of", ANCHOR.isoformat(), "--deliver", TANDEM_WEBHOOK_URL=url
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["delivered"]["failed"] > 0 and out["delivered"]["sent"] == 0
    assert "port is not a number from 1 to 65535" in run.stderr
    log = recent_deliveries(book.app)
    assert log.height == out["delivered"]["failed"] and (log["status"] == "failed").all()
    assert SECRET not in run.stderr + run.stdout + json.dumps(log.select("target", "error").rows())


PASSWORD = "pw-S3CRET-9"


@pytest.mark.parametrize(
    "settings",
    [
        {"smtp_url": f"smtp://user:{PASSWORD}@mail.example.com:25"},
        {"smtp_url": "smtp://tandem@mail.example.com:25", "smtp_password": PASSWORD},
        {"smtp_url": "smtp://mail.example.com", "smtp_user": "tandem", "smtp_password": PASSWORD},
        {"smtp_url": "smtp://10.0.0.5:25", "smtp_user": "tandem", "smtp_password": PASSWORD},
    ],
)
def test_smtp_credentials_over_plain_smtp_to_another_host_are_refused_before_connecting(
    settings, tmp_path, no_outside_connections
):
    with pytest.raises(Refused, match="sent only over TLS"):
        smtp_endpoint(_settings(**settings))
    summary, log, _ = _deliver(tmp_path, **settings)
    assert summary.failed == 2 and summary.sent == 0
    assert (log["attempts"] == 0).all() and (log["status"] == "failed").all()
    assert log["error"].str.contains("an SMTP user and password are sent only over TLS").all()
    assert not log["target"].str.contains("@").any()
    _never_logged(summary, log, PASSWORD)
    assert no_outside_connections == []  # not even a name lookup


@pytest.mark.parametrize(
    ("url", "user"),
    [
        ("smtps://user:pw@mail.example.com:465", None),
        ("smtp+starttls://mail.example.com:587", "u"),
        ("smtp://127.0.0.1:2525", "u"),
        ("smtp://[::1]:25", "u"),
        ("smtp://localhost", "u"),
        ("smtp://mail.example.com:25", None),  # a relay that needs no login
    ],
)
def test_smtp_credentials_over_tls_or_to_this_machine_are_allowed(url, user):
    endpoint = smtp_endpoint(_settings(smtp_url=url, smtp_user=user, smtp_password="pw"))
    assert endpoint.scheme == url.split("://")[0]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("smtp://127.0.0.1:99999", "port is not a number"),
        ("smtp://127.0.0.1:abc", "port is not a number"),
        ("smtpx://127.0.0.1", "must start with"),
        ("http://127.0.0.1", "must start with"),
        ("smtp://127.0.0.1\r\n", "control character"),
    ],
)
def test_an_unusable_smtp_url_is_a_logged_failure(url, reason, tmp_path):
    summary, log, _ = _deliver(tmp_path, smtp_url=url)
    assert summary.failed == 2 and (log["attempts"] == 0).all()
    assert log["error"].str.contains(reason).all()


def test_a_relay_on_this_machine_gets_the_login_over_plain_smtp_and_the_password_is_not_logged(
    tmp_path,
):
    from aiosmtpd.smtp import AuthResult

    inbox, logins = Inbox(), []

    def authenticator(server, session, envelope, mechanism, data):
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password.decode() == PASSWORD)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        url = f"smtp://tandem:{PASSWORD}@127.0.0.1:{controller.port}"
        summary, _, _ = _deliver(tmp_path / "ok", smtp_url=url)
        wrong = f"smtp://tandem:{PASSWORD}-wrong@127.0.0.1:{controller.port}"
        failed, log, _ = _deliver(tmp_path / "wrong", smtp_url=wrong, attempts=1, timeout_seconds=2)
    finally:
        controller.stop()
    assert summary.sent == 2 and sorted(r for rs in inbox.recipients for r in rs) == [
        "ann@tandem.example",
        "jo@tandem.example",
    ]
    assert logins[0] == ("tandem", PASSWORD)
    assert failed.failed == 2 and failed.sent == 0
    _never_logged(failed, log, PASSWORD)


def test_a_webhook_that_answers_garbage_is_a_logged_failure_not_a_crash(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"<html>not http at all</html>\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        summary, log, _ = _deliver(
            tmp_path, webhook_url=f"http://127.0.0.1:{server.getsockname()[1]}/x"
        )
    finally:
        server.close()
    assert summary.failed == 2 and summary.sent == 0 and (log["attempts"] == 3).all()
    assert log["error"].str.contains("the webhook's answer is not HTTP").all()
    assert not log["error"].str.contains("not http at all").any()


def test_unreadable_delivery_numbers_fall_back_to_their_defaults_and_the_refresh_exits_0(
    book, tmp_path
):
    settings = delivery_settings(
        {
            "TANDEM_DELIVERY_ATTEMPTS": "three",
            "TANDEM_DELIVERY_TIMEOUT_SECONDS": "nan",
            "TANDEM_DELIVERY_BACKOFF_SECONDS": "1e9",
        },
        [],
    )
    assert (settings.attempts, settings.timeout_seconds, settings.backoff_seconds) == (
        3,
        10.0,
        60.0,
    )
    assert len(settings.problems) == 2
    dead = f"smtp://127.0.0.1:{free_port()}"
    run = tandem(
        tmp_path,
        "refresh",
        "--as-of",
        ANCHOR.isoformat(),
        "--deliver",
        TANDEM_SMTP_URL=dead,
        TANDEM_DELIVERY_ATTEMPTS="abc",
        TANDEM_DELIVERY_TIMEOUT_SECONDS="ten",
        TANDEM_DELIVERY_BACKOFF_SECONDS="0.01",
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "TANDEM_DELIVERY_ATTEMPTS is not a number: the default is used" in run.stderr
    assert "TANDEM_DELIVERY_TIMEOUT_SECONDS is not a number" in run.stderr
