"""Portfolio health: where health, renewals and ARR at risk concentrate (CS leaders)."""

import streamlit as st

from dashboard.ui import queries
from dashboard.ui.cards import kpi_row, verdict_line
from dashboard.ui.filters import current_filter
from dashboard.ui.links import seed_portfolio
from dashboard.ui.onboarding_panels import onboarding_panel
from dashboard.ui.portfolio_panels import (
    arr_tiles,
    health_by,
    health_over_time,
    largest_movers,
    weakest_accounts,
)
from dashboard.ui.state import today
from dashboard.views.portfolio import portfolio_movers, portfolio_view

st.title("Portfolio health")
seed_portfolio()  # the breakdown, measure and chart pick of the link, or as last seen
dimension = st.session_state.get("portfolio_dim", "segment")
clicks = st.session_state.setdefault("portfolio_clicks", 0)  # a new chart key clears its pick
view = queries.shared(
    portfolio_view, current_filter(), today(), dimension, st.session_state.get("portfolio_pick")
)
st.caption(f"Scored as of {view.as_of} · one read of every account for the CSM and the AM")
verdict_line(view.verdict)
kpi_row(view.cards)
if view.money_note:  # a conversion's rates and their date, or why totals stay per currency
    st.caption(view.money_note)

left, right = st.columns([3, 2])
with left.container(border=True):
    health_by(view, dimension, clicks)
with right.container(border=True):
    arr_tiles(view, clicks)
with st.container(border=True):
    health_over_time(view)
weakest_accounts(view, clicks)
largest_movers(queries.view(portfolio_movers, current_filter(), today()))
with st.container(border=True):
    onboarding_panel(current_filter())  # time to value and the accounts stuck in onboarding
