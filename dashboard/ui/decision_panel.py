"""The weekly sync's decisions on screen: last sync's to update, a new one to record."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.ui import columns
from dashboard.ui.state import now, stores, today
from dashboard.ui.tables import edited_rows, show_table
from dashboard.views.sync import Agenda
from dashboard.workflows import decisions


def last_decisions(agenda: Agenda) -> None:
    """Last sync's decisions, whose status can be changed here."""
    if not agenda.last_decisions.height:
        st.caption("No decision from an earlier sync.")
        return
    st.markdown(f"**From the last sync ({agenda.since})** — update their status")
    spec = columns.decisions(list(decisions.STATUSES))
    shown = agenda.last_decisions.select("note_id", "account_name", "decision", "owner", "due_on", "status")  # fmt: skip
    edited = st.data_editor(
        shown, hide_index=True, key="last_decisions", column_config=spec.config,
        disabled=["account_name", "decision", "owner", "due_on"],
    )  # fmt: skip
    for row in edited_rows(edited, agenda.last_decisions, "note_id", ["status"]).iter_rows(named=True):  # fmt: skip
        decisions.set_status(stores().app, row["note_id"], row["status"])


def new_decision(agenda: Agenda) -> None:
    """Record a decision of this sync: the account, who does what, by when."""
    with st.form("new_decision", clear_on_submit=True):
        st.markdown("**Record a decision**")
        names = dict(zip(agenda.accounts["account_id"], agenda.accounts["account_name"], strict=True))  # fmt: skip
        one, two, three = st.columns([2, 1, 1])
        account_id = one.selectbox(
            "Account", [None, *names], key="decision_account",
            format_func=lambda a: "(the whole book)" if a is None else names[a],
        )  # fmt: skip
        owner = two.selectbox("Who does it", list(dict.fromkeys([agenda.csm, agenda.am])), key="decision_owner")  # fmt: skip
        due = three.date_input("By", today() + dt.timedelta(days=7), key="decision_due")
        decision = st.text_area("Decision", key="decision_text", height=80,
                                placeholder="e.g. Run an ROI review with the sponsor before the quote")  # fmt: skip
        csm, am = agenda.csm, agenda.am
        author = st.selectbox(
            "Written by", [(csm, "csm"), (am, "am")] if csm != am else [(csm, "both")],
            format_func=lambda p: f"{p[0]} ({p[1].upper() if p[1] != 'both' else 'CSM + AM'})",
            key="decision_author",
        )  # fmt: skip
        if st.form_submit_button("Save the decision", type="primary"):
            try:
                decisions.add_decision(stores().app, agenda.pair, account_id, decision, owner, due,
                                       author[0], author[1], now())  # fmt: skip
            except ValueError as exc:
                st.error(str(exc), icon=":material/edit_off:")
            else:
                st.toast("Decision saved")
                st.rerun()
    if agenda.todays.height:
        show_table(agenda.todays, columns.decisions(list(decisions.STATUSES)))
