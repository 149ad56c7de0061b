"""Portfolio health: where health, renewals and ARR at risk concentrate (CS leaders)."""

import streamlit as st

from dashboard.ui import charts, columns
from dashboard.ui.cards import kpi_row
from dashboard.ui.filters import LABELS, current_filter
from dashboard.ui.nav import page
from dashboard.ui.queries import read
from dashboard.ui.state import today
from dashboard.ui.tables import show_table
from dashboard.views.portfolio import DIMENSIONS, portfolio_view

TABLE_ROWS = 200

st.title("Portfolio health")
dimension = st.session_state.get("portfolio_dim", "segment")
view = read(portfolio_view, current_filter(), today(), dimension)
st.caption(f"Scored as of {view.as_of} · one read of every account for the CSM and the AM")
kpi_row(view.cards)

left, right = st.columns([3, 2])
with left.container(border=True):
    st.markdown("**Health by**")
    with st.container(horizontal=True):
        st.selectbox("Break down by", list(DIMENSIONS), format_func=LABELS.get, key="portfolio_dim",
                     label_visibility="collapsed")  # fmt: skip
        measure = st.segmented_control(
            "Measure", ["accounts", "arr"], default="accounts", key="portfolio_measure",
            format_func={"accounts": "Accounts", "arr": "ARR"}.get, label_visibility="collapsed",
        )  # fmt: skip
    st.plotly_chart(charts.band_bars(view.mix, dimension, measure or "accounts", LABELS[dimension]))
with right.container(border=True):
    st.markdown("**ARR by segment and band**")
    st.plotly_chart(charts.arr_treemap(view.segment_mix))

with st.container(border=True):
    st.markdown("**Health over time** — ARR by band and median health, weekly snapshots")
    st.plotly_chart(charts.health_trend(view.trend))

st.subheader("Accounts, weakest first")
table = view.accounts
st.caption(
    f"{min(TABLE_ROWS, table.height):,} of {table.height:,} accounts shown; "
    "the download has them all. Select a row to open the account."
)
selection = show_table(
    table,
    columns.portfolio_accounts(),
    key="portfolio_table",
    select=True,
    rows=TABLE_ROWS,
    download="tandem-portfolio.csv",
    download_label="Download all accounts (CSV)",
)
if selection.selection.rows:
    chosen = table["account_id"][selection.selection.rows[0]]
    st.switch_page(page("account"), query_params={"account": chosen})
