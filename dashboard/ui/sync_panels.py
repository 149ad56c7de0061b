"""The Weekly sync's pair picker and agenda tables (the page's one view: ``views.sync``)."""

from __future__ import annotations

import streamlit as st

from dashboard.text import AT_RISK_TITLE, IN_WINDOW, md
from dashboard.ui import columns
from dashboard.ui.links import keep, kept
from dashboard.ui.stakeholder_panel import sync_stakeholder_signals
from dashboard.ui.tables import account_table
from dashboard.views.sync import Agenda, PairChoices
from scoring.glossary import DISAGREEMENT_RULE


def pick_pair(choices: PairChoices) -> str:
    """The pair the page shows: the link's (``?pair=``), else the one last seen (Back), else
    the first; a pair the link names that is not there is said, and the first shown."""
    wanted = st.query_params.get("pair")
    if "sync_pair" not in st.session_state:
        seen = wanted if wanted in choices.keys else kept("pair")
        st.session_state["sync_pair"] = seen if seen in choices.keys else choices.keys[0]
    elif (
        wanted in choices.keys
        and wanted != st.session_state["sync_pair"]
        and "sync_seen" not in st.session_state
    ):
        st.session_state["sync_pair"] = wanted
    st.session_state["sync_seen"] = True
    pair = st.selectbox("Pair", choices.keys, format_func=choices.labels.get, key="sync_pair")
    keep("pair", pair)  # into the link, and remembered for the way back
    if wanted and wanted not in choices.keys:
        st.warning(f"There is no pair {md(wanted)}; showing {md(pair)}.")
    return pair


def agenda_tables(agenda: Agenda) -> None:
    """What changed, the risks, the renewals, the handoffs and the signals, full width one
    after the other (a half-width table cuts the columns a meeting reads)."""
    st.subheader("What changed and why")
    if agenda.stories_note:
        st.caption(md(agenda.stories_note))
    else:
        st.caption(
            "On each shared account where something changed: three to five sentences from "
            "the data, the largest first."
        )
        account_table(agenda.stories, columns.sync_stories(), "sync_stories")
    st.subheader("Since last sync")
    account_table(agenda.changes, columns.sync_changes(), "sync_changes")
    st.subheader(AT_RISK_TITLE)
    account_table(agenda.risks, columns.sync_risks(), "sync_risks")
    st.subheader(f"Renewals {IN_WINDOW}")
    account_table(agenda.renewals, columns.sync_renewals(), "sync_renewals")
    st.subheader("Renewal calls the model disagrees with")
    st.caption(DISAGREEMENT_RULE)
    account_table(agenda.disagreements, columns.call_disagreements(), "sync_disagreements")
    st.subheader("Handoffs waiting")
    account_table(agenda.waiting, columns.sync_waiting(), "sync_waiting")
    st.subheader("Expansion signals not yet flagged")
    account_table(agenda.signals, columns.sync_signals(), "sync_signals")
    sync_stakeholder_signals(agenda.stakeholders)
