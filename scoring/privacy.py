"""PII in free text: e-mail addresses and phone numbers are masked by default (pure Polars)."""

from __future__ import annotations

import polars as pl

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# +44 20 7946 0958, (415) 555-0100, 415.555.0100: nine or more digits with spaces, dots,
# dashes or brackets between them. An ISO date has eight digits; amounts use commas, which are
# not phone separators.
PHONE = r"(?:\+|00)?(?:\d[\s().-]{0,2}){8,}\d"
EMAIL_MASK = "[e-mail hidden]"
PHONE_MASK = "[phone hidden]"
# Free-text columns that may carry PII, wherever they appear.
FREE_TEXT = (
    "summary", "respondent", "evidence", "note", "decision", "commercial_plan_note", "detail",
    "subject", "contact", "email", "phone",
)  # fmt: skip


def mask_expr(column: str) -> pl.Expr:
    """The column with e-mail addresses and phone numbers replaced by placeholders."""
    return (
        pl.col(column)
        .str.replace_all(EMAIL, EMAIL_MASK)
        .str.replace_all(PHONE, PHONE_MASK)
        .alias(column)
    )


def mask_pii(frame: pl.DataFrame, columns: tuple[str, ...] = FREE_TEXT) -> pl.DataFrame:
    """Mask the free-text columns of ``frame`` that exist and hold strings."""
    present = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    return frame.with_columns([mask_expr(c) for c in present]) if present else frame
