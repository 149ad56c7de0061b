"""Portfolio health: where health, renewals and ARR at risk concentrate (CS leaders)."""

import streamlit as st

from dashboard.ui import charts, columns
from dashboard.ui.cards import kpi_row, verdict_line
from dashboard.ui.filters import LABELS, current_filter
from dashboard.ui.links import keep_portfolio, open_account, seed_portfolio
from dashboard.ui.queries import shared
from dashboard.ui.selection import bar_pick, on_pick, treemap_pick
from dashboard.ui.state import today
from dashboard.ui.tables import show_table
from dashboard.views.portfolio import DIMENSIONS, portfolio_view

st.title("Portfolio health")
seed_portfolio()  # the breakdown, measure and chart pick of the link, or as last seen
dimension = st.session_state.get("portfolio_dim", "segment")
clicks = st.session_state.setdefault("portfolio_clicks", 0)  # a new chart key clears its pick
view = shared(
    portfolio_view, current_filter(), today(), dimension, st.session_state.get("portfolio_pick")
)
st.caption(f"Scored as of {view.as_of} · one read of every account for the CSM and the AM")
verdict_line(view.verdict)
kpi_row(view.cards)
if view.money_note:  # a conversion's rates and their date, or why totals stay per currency
    st.caption(view.money_note)

left, right = st.columns([3, 2])
with left.container(border=True):
    st.markdown("**Health by** — click a bar to list its accounts")
    with st.container(horizontal=True):
        st.selectbox("Break down by", list(DIMENSIONS), format_func=LABELS.get, key="portfolio_dim",
                     label_visibility="collapsed")  # fmt: skip
        measure = st.segmented_control(
            "Measure", ["accounts", "arr"], key="portfolio_measure",
            format_func={"accounts": "Accounts", "arr": "ARR"}.get, label_visibility="collapsed",
        )  # fmt: skip
    keep_portfolio(dimension, measure, view.pick)  # ...and back into the link
    bars = f"portfolio_bars_{clicks}"
    st.plotly_chart(charts.band_bars(view.mix, dimension, measure or "accounts", LABELS[dimension]),
                    key=bars, on_select=on_pick(bars, "portfolio_pick", lambda p: bar_pick(p, dimension)),
                    selection_mode="points")  # fmt: skip
with right.container(border=True):
    st.markdown("**ARR by segment and band** — click a tile to list its accounts")
    tiles = f"portfolio_treemap_{clicks}"
    if view.mixed_currencies:  # a treemap would add euros to dollars
        st.caption("Not drawn: the accounts' ARR is in several currencies with no exchange rates.")
    elif view.has_arr:
        st.plotly_chart(charts.arr_treemap(view.segment_mix), key=tiles,
                        on_select=on_pick(tiles, "portfolio_pick", treemap_pick), selection_mode="points")  # fmt: skip
    else:
        st.caption("No ARR to draw: the accounts' ARR is empty or zero in the data loaded.")

with st.container(border=True):
    st.markdown("**Health over time** — ARR by band and median health, weekly snapshots")
    if view.trend.height > 1:
        st.plotly_chart(charts.health_trend(view.trend))
    else:  # one point draws no area: say when the trend starts instead
        st.caption(f"One snapshot so far ({view.as_of}): the trend and the week-over-week "
                   "changes start with the next week's." if view.trend.height else
                   "No snapshot holds these accounts yet.")  # fmt: skip

st.subheader("Accounts, weakest first")
with st.container(horizontal=True, vertical_alignment="center"):
    shown = f"{view.accounts.height:,} of {view.in_filter:,} accounts in the filter"
    st.caption(f"{shown}: {view.pick.describe()} (the chart click)" if view.pick else
               f"All {view.in_filter:,} accounts in the filter. Sort by any column; select a row to open the account.")  # fmt: skip
    if view.pick and st.button(
        "Show all", icon=":material/filter_alt_off:", key="portfolio_unpick"
    ):
        st.session_state.update(portfolio_pick=None, portfolio_clicks=clicks + 1)
        st.rerun()
selection = show_table(view.accounts, columns.portfolio_accounts(), key="portfolio_table", select=True,
                       download="tandem-portfolio.csv", download_label="Download these accounts (CSV)")  # fmt: skip
if selection.selection.rows:
    open_account(view.accounts["account_id"][selection.selection.rows[0]])  # the view kept
