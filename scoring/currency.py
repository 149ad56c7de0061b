"""Money in the data's currency (pure Polars): each account keeps its currency; a portfolio in
one currency is shown in it; one in several is converted to the reporting currency with the
rates a person provides, or, without a rate for every currency, is *mixed*: its totals are
shown per currency, never summed into one figure."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import polars as pl

col = pl.col
MIXED = "mixed"  # the currency of a figure that sums several currencies (dashboard.text.MIXED)
MONEY_COLUMNS = ("arr", "amount_overdue")  # the feature columns that hold money


@dataclass(frozen=True)
class MoneyBasis:
    """The currencies of a portfolio and how its money is shown."""

    reporting: str  # TANDEM_CURRENCY: an account with no currency is in it
    currencies: tuple[str, ...]  # every account's currency, sorted
    rates: dict[str, tuple[float, dt.date]] = field(default_factory=dict)  # used to convert
    missing_rates: tuple[str, ...] = ()  # currencies with no rate: not converted

    @property
    def converted(self) -> bool:
        """Several currencies, each with a rate to the reporting currency: converted."""
        return len(self.currencies) > 1 and not self.missing_rates

    @property
    def shown(self) -> str:
        """The currency every total is in: the one currency, the reporting one after a
        conversion, or ``MIXED`` (several, not converted)."""
        if len(self.currencies) == 1:
            return self.currencies[0]
        if not self.currencies:
            return self.reporting
        return self.reporting if self.converted else MIXED

    def rates_json(self) -> str:
        """The rates used (currency → rate to the reporting currency), as JSON; "" unconverted."""
        if not self.converted:
            return ""
        return json.dumps({c: rate for c, (rate, _) in sorted(self.rates.items())})

    def note(self) -> str | None:
        """What the pages say about the money: the conversion and its rates' dates, or why
        totals are not summed; nothing for a portfolio in one currency."""
        if self.converted:
            used = ", ".join(
                f"1 {c} = {rate:g} {self.reporting} ({day})"
                for c, (rate, day) in sorted(self.rates.items())
                if c != self.reporting
            )
            return f"Money converted to {self.reporting} at the rates of TANDEM_FX_RATES: {used}."
        if self.shown == MIXED:
            return (
                f"The accounts are in {len(self.currencies)} currencies "
                f"({', '.join(self.currencies)}) and there is no rate to {self.reporting} for "
                f"{', '.join(self.missing_rates)}: totals are shown per currency, not summed. "
                "Set TANDEM_FX_RATES to a CSV of currency,rate_to_reporting,rate_date to "
                "convert them."
            )
        return None


def account_currencies(accounts: pl.DataFrame, reporting: str) -> pl.DataFrame:
    """``account_id``, ``currency``: each account's currency, upper-cased; none is the
    reporting currency."""
    currency = (
        col("currency").cast(pl.String).str.strip_chars().str.to_uppercase()
        if "currency" in accounts.columns
        else pl.lit(None, pl.String)
    )
    return accounts.select(
        "account_id", currency=pl.when(currency != "").then(currency).fill_null(reporting)
    )


def money_basis(
    currencies: pl.DataFrame, reporting: str, rates: pl.DataFrame | None = None
) -> MoneyBasis:
    """The basis of a portfolio whose accounts are in ``currencies`` (``account_currencies``),
    given ``rates`` (``currency``, ``rate_to_reporting``, ``rate_date``; the reporting
    currency needs none)."""
    found = tuple(sorted(currencies["currency"].unique().drop_nulls().to_list()))
    known: dict[str, tuple[float, dt.date]] = {reporting: (1.0, dt.date.min)}
    if rates is not None:
        for row in rates.iter_rows(named=True):  # a few currencies, not accounts
            known[row["currency"]] = (float(row["rate_to_reporting"]), row["rate_date"])
    missing = tuple(c for c in found if c not in known)
    used = {c: known[c] for c in found if c in known and c != reporting}
    return MoneyBasis(reporting, found, used, missing)


def to_reporting(frame: pl.DataFrame, currencies: pl.DataFrame, basis: MoneyBasis) -> pl.DataFrame:
    """``frame`` (one row per account, ``account_id``) with its money columns in the
    reporting currency when the basis converts; unchanged otherwise (one currency, or mixed:
    each amount stays in its account's currency)."""
    if not basis.converted or frame.is_empty():
        return frame
    codes = [*basis.rates, basis.reporting]
    values = [rate for rate, _ in basis.rates.values()] + [1.0]
    rates = pl.DataFrame(
        {"currency": codes, "_rate": values}, schema={"currency": pl.String, "_rate": pl.Float64}
    )
    rate_of = currencies.join(rates, on="currency", how="left").select("account_id", "_rate")
    present = [c for c in MONEY_COLUMNS if c in frame.columns]
    return (
        frame.join(rate_of, on="account_id", how="left")
        .with_columns([(col(c) * col("_rate")).alias(c) for c in present])
        .drop("_rate")
    )


def figures_currency(currencies: pl.DataFrame, basis: MoneyBasis) -> pl.DataFrame:
    """``account_id``, ``currency``: the currency each account's money figures are in once
    scored: the reporting currency after a conversion, else the account's own."""
    if basis.converted:
        return currencies.with_columns(currency=pl.lit(basis.reporting))
    return currencies


def retention_in_reporting(
    accounts: pl.DataFrame, outcomes: pl.DataFrame, rates: dict[str, float], reporting: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The retention KPIs' inputs (accounts with ``arr`` and ``currency``, outcomes with
    ``arr_change``) in the reporting currency, at ``rates`` (currency → rate to it; an
    account with no currency is in the reporting currency)."""
    codes = account_currencies(accounts, reporting)
    table = pl.DataFrame(
        {"currency": [*rates, reporting], "_rate": [*rates.values(), 1.0]},
        schema={"currency": pl.String, "_rate": pl.Float64},
    ).unique("currency", keep="first")
    rate_of = codes.join(table, on="currency", how="left").select("account_id", "_rate")
    converted = accounts.join(rate_of, on="account_id", how="left").with_columns(
        arr=col("arr") * col("_rate")
    )
    moved = outcomes.join(rate_of, on="account_id", how="left").with_columns(
        arr_change=col("arr_change") * col("_rate")
    )
    return converted.drop("_rate"), moved.drop("_rate")
