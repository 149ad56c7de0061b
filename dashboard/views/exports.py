"""Tables as people take them to a meeting: the page's labels, units and rounding, in
Markdown or in a print-ready HTML page. A CSV keeps the raw values; these are for reading.

Text in the files Tandem writes (digests, CRM task imports, calendar feeds, the renewal
calendar) goes through ``plain_text`` / ``plain_rows`` first: one line (line breaks, lone
carriage returns, NUL and every other control character become a space), masked as mail is
(e-mail addresses and phone numbers) and with bare URLs defanged (``https[:]//``,
``www[.]``), so no calendar, CRM or Markdown viewer turns data into a live link. Identifiers
(account ids, task keys, domains, the owner's e-mail HubSpot matches) are only made one line."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

import polars as pl

from dashboard.text import (
    ACCOUNT_PROPERTY,
    BREAKS,
    INVISIBLE,
    MIXED,
    format_value,
    mask_expr,
    mask_text,
    md,
    money_currency,
    money_label,
    one_line,
)

__all__ = ["ACCOUNT_PROPERTY", "one_line"]  # the core's, also read from here

_SCHEME = "://"
_WWW = "(?i)\\b(www)\\."
_WWW_RE = re.compile(_WWW)
_INVISIBLE_RE = re.compile(INVISIBLE)
_CONTROL = "[\x00-\x1f\x7f-\x9f\u2028\u2029]"
_CONTROL_RE = re.compile(_CONTROL)


def has_control(text: object) -> bool:
    """True when a value holds a line break, a tab or a control character (files write it
    as one line; the refresh reports it)."""
    return text is not None and bool(
        _CONTROL_RE.search(str(text)) or _INVISIBLE_RE.search(str(text))
    )


def _defang(text: str) -> str:
    return _WWW_RE.sub(r"\1[.]", text.replace(_SCHEME, "[:]//"))


def control_expr(column: str) -> pl.Expr:
    """``has_control`` of a text column, as an expression."""
    return pl.col(column).str.contains(_CONTROL) | pl.col(column).str.contains(INVISIBLE)


def plain_text(value: object) -> str:
    """Data as text in a file: one line, masked, URLs defanged."""
    return _defang(one_line(mask_text(None if value is None else str(value))))


def markdown_text(value: object) -> str:
    """Data inside a Markdown file: ``plain_text`` then ``md`` (no link, emphasis, tag)."""
    return md(plain_text(value))


def plain_rows(frame: pl.DataFrame, ids: tuple[str, ...] = ()) -> pl.DataFrame:
    """``frame`` with every text column as ``plain_text`` makes it; the columns in ``ids``
    (identifiers a CRM matches on) are only made one line."""

    def line(e: pl.Expr) -> pl.Expr:
        return e.str.replace_all(INVISIBLE, "").str.replace_all(BREAKS, " ").str.strip_chars()

    texts = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        line(pl.col(c)).alias(c)
        if c in ids
        else line(mask_expr(c))
        .str.replace_all(_SCHEME, "[:]//", literal=True)
        .str.replace_all(_WWW, "${1}[.]")
        .alias(c)
        for c in texts
    )


@dataclass(frozen=True)
class Column:
    """One exported column: its name in the frame, its label, and how its values read."""

    name: str
    label: str
    kind: str = "text"  # text, money, score, count, date, percent, progress4


def cell(value: object, kind: str) -> str:
    """A value as the page shows it ("$34,600", "72", "2026-03-01", "3 of 4")."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if kind == "money":
        return format_value(float(value), "money")
    if kind == "score":
        return f"{float(value):.0f}"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "percent":
        return f"{float(value):.0%}"
    if kind == "progress4":
        return f"{int(value)} of 4"
    if kind == "date":
        return value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else str(value)[:10]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(frame: pl.DataFrame, columns: list[Column]) -> tuple[list[Column], list[list[str]]]:
    present = [c for c in columns if c.name in frame.columns]
    rows = [[cell(row[c.name], c.kind) for c in present] for row in frame.iter_rows(named=True)]
    return present, rows


def markdown_table(frame: pl.DataFrame, columns: list[Column]) -> str:
    """A Markdown table with the page's labels; cells escaped (a name cannot become a link or
    break the table)."""
    present, rows = _rows(frame, columns)
    if not rows:
        return "Nothing."

    def esc(text: str) -> str:
        return md(text).replace("|", "\\|") if text != "—" else text

    lines = [
        "| " + " | ".join(c.label for c in present) + " |",
        "| "
        + " | ".join("---:" if c.kind in ("money", "score", "count") else "---" for c in present)
        + " |",
    ]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(frame: pl.DataFrame, columns: list[Column]) -> str:
    present, rows = _rows(frame, columns)
    if not rows:
        return "<p>Nothing.</p>"
    head = "".join(f"<th>{html.escape(c.label)}</th>" for c in present)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def labelled(frame: pl.DataFrame, columns: list[Column]) -> pl.DataFrame:
    """The frame for a CSV: the columns in order under their labels, values kept as values
    (numbers stay numbers) but rounded as the page reads them: money to the whole unit,
    scores to one place, percents to a tenth of a percent. A money column's label names its
    currency ("ARR (EUR)"); in a mixed portfolio each row's currency follows as a column."""
    present = [c for c in columns if c.name in frame.columns]
    rounded = {
        "money": lambda e: e.round(0).cast(pl.Int64, strict=False),
        "score": lambda e: e.round(1),
        "percent": lambda e: e.round(3),
    }
    out = frame.select(
        [
            rounded.get(c.kind, lambda e: e)(pl.col(c.name)).alias(
                money_label(c.label) if c.kind == "money" else c.label
            )
            for c in present
        ]
    )
    money = any(c.kind == "money" for c in present)
    if money and money_currency() == MIXED and "currency" in frame.columns:
        out = out.with_columns(frame["currency"].str.to_uppercase().alias("Currency"))
    return out
