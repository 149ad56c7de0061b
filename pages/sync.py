"""Weekly sync: one CSM+AM pair (or one combined owner) walks through its shared accounts —
what changed, renewals, handoffs, expansion signals, risks — and records its decisions. The
pair is in the URL (?pair=…), so one link opens the same view for both people."""

import streamlit as st

from dashboard.ui.cards import kpi_row, verdict_line
from dashboard.ui.cover_panel import cover_panel
from dashboard.ui.decision_panel import last_decisions, new_decision
from dashboard.ui.goal_panels import sync_goals
from dashboard.ui.identity import current_viewer, unmasked
from dashboard.ui.queries import read, view
from dashboard.ui.state import today
from dashboard.ui.sync_export import agenda_downloads
from dashboard.ui.sync_panels import agenda_tables, pick_pair
from dashboard.views.sync import build_agenda, pair_choices

st.title("Weekly sync")
choices = read(pair_choices, current_viewer().scope())
if not choices.keys:
    st.info("No account has both a CSM and an AM, so there is no pair to sync.")
    st.stop()
pair = pick_pair(choices)
agenda = view(build_agenda, pair, today(), unmasked())
st.caption(
    f"{agenda.since_text} · select a row to open the account · share this page's link: "
    "it opens the same view for both of you."
)
verdict_line(agenda.verdict)
kpi_row(agenda.cards)
agenda_tables(agenda)
st.subheader("Decisions")
last_decisions(agenda)
new_decision(agenda)
st.subheader("Goals")
sync_goals(pair)
st.subheader("Export the agenda")
agenda_downloads(agenda, today())
st.subheader("Cover during leave")
cover_panel()
