"""Renewal calendar: what renews when, what is at risk before its deadline, and the forecast.
The renewal is won all year by the CSM's value work and closed by the AM at the deadline."""

import streamlit as st

from dashboard.text import AT_RISK_TITLE, IN_WINDOW, VALUE_VALIDATION, month_name
from dashboard.ui import charts, columns
from dashboard.ui.cards import kpi_row, verdict_line
from dashboard.ui.filters import current_filter
from dashboard.ui.handoff_panel import task_editor
from dashboard.ui.identity import unmasked
from dashboard.ui.links import keep, seed
from dashboard.ui.queries import view
from dashboard.ui.selection import pick_clicked_month
from dashboard.ui.state import now
from dashboard.ui.tables import download_csv, show_table
from dashboard.views.ics import renewals_ics
from dashboard.views.renewals import dates_note, renewal_view, renewals_in_month

st.title("Renewal calendar")
renewals = view(renewal_view, current_filter(), unmasked())
st.caption(f"Scored as of {renewals.as_of} · renewals in the next 12 months")
verdict_line(renewals.verdict)
if note := dates_note(renewals.renewals, renewals.undated):
    st.caption(note)
kpi_row(renewals.cards)

with st.container(border=True):
    st.markdown("**Month by month** — ARR up for renewal by band, and the forecast line")
    st.plotly_chart(
        charts.renewal_months(renewals.calendar, renewals.forecast),
        on_select=pick_clicked_month(renewals.months), selection_mode="points", key="renewal_chart",
    )  # fmt: skip
    seed(
        "renewal_month",
        "month",
        lambda v: next((m for m in renewals.months if m.isoformat()[:7] == v[0]), None),
    )
    month = st.selectbox("Accounts renewing in (or click a month)", renewals.months,
                         key="renewal_month", format_func=month_name)  # fmt: skip
    keep("month", month.isoformat()[:7] if month else None)
    if month is not None:
        show_table(renewals_in_month(renewals, month), columns.renewal_month())

left, right = st.columns([3, 2])
with left.container(border=True):
    st.markdown("**The quarter ahead, week by week**")
    st.plotly_chart(charts.renewal_weeks(renewals.weeks))
with right.container(border=True):
    st.markdown("**Renewal windows**")
    show_table(renewals.windows, columns.renewal_windows())

st.subheader(AT_RISK_TITLE)
st.caption(
    f"Red or falling health {IN_WINDOW}, the most ARR first, with the cause and the joint "
    "action: the CSM validates value and brings ROI evidence, the AM works pricing and terms."
)
show_table(renewals.risks, columns.renewal_risks(), download="tandem-renewal-risks.csv")

with st.container(border=True):
    st.markdown("**Forecast** — expected renewal ARR = Σ ARR × P(renew | band)")
    st.caption(renewals.rates_note)
    show_table(renewals.probabilities, columns.renewal_probabilities())

st.subheader(VALUE_VALIDATION.capitalize())
st.caption(
    f"For every renewal {IN_WINDOW}: the CSM's checklist from the data and the AM's "
    "commercial plan — the same table for both. Edit the tasks below to record progress."
)
show_table(renewals.validation, columns.value_validation())
with st.expander("Value reviews and commercial plans (tasks)"):
    task_editor(renewals.tasks, "renewal_tasks")

st.subheader("Export")
with st.container(horizontal=True):
    st.download_button(
        "Renewals as a calendar (.ics)", lambda: renewals_ics(renewals.renewals, now(), renewals.undated),
        on_click="ignore", file_name="tandem-renewals.ics", mime="text/calendar",
        icon=":material/calendar_month:", key="download_ics",
    )  # fmt: skip
    download_csv(renewals.renewals, "tandem-renewals.csv", "Renewals (CSV)")
