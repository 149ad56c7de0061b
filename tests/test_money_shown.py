"""Money in the data's currency wherever it leaves a number: charts' axes and hover, table
downloads, digest files; amounts in several currencies with no rates are never one sum."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.text import MIXED, in_currency, money_total
from dashboard.ui import charts
from dashboard.ui.tables import TableSpec, as_shown, money_column

AS_OF = dt.date(2026, 3, 1)
MIX = pl.DataFrame(
    {
        "segment": ["SMB", "SMB", "Enterprise"],
        "band": ["red", "green", "yellow"],
        "accounts": [2, 3, 1],
        "arr": [2000.0, 9000.0, 40000.0],
    }
)
TREND = pl.DataFrame(
    {
        "as_of": [dt.date(2026, 2, 22), dt.date(2026, 3, 1)],
        "arr_red": [1000.0, 2000.0],
        "arr_yellow": [5000.0, 4000.0],
        "arr_green": [9000.0, 9000.0],
        "median_health": [61.0, 63.0],
    }
)


def _store(root, currencies: list[str]) -> Stores:
    """A hand-made portfolio: one account per currency, a CSM, an AM and a leader."""
    stores = Stores.open(root)
    n = len(currencies)
    with stores.sources.writer() as w:
        w.replace_table(
            "accounts",
            pl.DataFrame(
                {
                    "account_id": [f"a{i}" for i in range(n)],
                    "account_name": [f"A{i}" for i in range(n)],
                    "arr": [1000.0 * (i + 1) for i in range(n)],
                    "status": ["active"] * n,
                    "currency": currencies,
                    "csm_owner": ["Cam"] * n,
                    "am_owner": ["Ama"] * n,
                    "contract_start": [dt.date(2022, 1, 1)] * n,
                    "renewal_date": [dt.date(2026, 3, 20)] * n,
                }
            ),
        )
        w.replace_table(
            "owners",
            pl.DataFrame({"owner": ["Cam", "Ama", "Lee"], "role": ["csm", "am", "leader"]}),
        )
    return stores


def _hovers(fig) -> str:
    return " ".join(str(t.hovertemplate) for t in fig.data)


def test_band_and_trend_charts_show_euros_on_axes_and_hover():
    """Given EUR data, expect € before the band bars' and the trend's amounts (axis and
    hover); the band bars' hover showed a bare number and the trend none of its own."""
    with in_currency("EUR"):
        bars = charts.band_bars(MIX, "segment", "arr", "Segment")
        trend = charts.health_trend(TREND)
        counted = charts.band_bars(MIX, "segment", "accounts", "Segment")
    assert bars.layout.xaxis.tickprefix == "€" and "€%{x:,.0f}" in _hovers(bars)
    assert trend.layout.yaxis.tickprefix == "€"
    assert _hovers(trend).count("€%{y:,.0f}") == 3  # one per band's area
    assert "$" not in _hovers(bars) + _hovers(trend)
    assert "€" not in _hovers(counted) and counted.layout.xaxis.tickprefix is None


def test_charts_never_add_one_currency_to_another():
    """Given amounts in several currencies with no rates, expect no chart that sums them:
    the ARR charts say why instead, the trend keeps only the median health."""
    calendar = pl.DataFrame(
        {"month": [dt.date(2026, 4, 1)], "band": ["red"], "arr": [100.0], "accounts": [1]}
    )
    forecast = pl.DataFrame({"month": [dt.date(2026, 4, 1)], "expected_arr": [80.0]})
    weeks = calendar.rename({"month": "week"})
    ready = pl.DataFrame(
        {
            "segment": ["SMB"],
            "expansion_ready": [True],
            "expansion_window": ["now"],
            "expansion_potential": [500.0],
        }
    )
    with in_currency(MIXED):
        figures = {
            "band bars": charts.band_bars(MIX, "segment", "arr", "Segment"),
            "treemap": charts.arr_treemap(MIX),
            "renewal months": charts.renewal_months(calendar, forecast),
            "renewal weeks": charts.renewal_weeks(weeks),
            "expansion": charts.expansion_potential_bars(ready),
        }
        trend = charts.health_trend(TREND)
        counted = charts.band_bars(MIX, "segment", "accounts", "Segment")
    for name, fig in figures.items():
        assert not fig.data, name
        assert fig.layout.annotations[0].text == charts.NOT_SUMMED, name
    assert [t.name for t in trend.data] == ["median health"]
    assert "several currencies" in trend.layout.title.text
    assert counted.data  # accounts are counted, whatever their currency


def test_a_table_download_names_the_currency_of_its_money_columns():
    """Given a table with ARR, expect its CSV heading "ARR (EUR)" for EUR data (the CSV had
    a bare "ARR"), and for several currencies the account's currency as a column."""
    frame = pl.DataFrame(
        {
            "account_name": ["A", "B"],
            "arr": [1000.0, 2500.0],
            "seats": [3, 4],
            "currency": ["eur", "usd"],
        }
    )

    def spec() -> TableSpec:
        return TableSpec(
            ["account_name", "arr", "seats"],
            {
                "account_name": st.column_config.TextColumn("Account"),
                "arr": money_column("ARR"),
                "seats": st.column_config.NumberColumn("Seats", format="%d"),
            },
        )

    with in_currency("EUR"):
        eur = as_shown(frame, spec())
    with in_currency(MIXED):
        mixed = as_shown(frame, spec())
    assert eur.columns == ["Account", "ARR (EUR)", "Seats"]
    assert mixed.columns == ["Account", "ARR (the account’s currency)", "Seats", "Currency"]
    assert mixed["Currency"].to_list() == ["EUR", "USD"]
    assert mixed["ARR (the account’s currency)"].to_list() == [1000.0, 2500.0]


def test_money_total_of_several_currencies_is_each_currencys_sum():
    amounts = pl.Series([1000.0, 2000.0, 500.0])
    currencies = pl.Series(["USD", "EUR", "eur"])
    with in_currency(MIXED):
        assert money_total(amounts, currencies) == (
            "€2,500 + $1,000 (not summed: no exchange rates)"
        )
    with in_currency("EUR"):
        assert money_total(amounts, currencies) == "€3,500"


def test_a_eur_portfolios_digest_files_name_euros(tmp_path):
    """Given a hand-made all-EUR portfolio, expect the digests' CSV heading "ARR (EUR)" and
    their Markdown in € (the leader's book total too), never $."""
    stores = _store(tmp_path / "s", ["EUR", "EUR", "EUR"])
    result = refresh(stores, AS_OF, tmp_path, currency="USD")
    csvs = [p.read_text() for p in result.digests if p.suffix == ".csv"]
    markdown = " ".join(p.read_text() for p in result.digests if p.suffix == ".md")
    assert csvs and all(text.splitlines()[0].split(",")[2] == "ARR (EUR)" for text in csvs)
    assert "The book: 3 accounts, €6,000 ARR" in markdown
    assert "$" not in markdown + " ".join(csvs)


def test_a_mixed_portfolios_digests_never_sum_currencies(tmp_path):
    """Given a USD and an EUR account and no rates, expect the leader's book ARR per currency
    (it was one sum, "3,000 in mixed currencies"), each account's amount in its own currency
    (it was "1,000 in mixed currencies") and each CSV row with its currency."""
    stores = _store(tmp_path / "s", ["USD", "EUR"])
    result = refresh(stores, AS_OF, tmp_path, currency="USD")
    files = {p.name.rsplit("-", 1)[1]: p for p in result.digests}
    leader, csm = files["leader.md"].read_text(), files["csm.md"].read_text()
    assert "The book: 2 accounts, €2,000 + $1,000 (not summed: no exchange rates) ARR" in leader
    assert "3,000" not in leader
    assert "(a0, $1,000," in csm and "(a1, €2,000," in csm and "mixed" not in csm
    csv = files["csm.csv"].read_text().splitlines()
    assert csv[0].split(",")[2] == "ARR (the account’s currency)" and csv[0].endswith(",Currency")
    assert [line.rsplit(",", 1)[1] for line in csv[1:]] == ["USD", "EUR"]


def test_account_tables_of_several_currencies_show_each_accounts_currency(tmp_path):
    """Given USD and EUR accounts and no rates, expect the accounts tables to carry each
    account's currency beside its ARR (the ARR column has no one sign to show), and a
    one-currency portfolio's tables no such column."""
    from dashboard.store.filters import AccountFilter
    from dashboard.store.marts import account_table
    from dashboard.ui import columns

    stores = _store(tmp_path / "s", ["USD", "EUR"])
    refresh(stores, AS_OF, tmp_path, currency="USD", digests=False)
    table = account_table(stores.sources, AccountFilter())
    assert dict(table.select("account_id", "currency").iter_rows()) == {"a0": "USD", "a1": "EUR"}
    with in_currency(MIXED):
        mixed = columns.portfolio_accounts()
    with in_currency("EUR"):
        eur = columns.portfolio_accounts()
    assert mixed.order[mixed.order.index("arr") + 1] == "currency"
    assert mixed.config["currency"]["label"] == "Currency"
    assert "currency" not in eur.order
