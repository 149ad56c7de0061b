"""The Portfolio page's panels: each draws a part of the page's one view (``PortfolioView``)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboard.ui import charts, columns
from dashboard.ui.filters import LABELS
from dashboard.ui.links import keep_portfolio, open_account
from dashboard.ui.selection import bar_pick, on_pick, treemap_pick
from dashboard.ui.tables import account_table, show_table
from dashboard.views.portfolio import DIMENSIONS, Movers, PortfolioView

MEASURE_LABELS = {"accounts": "Accounts", "arr": "ARR"}


def health_by(view: PortfolioView, dimension: str, clicks: int) -> None:
    """Health by a dimension, as accounts or ARR; a click on a bar lists its accounts."""
    st.markdown("**Health by** — click a bar to list its accounts")
    with st.container(horizontal=True):
        st.selectbox(
            "Break down by",
            list(DIMENSIONS),
            format_func=LABELS.get,
            key="portfolio_dim",
            label_visibility="collapsed",
        )
        measure = st.segmented_control(
            "Measure",
            ["accounts", "arr"],
            key="portfolio_measure",
            format_func=MEASURE_LABELS.get,
            label_visibility="collapsed",
        )
    keep_portfolio(dimension, measure, view.pick)  # ...and back into the link
    bars = f"portfolio_bars_{clicks}"
    st.plotly_chart(
        charts.band_bars(view.mix, dimension, measure or "accounts", LABELS[dimension]),
        key=bars,
        on_select=on_pick(bars, "portfolio_pick", partial(bar_pick, dimension=dimension)),
        selection_mode="points",
    )


def arr_tiles(view: PortfolioView, clicks: int) -> None:
    """ARR by segment and band as a treemap; a click on a tile lists its accounts."""
    st.markdown("**ARR by segment and band** — click a tile to list its accounts")
    tiles = f"portfolio_treemap_{clicks}"
    if view.mixed_currencies:  # a treemap would add euros to dollars
        st.caption("Not drawn: the accounts' ARR is in several currencies with no exchange rates.")
    elif view.has_arr:
        st.plotly_chart(
            charts.arr_treemap(view.segment_mix),
            key=tiles,
            on_select=on_pick(tiles, "portfolio_pick", treemap_pick),
            selection_mode="points",
        )
    else:
        st.caption("No ARR to draw: the accounts' ARR is empty or zero in the data loaded.")


def health_over_time(view: PortfolioView) -> None:
    """ARR by band and the median health over the weekly snapshots."""
    st.markdown("**Health over time** — ARR by band and median health, weekly snapshots")
    if view.trend.height > 1:
        st.plotly_chart(charts.health_trend(view.trend))
    else:  # one point draws no area: say when the trend starts instead
        st.caption(
            f"One snapshot so far ({view.as_of}): the trend and the week-over-week "
            "changes start with the next week's."
            if view.trend.height
            else "No snapshot holds these accounts yet."
        )


def weakest_accounts(view: PortfolioView, clicks: int) -> None:
    """The accounts, weakest first (the chart's pick, if any); a row opens the account."""
    st.subheader("Accounts, weakest first")
    with st.container(horizontal=True, vertical_alignment="center"):
        shown = f"{view.accounts.height:,} of {view.in_filter:,} accounts in the filter"
        st.caption(
            f"{shown}: {view.pick.describe()} (the chart click)"
            if view.pick
            else f"All {view.in_filter:,} accounts in the filter. Sort by any column; "
            "select a row to open the account."
        )
        if view.pick and st.button(
            "Show all", icon=":material/filter_alt_off:", key="portfolio_unpick"
        ):
            st.session_state.update(portfolio_pick=None, portfolio_clicks=clicks + 1)
            st.rerun()
    selection = show_table(
        view.accounts,
        columns.portfolio_accounts(),
        key="portfolio_table",
        select=True,
        download="tandem-portfolio.csv",
        download_label="Download these accounts (CSV)",
    )
    if selection.selection.rows:
        open_account(view.accounts["account_id"][selection.selection.rows[0]])  # the view kept


def largest_movers(movers: Movers) -> None:
    """The accounts whose health moved most in the last week, each with the largest
    sentence of what changed and why; a row opens the account."""
    st.subheader("Largest movers this week")
    if movers.since is None:
        st.caption(
            "Not available: no scores were kept a week before the scores of "
            f"{movers.until or 'today'}, so there is nothing to compare with."
        )
        return
    if movers.rows.is_empty():
        st.caption(f"No account's health moved between {movers.since} and {movers.until}.")
        return
    st.caption(
        f"Health of {movers.since} against {movers.until}, the largest moves first; select a "
        "row to open the account and read all of what changed."
    )
    account_table(movers.rows, columns.portfolio_movers(), "portfolio_movers")
