"""The core: the shared vocabulary (bands, components, "no data", verdict words) and text that
leaves Tandem, in one place: numbers as people read them, data shown through Markdown escaped,
chart labels kept plain, CSV cells neutralised, and e-mail addresses and phone numbers masked.
Every layer may read this module, scoring included; it reads nothing of ours but the glossary.

The glossary: every business concept once (bands and their thresholds, the components, at
risk, the windows, churn horizon, the middle, "no data") is defined in ``scoring/glossary.py``
(pure constants and Polars expressions, importing nothing) and re-exported here, the core every
layer may read: a page, a panel or a digest takes its words and numbers from here, never
writes them out.

Formulas: text that a spreadsheet would run as a formula is neutralised (pure Polars).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM``).
As OWASP advises for CSV injection, such a text cell gets a leading apostrophe, which the
spreadsheet shows as text and does not display. Numbers and dates are left as they are:
only text columns are touched, so ``-2`` stays a number where it is one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import polars as pl

from scoring.glossary import (  # noqa: F401  (re-exported: the glossary, for every layer)
    ACTIVE_USER_DAYS,
    AT_RISK,
    AT_RISK_REASON,
    AT_RISK_TITLE,
    BAND_ORDER,
    BANDS,
    CALL_FREEZE_DAYS,
    CHURN_HORIZON_DAYS,
    CHURN_RISK_HELP,
    CHURN_RISK_LABEL,
    CHURNED,
    COMPONENTS,
    GREEN_FROM,
    IN_WINDOW,
    MIDDLE_HIGH,
    MIDDLE_LOW,
    NO_DATA,
    OUTCOME_DAYS,
    RED_BELOW,
    RENEWAL_BUCKETS,
    RENEWAL_WINDOW_DAYS,
    RENEWAL_WINDOWS,
    RISK_TERMS,
    TICKET_DAYS,
    TOUCH_DAYS,
    VALUE_VALIDATION,
    WITHIN_WINDOW,
    arr_on,
    band_rule,
    churn_dates,
    days,
)

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
# Money is shown in the data's currency: the one every account carries, or the reporting
# currency (TANDEM_CURRENCY) the amounts were converted to. A portfolio in several currencies
# with no rates to convert them is MIXED: its totals are never summed into one figure.
CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "KRW": "₩",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "BRL": "R$",
    "MXN": "MX$",
    "ILS": "₪",
}
MIXED = "mixed"  # several currencies, not converted
_MONEY: ContextVar[str] = ContextVar("tandem_money_currency", default="USD")


def money_currency() -> str:
    """The currency money is shown in where none is given: the data's (``use_currency``)."""
    return _MONEY.get()


def use_currency(currency: str | None) -> None:
    """Show money in ``currency`` from now on in this run (a page run, a refresh)."""
    _MONEY.set((currency or "USD").upper() if currency != MIXED else MIXED)


@contextmanager
def in_currency(currency: str | None) -> Iterator[None]:
    """Show money in ``currency`` inside the block, then as before."""
    token = _MONEY.set((currency or "USD").upper() if currency != MIXED else MIXED)
    try:
        yield
    finally:
        _MONEY.reset(token)


def money_symbol(currency: str | None = None) -> str:
    """What goes before an amount: "$", "€", "CHF " for a code without a sign, "" when mixed."""
    code = currency or money_currency()
    if code == MIXED:
        return ""
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def format_money(value: float | None, currency: str | None = None) -> str:
    """An amount as people read it: "$34,600", "€1.25M", "CHF 900"; an amount of several
    currencies not converted says so ("34,600 in mixed currencies") instead of passing for
    one currency. Missing is an em dash. The one money format of pages, digests and exports."""
    if value is None or value != value:  # None or NaN
        return "—"
    code = currency or money_currency()
    sign = "-" if value < 0 else ""
    number = f"{abs(value) / 1e6:,.2f}M" if abs(value) >= 1e6 else f"{abs(value):,.0f}"
    if code == MIXED:
        return f"{sign}{number} in mixed currencies"
    return f"{sign}{money_symbol(code)}{number}"


def money_label(label: str, currency: str | None = None) -> str:
    """A money column's heading with its currency, for a file that leaves Tandem (a CSV has
    no sign beside each amount): "ARR (EUR)"; a mixed portfolio's per-account amounts are
    "ARR (the account's currency)" beside a currency column."""
    code = currency or money_currency()
    return f"{label} ({'the account’s currency' if code == MIXED else code})"


def money_total(amounts: pl.Series, currencies: pl.Series | None = None) -> str:
    """The sum of ``amounts`` as people read it; in a mixed portfolio, each currency's sum
    apart ("€2,500 + $1,000 (not summed: no exchange rates)"), never one figure."""
    if money_currency() != MIXED or currencies is None:
        return format_money(float(amounts.sum()) if amounts.len() else 0.0)
    sums = (
        pl.DataFrame({"amount": amounts, "currency": currencies.str.to_uppercase()})
        .group_by("currency")
        .agg(pl.col("amount").sum())
        .sort("amount", descending=True)
    )
    parts = [format_money(a, c or "USD") for c, a in sums.iter_rows()]
    return " + ".join(parts) + " (not summed: no exchange rates)"


def month_name(month: dt.date) -> str:
    """A month as people say it: "March 2026"."""
    return month.strftime("%B %Y")


def format_value(value: float | None, kind: str, currency: str | None = None) -> str:
    """A KPI's value: ``money`` ($1.25M, €34,600: ``format_money`` in ``currency``, else the
    data's), ``ratio`` (92.5%), ``score`` (71.3), ``count`` (1,234); missing is an em dash."""
    if value is None or value != value:  # None or NaN
        return "—"
    if kind == "money":
        return format_money(value, currency)
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


# -- PII in free text: e-mail addresses and phone numbers are masked by default (pure Polars) -----
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# +44 20 7946 0958, (415) 555-0100, 415.555.0100: nine or more digits with spaces, dots,
# dashes or brackets between them. An ISO date has eight digits; amounts use commas, which are
# not phone separators.
PHONE = r"(?:\+|00)?(?:\d[\s().-]{0,2}){8,}\d"
EMAIL_MASK = "[e-mail hidden]"
PHONE_MASK = "[phone hidden]"
# Characters that show nothing but can hide an address from the patterns above
# (``jane\x00@acme.io``, ``jane\u200b@acme.io``): control characters other than tab and line
# breaks, the soft hyphen, zero-width spaces, direction marks, the word joiner, the byte-order
# mark and the bidirectional embeddings, overrides and isolates. They are removed before
# masking. The zero-width (non-)joiner is removed only beside ASCII: between emoji or letters of
# other scripts it is part of how they are written.
INVISIBLE = (
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_JOINER_BEFORE = "([\x21-\x7e])[\u200c\u200d]+"
_JOINER_AFTER = "[\u200c\u200d]+([\x21-\x7e])"
# Free-text columns that may carry PII, wherever they appear.
FREE_TEXT = (
    "summary",
    "respondent",
    "evidence",
    "note",
    "decision",
    "commercial_plan_note",
    "detail",
    "subject",
    "contact",
    "email",
    "phone",
)


def mask_expr(column: str) -> pl.Expr:
    """The column with e-mail addresses and phone numbers replaced by placeholders."""
    return (
        pl.col(column)
        .str.replace_all(INVISIBLE, "")
        .str.replace_all(_JOINER_BEFORE, "${1}")
        .str.replace_all(_JOINER_AFTER, "${1}")
        .str.replace_all(EMAIL, EMAIL_MASK)
        .str.replace_all(PHONE, PHONE_MASK)
        .alias(column)
    )


def mask_pii(frame: pl.DataFrame, columns: tuple[str, ...] = FREE_TEXT) -> pl.DataFrame:
    """Mask the free-text columns of ``frame`` that exist and hold strings."""
    present = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    return frame.with_columns([mask_expr(c) for c in present]) if present else frame


_INVISIBLE, _EMAIL, _PHONE = re.compile(INVISIBLE), re.compile(EMAIL), re.compile(PHONE)
_JOINERS = (re.compile(_JOINER_BEFORE), re.compile(_JOINER_AFTER))


def mask_text(text: str | None) -> str | None:
    """One text masked as ``mask_expr`` masks a column (for titles and names outside frames)."""
    if text is None:
        return None
    visible = _INVISIBLE.sub("", text)
    for joiner in _JOINERS:
        visible = joiner.sub(r"\1", visible)
    return _PHONE.sub(PHONE_MASK, _EMAIL.sub(EMAIL_MASK, visible))


# -- one line of text, and an account named in the files Tandem writes ---------------------------
ACCOUNT_PROPERTY = "X-TANDEM-ACCOUNT-ID"  # names an event's account in a calendar, exact
# runs of whitespace, line breaks of every kind (CR, LF, NEL, U+2028/9) and control characters
BREAKS = "[\\s\x00-\x1f\x7f-\x9f\u2028\u2029]+"
_BREAKS_RE = re.compile(BREAKS)


def one_line(text: object) -> str:
    """A value as one line of text: line breaks, tabs and control characters become one
    space, invisible characters go; ``None`` is empty."""
    if text is None:
        return ""
    return _BREAKS_RE.sub(" ", _INVISIBLE.sub("", str(text))).strip()


def markdown_id(account_id: object) -> str:
    """An account id inside a digest line: escaped as Markdown, its commas too, so the line
    ``- **NAME** (ID, …`` reads back exactly (``workflows/gdpr.py`` finds an account by it)."""
    return md(one_line(account_id)).replace(",", "\\,")
