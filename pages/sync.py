"""Weekly sync: one CSM+AM pair (or one combined owner) walks through its shared accounts —
what changed, renewals, handoffs, expansion signals, risks — and records its decisions. The
pair is in the URL (?pair=…), so one link opens the same view for both people."""

import streamlit as st

from dashboard.text import AT_RISK_TITLE, IN_WINDOW, md
from dashboard.ui import columns
from dashboard.ui.cards import kpi_row, verdict_line
from dashboard.ui.decision_panel import last_decisions, new_decision
from dashboard.ui.identity import current_viewer, unmasked
from dashboard.ui.links import keep, kept
from dashboard.ui.queries import read, view
from dashboard.ui.state import today
from dashboard.ui.sync_export import agenda_downloads
from dashboard.ui.tables import account_table
from dashboard.views.sync import build_agenda, pair_choices

st.title("Weekly sync")
choices = read(pair_choices, current_viewer().scope())
if not choices.keys:
    st.info("No account has both a CSM and an AM, so there is no pair to sync.")
    st.stop()
wanted = st.query_params.get("pair")
if "sync_pair" not in st.session_state:  # the link's pair, else the one last seen (Back)
    seen = wanted if wanted in choices.keys else kept("pair")
    st.session_state["sync_pair"] = seen if seen in choices.keys else choices.keys[0]
elif wanted in choices.keys and wanted != st.session_state["sync_pair"] and "sync_seen" not in st.session_state:  # fmt: skip
    st.session_state["sync_pair"] = wanted
st.session_state["sync_seen"] = True
pair = st.selectbox("Pair", choices.keys, format_func=choices.labels.get, key="sync_pair")
keep("pair", pair)  # into the link, and remembered for the way back
if wanted and wanted not in choices.keys:
    st.warning(f"There is no pair {md(wanted)}; showing {md(pair)}.")

agenda = view(build_agenda, pair, today(), unmasked())
st.caption(
    f"{agenda.since_text} · select a row to open the account · share this page's link: it opens the same view for both of you."
)
verdict_line(agenda.verdict)
kpi_row(agenda.cards)

st.subheader("Since last sync")
account_table(agenda.changes, columns.sync_changes(), "sync_changes")
# full width, one after the other: a half-width table cuts the columns a meeting reads
st.subheader(AT_RISK_TITLE)
account_table(agenda.risks, columns.sync_risks(), "sync_risks")
st.subheader(f"Renewals {IN_WINDOW}")
account_table(agenda.renewals, columns.sync_renewals(), "sync_renewals")
st.subheader("Handoffs waiting")
account_table(agenda.waiting, columns.sync_waiting(), "sync_waiting")
st.subheader("Expansion signals not yet flagged")
account_table(agenda.signals, columns.sync_signals(), "sync_signals")

st.subheader("Decisions")
last_decisions(agenda)
new_decision(agenda)

st.subheader("Export the agenda")
agenda_downloads(agenda, today())
