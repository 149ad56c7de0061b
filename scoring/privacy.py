"""PII in free text: e-mail addresses and phone numbers are masked by default (pure Polars)."""

from __future__ import annotations

import re

import polars as pl

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
