"""Text that leaves Tandem, in one place: numbers as people read them, data shown through
Markdown escaped, chart labels kept plain, and CSV cells neutralised.

Formulas: text that a spreadsheet would run as a formula is neutralised (pure Polars).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM``).
As OWASP advises for CSV injection, such a text cell gets a leading apostrophe, which the
spreadsheet shows as text and does not display. Numbers and dates are left as they are:
only text columns are touched, so ``-2`` stays a number where it is one.
"""

from __future__ import annotations

import re

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run prefixed by ``'``."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


def to_csv(frame: pl.DataFrame) -> str:
    """The frame as CSV text that is safe to open in a spreadsheet."""
    return neutralise_formulas(frame).write_csv()


# -- numbers as people read them ----------------------------------------------------------------
def format_value(value: float | None, kind: str) -> str:
    """A KPI's value: ``money`` ($1.25M, $34,600), ``ratio`` (92.5%), ``score`` (71.3),
    ``count`` (1,234); missing is an em dash."""
    if value is None or value != value:  # None or NaN
        return "—"
    if kind == "money":
        return f"${value / 1e6:,.2f}M" if abs(value) >= 1e6 else f"${value:,.0f}"
    if kind == "ratio":
        return f"{value:.1%}"
    if kind == "score":
        return f"{value:.1f}"
    return f"{value:,.0f}"


# -- data shown through Markdown and charts ----------------------------------------------------
# what can make a link, an image, HTML, emphasis, a table, math or a Streamlit directive
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!|~$:#])")


def md(text: object) -> str:
    """Data made safe inside Markdown: every character that could start a link, an image, a
    tag, emphasis, a table, math (``$``) or a Streamlit directive (``:red[…]``, ``:icon:``) is
    escaped, and ``www.`` cannot autolink, so ``![x](http://…)`` shows as written and loads
    nothing; newlines become spaces. A missing value is an em dash."""
    if text is None:
        return "—"
    flat = " ".join(str(text).split())
    if not flat:
        return "—"
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
    escaped = re.sub(r"(?i)\bwww\.", lambda m: m.group(0)[:-1] + "\\.", escaped)
    escaped = re.sub(r"^(\d+)\.", r"\1\\.", escaped)  # no numbered list at the start
    return re.sub(r"^([-+=])", r"\\\1", escaped)  # nor a bullet or a heading line


def plain_label(text: object) -> str:
    """A chart label that Plotly shows as text: its tags (``<a href>``, ``<b>``) are escaped
    as HTML entities, which Plotly draws as the characters they stand for."""
    if text is None:
        return ""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_labels(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """``plain_label`` applied to text columns of a frame a chart draws."""
    present = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    return frame.with_columns(
        pl.col(c)
        .str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
        for c in present
    )


# -- errors in plain words ----------------------------------------------------------------------
def plain_errors(exc: Exception) -> str:
    """A pydantic validation error as sentences people read: "field: what is wrong"; any
    other error as its own first line."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    parts = []
    for error in errors():
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__")
        parts.append(message if not where or message.startswith(where) else f"{where}: {message}")
    return "; ".join(parts)


# -- the score's verdict on the organisation's own history ---------------------------------------
SCORE_LAB = "the Score lab"  # where every verdict line points (a page links it)
VERDICT_CLAUSES: dict[str, str] = {  # what the active scorecard's health did on the history
    "inverse": "ranks churn backwards on your own history (red accounts churned less than "
    "green ones)",
    "no_evidence": "shows no evidence of predicting churn on your own history (a coin toss)",
    "no_outcomes": "cannot be checked on your own history: it holds no churn, or no account "
    "that stayed, after its snapshots",
}


def verdict_line(
    verdict: str | None,
    scorecard: str,
    auc: float | None = None,
    interval: tuple[float | None, float | None] = (None, None),
    lab: str = SCORE_LAB,
) -> str | None:
    """The one line every page and digest that shows health-derived bands or money carries
    when the active scorecard does not predict churn here (``inverse``, ``no_evidence``,
    ``no_outcomes``); None when it does (``predictive``) or was never checked. ``lab`` is
    the Score lab as the medium links it (a Markdown link on a page, an address in a
    message); ``scorecard`` comes escaped for the medium (``md`` on a page)."""
    if verdict not in VERDICT_CLAUSES:
        return None
    lo, hi = interval
    figures = (
        f" (AUC {auc:.3f}, 95 % interval {lo:.3f}–{hi:.3f})"
        if auc is not None and lo is not None and hi is not None
        else ""
    )
    return (
        f"Health from scorecard '{scorecard}'{figures} {VERDICT_CLAUSES[verdict]}: read its "
        f"bands and the ARR counted from them as unchecked, not as a forecast; no churn "
        f"probability is shown. See {lab}."
    )
