"""The Renewal calendar's panels: each draws a part of the page's one view (``RenewalView``)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.text import AT_RISK_TITLE, IN_WINDOW, VALUE_VALIDATION, month_name
from dashboard.ui import charts, columns
from dashboard.ui.cards import kpi_row
from dashboard.ui.handoff_panel import task_editor
from dashboard.ui.links import keep, seed
from dashboard.ui.selection import pick_clicked_month
from dashboard.ui.state import now
from dashboard.ui.tables import download_csv, show_table
from dashboard.views.ics import renewals_ics
from dashboard.views.renewals import RenewalView, renewals_in_month


def _month_of(values: list[str], months: list[dt.date]) -> dt.date | None:
    """The month a link names (``2026-09``), when the calendar has it."""
    return next((m for m in months if m.isoformat()[:7] == values[0]), None)


def month_by_month(renewals: RenewalView) -> None:
    """ARR up for renewal by month and band with the forecast line; a month's accounts."""
    st.markdown("**Month by month** — ARR up for renewal by band, and the forecast line")
    st.plotly_chart(
        charts.renewal_months(renewals.calendar, renewals.forecast),
        on_select=pick_clicked_month(renewals.months),
        selection_mode="points",
        key="renewal_chart",
    )
    seed("renewal_month", "month", lambda values: _month_of(values, renewals.months))
    month = st.selectbox(
        "Accounts renewing in (or click a month)",
        renewals.months,
        key="renewal_month",
        format_func=month_name,
    )
    keep("month", month.isoformat()[:7] if month else None)
    if month is not None:
        show_table(renewals_in_month(renewals, month), columns.renewal_month())


def weeks_and_windows(renewals: RenewalView) -> None:
    """The quarter ahead week by week, beside the renewal windows."""
    left, right = st.columns([3, 2])
    with left.container(border=True):
        st.markdown("**The quarter ahead, week by week**")
        st.plotly_chart(charts.renewal_weeks(renewals.weeks))
    with right.container(border=True):
        st.markdown("**Renewal windows**")
        show_table(renewals.windows, columns.renewal_windows())


def at_risk(renewals: RenewalView) -> None:
    """Red or falling health inside the renewal window, with cause and joint action."""
    st.subheader(AT_RISK_TITLE)
    st.caption(
        f"Red or falling health {IN_WINDOW}, the most ARR first, with the cause and the joint "
        "action: the CSM validates value and brings ROI evidence, the AM works pricing and terms."
    )
    show_table(renewals.risks, columns.renewal_risks(), download="tandem-renewal-risks.csv")


def forecast(renewals: RenewalView) -> None:
    """The expected renewal ARR and the probabilities it rests on."""
    st.markdown("**Forecast** — expected renewal ARR = Σ ARR × P(renew | band)")
    st.caption(renewals.rates_note)
    show_table(renewals.probabilities, columns.renewal_probabilities())


def value_validation(renewals: RenewalView) -> None:
    """The CSM's checklist and the AM's plan for every renewal in the window, and the tasks."""
    st.subheader(VALUE_VALIDATION.capitalize())
    st.caption(
        f"For every renewal {IN_WINDOW}: the CSM's checklist from the data and the AM's "
        "commercial plan — the same table for both. Edit the tasks below to record progress."
    )
    show_table(renewals.validation, columns.value_validation())
    with st.expander("Value reviews and commercial plans (tasks)"):
        task_editor(renewals.tasks, "renewal_tasks")


def exports(renewals: RenewalView) -> None:
    """The renewals as a calendar feed and as CSV."""
    st.subheader("Export")
    with st.container(horizontal=True):
        st.download_button(
            "Renewals as a calendar (.ics)",
            lambda: renewals_ics(renewals.renewals, now(), renewals.undated),
            on_click="ignore",
            file_name="tandem-renewals.ics",
            mime="text/calendar",
            icon=":material/calendar_month:",
            key="download_ics",
        )
        download_csv(renewals.renewals, "tandem-renewals.csv", "Renewals (CSV)")


def risk_work(renewals: RenewalView) -> None:
    """The risks worked to an end: the KPIs, the open risks by stage, each with what is next."""
    board = renewals.risk_work
    if board is None:
        return
    st.subheader("Risks worked to an end")
    st.caption(
        "A risk the CSM flags goes flagged → plan in place → saving → saved or lost, each step "
        "with its reason, owner and next step with a due date (on the account page)."
    )
    kpi_row(board.cards, key="kpi_row_risks")
    left, right = st.columns([1, 3])
    with left:
        show_table(board.by_stage, columns.risks_by_stage(), key="risks_by_stage")
    with right:
        show_table(board.open_risks, columns.open_risks(), key="open_risks")
