"""A digest as the messages that leave Tandem: an e-mail (plain text and HTML), a Slack
Block Kit post and a Microsoft Teams Adaptive Card. Every value from the data is escaped for
its format and masked: e-mail addresses and phone numbers never leave in a message. Data
never makes a link: Markdown and Slack's markup are escaped, and a URL or a domain name in
the data is defanged (``https[:]//evil[.]example``) so no client turns it into one; the only
links are Tandem's own, to the account's page."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dashboard.jobs.digests import DIGEST_TITLES, Digest, renewal_words
from dashboard.text import SCORE_LAB, format_value, mask_expr

CHAT_ACCOUNTS = 15  # accounts per chat post (Slack allows 50 blocks); the rest are counted

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
# what a chat or mail client would turn into a link: a URL with a scheme, www., or a domain
# name (labels and a top-level domain of letters), with or without a path
URLISH = re.compile(
    r"(?i)\b[a-z][a-z0-9+.-]*://[^\s<>\"'`]*|\bwww\.[^\s<>\"'`]*"
    rf"|\b{_LABEL}(?:\.{_LABEL})*\.[a-z]{{2,}}\b(?:/[^\s<>\"'`]*)?"
)
# Markdown (CommonMark, as Teams' Adaptive Cards read it): what can make a link, an image,
# emphasis, code, HTML or an entity; and a list marker at the start of a line
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()<>#|~&!])")
_MD_LIST = re.compile(r"(?m)^([ \t]*)([-+]|\d+[.)])(?=[ \t]|$)")


def defang(text: str) -> str:
    """A URL or a domain name in data as text no client links: ``https[:]//evil[.]example``."""
    return URLISH.sub(lambda m: m.group(0).replace("://", "[:]//").replace(".", "[.]"), text)


def teams_escape(text: str) -> str:
    """Data as literal text in an Adaptive Card TextBlock (Markdown): every character that
    could start markup is backslash-escaped."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LIST.sub(lambda m: f"{m.group(1)}{m.group(2)[:-1]}\\{m.group(2)[-1]}", text)


@dataclass(frozen=True)
class AccountLine:
    """One account of a digest, formatted and masked, as every message shows it."""

    name: str
    account_id: str
    arr: str
    health: str  # "35 red"
    renewal: str  # "renews in 40 days" or ""
    reason: str
    cause: str
    action: str
    link: str | None


@dataclass(frozen=True)
class DigestMessage:
    subject: str
    intro: str
    lines: list[AccountLine]
    text: str
    html: str
    verdict: str | None = None  # the line saying the score does not predict churn here
    # what changed since last week on the owner's movers: (account, its sentences), masked and
    # defanged; or the one line saying why it is not available
    changes: list[tuple[str, str]] = field(default_factory=list)
    changes_note: str | None = None


CHANGES_TITLE = "What changed since last week"


def _changes(digest: Digest) -> list[tuple[str, str]]:
    """The digest's movers as (account, sentences), masked and defanged."""
    if digest.changes.is_empty():
        return []
    rows = digest.changes.with_columns(mask_expr("account_name"), mask_expr("changes"))
    return [
        (defang(name or ""), defang(said or ""))
        for name, said in rows.select("account_name", "changes").iter_rows()
    ]


def _masked(digest: Digest) -> tuple[str, str, pl.DataFrame]:
    rows = digest.rows
    strings = [c for c, t in rows.schema.items() if t == pl.String]
    rows = rows.with_columns([mask_expr(c) for c in strings]) if strings else rows
    texts = pl.DataFrame({"v": [digest.title, digest.intro]}).with_columns(mask_expr("v"))["v"]
    return defang(texts[0]), defang(texts[1]), rows


def account_link(base_url: str | None, account_id: str) -> str | None:
    """The account's page in the app, when the app's address is known."""
    if not base_url:
        return None
    from urllib.parse import quote

    return f"{base_url.rstrip('/')}/account?account={quote(account_id)}"


def lab_link(verdict: str | None, base_url: str | None) -> str | None:
    """The verdict line with the Score lab's address, when the app's address is known."""
    if not verdict or not base_url:
        return verdict
    return verdict.replace(SCORE_LAB, f"{SCORE_LAB} ({base_url.rstrip('/')}/lab)")


def digest_message(digest: Digest, base_url: str | None = None) -> DigestMessage:
    """The digest, formatted and masked once for every channel."""
    title, intro, rows = _masked(digest)
    verdict = lab_link(digest.verdict, base_url)
    lines = []
    for row in rows.iter_rows(named=True):
        health = "—" if row["health"] is None else f"{row['health']:.0f}"
        days = row["days_to_renewal"]
        lines.append(
            AccountLine(
                name=defang(row["account_name"] or row["account_id"]),
                account_id=defang(row["account_id"]),
                arr=format_value(row["arr"], "money", row.get("currency")),
                health=f"{health} {row['band']}",
                renewal=renewal_words(days, row.get("renewal_basis")),
                reason=defang(row["reason"] or ""),
                cause=defang(row["cause"] or "see the account page"),
                action=defang(row["action"] or "review the account"),
                link=account_link(base_url, row["account_id"]),
            )
        )
    changes, note = _changes(digest), digest.changes_note
    return DigestMessage(
        title,
        intro,
        lines,
        _text(title, intro, lines, verdict) + _changes_text(changes, note),
        _html(title, intro, lines, verdict, _changes_html(changes, note)),
        verdict,
        changes,
        note,
    )


def _changes_text(changes: list[tuple[str, str]], note: str | None) -> str:
    if not changes and not note:
        return ""
    said = [note] if note else [f"- {name}: {text}" for name, text in changes]
    return "\n".join(["", CHANGES_TITLE, *said]) + "\n"


def _changes_html(changes: list[tuple[str, str]], note: str | None) -> str:
    e = html.escape
    if note:
        return f"<h3>{CHANGES_TITLE}</h3><p>{e(note)}</p>"
    if not changes:
        return ""
    items = "".join(f"<li><strong>{e(name)}</strong>: {e(text)}</li>" for name, text in changes)
    return f"<h3>{CHANGES_TITLE}</h3><ul>{items}</ul>"


def _text(title: str, intro: str, lines: list[AccountLine], verdict: str | None = None) -> str:
    out = [title, "", intro, ""] + ([verdict, ""] if verdict else [])
    if not lines:
        out.append("Nothing needs you today.")
    for n, line in enumerate(lines, 1):
        renewal = f", {line.renewal}" if line.renewal else ""
        out += [
            f"{n}. {line.name} ({line.account_id}) — {line.arr} ARR, health {line.health}{renewal}",
            f"   Why: {line.reason}: {line.cause}",
            f"   Next: {line.action}",
        ]
        if line.link:
            out.append(f"   Open: {line.link}")
    return "\n".join(out) + "\n"


def _html(
    title: str,
    intro: str,
    lines: list[AccountLine],
    verdict: str | None = None,
    after: str = "",
) -> str:
    e = html.escape
    head = "".join(
        f"<th align='left' style='padding:4px 8px;border-bottom:1px solid #ccc'>{h}</th>"
        for h in ("Account", "ARR", "Health", "Renewal", "Why", "Next action")
    )
    body = []
    for line in lines:
        name = e(line.name)
        if line.link:
            name = f"<a href='{e(line.link, quote=True)}'>{name}</a>"
        cells = (
            f"{name}<br><small>{e(line.account_id)}</small>",
            e(line.arr),
            e(line.health),
            e(line.renewal),
            f"{e(line.reason)}: {e(line.cause)}",
            e(line.action),
        )
        body.append(
            "<tr>"
            + "".join(f"<td valign='top' style='padding:4px 8px'>{c}</td>" for c in cells)
            + "</tr>"
        )
    table = (
        f"<table cellspacing='0' style='border-collapse:collapse'><tr>{head}</tr>{''.join(body)}</table>"
        if lines
        else "<p>Nothing needs you today.</p>"
    )
    warn = f"<p style='color:#8a5a00'><strong>{e(verdict)}</strong></p>" if verdict else ""
    return (
        f"<html><body style='font-family:sans-serif'><h2>{e(title)}</h2><p>{e(intro)}</p>"
        f"{warn}{table}{after}</body></html>"
    )


def _chat_line(line: AccountLine, name: str, escape: Callable[[str], str] = str) -> str:
    """One account in a chat post; ``name`` is already formatted, the rest is escaped."""
    renewal = f" · {line.renewal}" if line.renewal else ""
    rest = escape(
        f" · {line.arr} ARR · health {line.health}{renewal}\n"
        f"{line.reason}: {line.cause}\nNext: {line.action}"
    )
    return name + rest


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_text(text: str) -> dict[str, Any]:
    """A mrkdwn text object Slack does not preprocess (no auto-links, no auto-mentions)."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def slack_payload(message: DigestMessage) -> dict[str, Any]:
    """A Slack incoming-webhook post in Block Kit: a header, the intro, one section per
    account (name linked to the app when its address is known), the rest counted."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
        {"type": "section", "text": _slack_text(_slack_escape(message.intro))},
    ]
    if message.verdict:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f":warning: {_slack_escape(message.verdict)}"},
            }
        )
    for line in message.lines[:CHAT_ACCOUNTS]:
        name = f"*{_slack_escape(line.name)}*"
        if line.link:
            name = f"<{line.link}|{_slack_escape(line.name)}>"
        blocks += [
            {"type": "divider"},
            {"type": "section", "text": _slack_text(_chat_line(line, name, _slack_escape)[:3000])},
        ]
    rest = len(message.lines) - CHAT_ACCOUNTS
    if not message.lines:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "Nothing needs you today."}}
        )
    elif rest > 0:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"and {rest} more accounts"}],
            }
        )
    return {"text": message.subject, "blocks": blocks}


def teams_payload(message: DigestMessage) -> dict[str, Any]:
    """A Microsoft Teams workflow-webhook post: a message holding one Adaptive Card (1.4)."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": teams_escape(message.subject),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": teams_escape(message.intro), "wrap": True, "isSubtle": True},
    ]
    if message.verdict:
        body.append(
            {"type": "TextBlock", "text": message.verdict, "wrap": True, "color": "Warning"}
        )
    for line in message.lines[:CHAT_ACCOUNTS]:
        name = teams_escape(line.name)
        name = f"[{name}]({line.link})" if line.link else f"**{name}**"
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    {
                        "type": "TextBlock",
                        "text": _chat_line(line, name, teams_escape),
                        "wrap": True,
                    }
                ],
            }
        )
    rest = len(message.lines) - CHAT_ACCOUNTS
    if not message.lines:
        body.append({"type": "TextBlock", "text": "Nothing needs you today.", "wrap": True})
    elif rest > 0:
        body.append({"type": "TextBlock", "text": f"and {rest} more accounts", "isSubtle": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


__all__ = ["DIGEST_TITLES", "DigestMessage", "digest_message", "slack_payload", "teams_payload"]
