"""Tables as people take them to a meeting: the page's labels, units and rounding, in
Markdown or in a print-ready HTML page. A CSV keeps the raw values; these are for reading."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import polars as pl

from dashboard.text import format_value, md


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

    lines = ["| " + " | ".join(c.label for c in present) + " |",
             "| " + " | ".join("---:" if c.kind in ("money", "score", "count") else "---" for c in present) + " |"]  # fmt: skip
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
    (numbers stay numbers) but rounded as the page reads them: money to the dollar, scores to
    one place, percents to a tenth of a percent."""
    present = [c for c in columns if c.name in frame.columns]
    rounded = {
        "money": lambda e: e.round(0).cast(pl.Int64, strict=False),
        "score": lambda e: e.round(1),
        "percent": lambda e: e.round(3),
    }
    return frame.select(
        [rounded.get(c.kind, lambda e: e)(pl.col(c.name)).alias(c.label) for c in present]
    )
