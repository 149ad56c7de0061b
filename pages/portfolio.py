"""Portfolio health: where health, renewals and ARR at risk concentrate (CS leaders)."""

import streamlit as st

from dashboard.store import marts
from dashboard.ui import charts
from dashboard.ui.cards import kpi_row
from dashboard.ui.filters import LABELS, current_filter
from dashboard.ui.nav import page
from dashboard.ui.queries import read
from dashboard.ui.state import today
from dashboard.ui.tables import account_columns, download_csv, with_band_labels
from dashboard.views.portfolio import portfolio_kpis

TABLE_ROWS = 200

st.title("Portfolio health")
account_filter = current_filter()
as_of = read(marts.scores_as_of)
st.caption(f"Scored as of {as_of} · one read of every account for the CSM and the AM")

kpi_row(read(portfolio_kpis, account_filter, today()))

left, right = st.columns([3, 2])
with left.container(border=True):
    st.markdown("**Health by**")
    with st.container(horizontal=True):
        dimension = st.selectbox(
            "Break down by", list(marts.DIMENSIONS), format_func=LABELS.get, key="portfolio_dim",
            label_visibility="collapsed",
        )  # fmt: skip
        measure = st.segmented_control(
            "Measure", ["accounts", "arr"], default="accounts", key="portfolio_measure",
            format_func={"accounts": "Accounts", "arr": "ARR"}.get, label_visibility="collapsed",
        )  # fmt: skip
    mix = read(marts.band_mix, account_filter, dimension)
    st.plotly_chart(charts.band_bars(mix, dimension, measure or "accounts", LABELS[dimension]))
with right.container(border=True):
    st.markdown("**ARR by segment and band**")
    st.plotly_chart(charts.arr_treemap(read(marts.band_mix, account_filter, "segment")))

with st.container(border=True):
    st.markdown("**Health over time** — ARR by band and median health, weekly snapshots")
    st.plotly_chart(charts.health_trend(read(marts.weekly_trend, account_filter)))

st.subheader("Accounts, weakest first")
table = read(marts.account_table, account_filter, None)
st.caption(
    f"{min(TABLE_ROWS, table.height):,} of {table.height:,} accounts shown; "
    "the download has them all. Select a row to open the account."
)
selection = st.dataframe(
    with_band_labels(table.head(TABLE_ROWS)),
    hide_index=True,
    placeholder="—",
    column_config=account_columns(),
    column_order=[
        "account_name",
        "segment",
        "csm_owner",
        "am_owner",
        "arr",
        "health",
        "band",
        "renewal_date",
        "top_cause",
        "top_action",
    ],  # fmt: skip
    on_select="rerun",
    selection_mode="single-row",
    key="portfolio_table",
)
download_csv(table, "tandem-portfolio.csv", "Download all accounts (CSV)")
if selection.selection.rows:
    chosen = table["account_id"][selection.selection.rows[0]]
    st.switch_page(page("account"), query_params={"account": chosen})
