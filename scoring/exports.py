"""Files people open in a spreadsheet: text that a spreadsheet would run as a formula is
neutralised (pure Polars).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM``).
As OWASP advises for CSV injection, such a text cell gets a leading apostrophe, which the
spreadsheet shows as text and does not display. Numbers and dates are left as they are:
only text columns are touched, so ``-2`` stays a number where it is one.
"""

from __future__ import annotations

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
