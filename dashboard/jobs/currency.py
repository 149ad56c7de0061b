"""The money basis of a refresh: each account's currency, the reporting currency
(``TANDEM_CURRENCY``) and the exchange rates a person provides (``TANDEM_FX_RATES``, a CSV of
``currency,rate_to_reporting,rate_date``)."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import polars as pl

from dashboard.store.marts import account_currency_rows
from dashboard.store.sources import SourceStore
from scoring.currency import MoneyBasis, account_currencies, money_basis

RATE_COLUMNS = ("currency", "rate_to_reporting", "rate_date")


class FxRatesError(ValueError):
    """The rates file cannot be used; the message names the file, row and column."""


def _problem(value: str, column: str) -> str | None:
    """What is wrong with one cell of the rates file, or None."""
    if column == "currency":
        return None if re.fullmatch(r"[A-Za-z]{3}", value) else "is not a 3-letter currency code"
    if column == "rate_to_reporting":
        try:
            rate = float(value)
        except ValueError:
            return "is not a number"
        return None if math.isfinite(rate) and rate > 0 else "is not a positive number"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return "is not a date (YYYY-MM-DD)"
    return None


def read_fx_rates(path: Path) -> pl.DataFrame:
    """The rates of ``path``: one row per currency (its latest ``rate_date``), or
    ``FxRatesError`` naming the file, the row (numbered as a spreadsheet does, the header is
    row 1) and the column of every bad cell."""
    if not path.is_file():
        raise FxRatesError(f"{path}: no such file (TANDEM_FX_RATES)")
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise FxRatesError(f"{path.name}: not a readable CSV ({exc})") from exc
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    absent = [c for c in RATE_COLUMNS if c not in raw.columns]
    if absent:
        raise FxRatesError(
            f"{path.name}: no column {', '.join(absent)} (the header must name "
            f"{', '.join(RATE_COLUMNS)})"
        )
    problems = []
    for number, row in enumerate(raw.select(RATE_COLUMNS).iter_rows(named=True), start=2):
        for column in RATE_COLUMNS:  # a rates file holds a few rows: read as a person would
            value = (row[column] or "").strip()
            wrong = _problem(value, column)
            if wrong:
                problems.append(f"{path.name}, row {number}, column {column}: {value!r} {wrong}")
    if problems:
        raise FxRatesError("; ".join(problems))
    rates = raw.select(
        currency=pl.col("currency").str.strip_chars().str.to_uppercase(),
        rate_to_reporting=pl.col("rate_to_reporting").str.strip_chars().cast(pl.Float64),
        rate_date=pl.col("rate_date").str.strip_chars().str.to_date("%Y-%m-%d"),
    )
    return rates.sort("rate_date").group_by("currency", maintain_order=True).last()


def money_plan(
    store: SourceStore, reporting: str, fx_rates: Path | None
) -> tuple[MoneyBasis, pl.DataFrame]:
    """The portfolio's money basis and each account's currency (``account_id``,
    ``currency``; none is the reporting currency)."""
    currencies = account_currencies(account_currency_rows(store), reporting)
    rates = read_fx_rates(fx_rates) if fx_rates else None
    return money_basis(currencies, reporting, rates), currencies
