"""Renewal calendar: what renews when, what is at risk before its deadline, and the forecast.
The renewal is won all year by the CSM's value work and closed by the AM at the deadline."""

import streamlit as st

from dashboard.ui import renewal_panels as panels
from dashboard.ui.call_panel import calls_section
from dashboard.ui.cards import kpi_row, verdict_line
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import unmasked
from dashboard.ui.queries import view
from dashboard.views.renewals import dates_note, renewal_view

st.title("Renewal calendar")
renewals = view(renewal_view, current_filter(), unmasked())
st.caption(f"Scored as of {renewals.as_of} · renewals in the next 12 months")
verdict_line(renewals.verdict)
if note := dates_note(renewals.renewals, renewals.undated):
    st.caption(note)
kpi_row(renewals.cards)
with st.container(border=True):
    panels.month_by_month(renewals)
panels.weeks_and_windows(renewals)
panels.at_risk(renewals)
with st.container(border=True):
    panels.forecast(renewals)
calls_section(renewals)
panels.risk_work(renewals)
panels.value_validation(renewals)
panels.exports(renewals)
