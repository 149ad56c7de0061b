"""Score lab: change the health score's weights, see at once which accounts move, and check
against real churn whether the change predicts better — before anyone activates it."""

import streamlit as st

from dashboard.ui import lab_panels as panels
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.lab_editor import editor
from dashboard.ui.queries import read, use_data_currency
from dashboard.ui.state import stores
from dashboard.views.lab import lab_view, portfolio_components
from dashboard.workflows.scorecards import active_scorecard

require_full_access(current_viewer(), "The score lab")
st.title("Score lab")
st.caption(
    "Test other weights on the whole (filtered) portfolio, then check them against what really "
    "happened. Nothing changes for anyone until a scorecard is saved and activated."
)


@st.fragment  # a weight, a band or a backtest reruns the lab alone, not the app's shell
def workbench() -> None:
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    app = stores().app
    active = active_scorecard(app)
    account_filter = current_filter()
    left, right = st.columns([1, 2.4], gap="large")
    with left.container(border=True):
        panels.start_from(app, active)
        candidate = editor(active)
    if candidate is None:
        return
    comps_active = read(portfolio_components, account_filter, active.params)
    comps_candidate = (
        comps_active
        if candidate.params == active.params
        else read(portfolio_components, account_filter, candidate.params)
    )
    lab = lab_view(comps_active, comps_candidate, active, candidate)
    with right:
        panels.candidate_impact(lab)
    panels.movers_panel(lab)
    st.subheader("Backtest against real churn")
    horizon = panels.backtest_panel(active, candidate, lab)
    panels.suggestion_panel(active, horizon)
    panels.save_and_activate(lab, active, candidate, account_filter)


workbench()
