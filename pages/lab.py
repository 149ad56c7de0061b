"""Score lab: change the health score's weights, see at once which accounts move, and check
against real churn whether the change predicts better — before anyone activates it."""

import streamlit as st

from dashboard.ui import charts, columns
from dashboard.ui.cards import kpi_row
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.lab_editor import editor, load_into_editor
from dashboard.ui.lab_panels import (  # fmt: skip
    activate_panel,
    audit_panel,
    backtest_panel,
    save_panel,
    suggestion_panel,
)
from dashboard.ui.queries import read, use_data_currency
from dashboard.ui.state import stores
from dashboard.ui.tables import show_table
from dashboard.views.lab import lab_view, portfolio_components
from dashboard.workflows.scorecards import active_scorecard, load_saved, saved_scorecards

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
        names = saved_scorecards(app)["name"].to_list()
        st.selectbox(
            "Start from", names, key="lab_start", index=names.index(active.name) if active.name in names else 0,
            on_change=lambda: load_into_editor(load_saved(app, st.session_state["lab_start"])),
        )  # fmt: skip
        candidate = editor(active)
    if candidate is None:
        return

    comps_active = read(portfolio_components, account_filter, active.params)
    comps_candidate = comps_active if candidate.params == active.params else read(portfolio_components, account_filter, candidate.params)  # fmt: skip
    lab = lab_view(comps_active, comps_candidate, active, candidate)
    with right:
        kpi_row(lab.cards)
        one, two = st.columns(2)
        with one.container(border=True):
            st.markdown("**Health distribution**, active vs candidate")
            st.plotly_chart(charts.health_distributions(lab.histogram_before, lab.histogram_after, 5))  # fmt: skip
        with two.container(border=True):
            st.markdown("**Band migration**, active → candidate")
            st.plotly_chart(charts.band_sankey(lab.migration))
        m1, m2 = st.columns(2)
        with m1:  # the two matrices side by side, each under its caption
            st.caption("Accounts: rows active band, columns candidate band")
            show_table(lab.accounts_matrix, columns.band_matrix(lab.accounts_matrix.columns, money=False))  # fmt: skip
        with m2:
            st.caption("ARR moved between bands")
            show_table(lab.arr_matrix, columns.band_matrix(lab.arr_matrix.columns, money=True))

    st.subheader("Accounts that move most")
    if lab.movers.is_empty():
        st.caption("No account moves yet: change a weight, a band threshold or a parameter.")
    show_table(lab.movers, columns.movers(), download="tandem-lab-movers.csv")

    st.subheader("Backtest against real churn")
    horizon = backtest_panel(active, candidate, lab)
    suggestion_panel(active, horizon)

    st.subheader("Save and activate")
    s1, s2 = st.columns(2)
    with s1:
        save_panel(candidate)
    with s2.container(border=True):
        activate_panel(lab, active, account_filter)  # activating reruns the whole app
    audit_panel()


workbench()
