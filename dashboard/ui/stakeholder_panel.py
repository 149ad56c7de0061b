"""The Account page's stakeholder map: the customer's people (who, role, last seen, touched by
whom, left on, or gone from the CRM with its two bounds) and the stakeholder signals raised on the account, with what the CSM and the
AM do about each."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.text import md
from dashboard.ui.identity import unmasked
from dashboard.ui.queries import read
from dashboard.ui.state import today
from dashboard.views.stakeholders import StakeholderMap, stakeholder_map


def people_columns() -> dict[str, object]:
    cc = st.column_config
    return {
        "name": cc.TextColumn("Who"),
        "title": cc.TextColumn("Title"),
        "role": cc.TextColumn("Role", help="champion, economic buyer, sponsor, admin or user"),
        "email": cc.TextColumn("E-mail", help="Masked unless a leader shows e-mails"),
        "last_seen": cc.DateColumn(
            "Last seen", format="YYYY-MM-DD", help="Latest usage or activity naming them"
        ),
        "seen_in": cc.TextColumn("Seen in"),
        "touched_by": cc.TextColumn(
            "Touched by", help="Who logged the last activity naming their e-mail"
        ),
        "touched_on": cc.DateColumn("Touched on", format="YYYY-MM-DD"),
        "left_on": cc.DateColumn("Left on", format="YYYY-MM-DD"),
        "gone": cc.TextColumn(
            "Gone from the CRM",
            help="A later CRM export left them out: gone by that load's day, last listed in "
            "the load before it; the day they left is unknown",
        ),
    }


def stakeholder_signals(people: StakeholderMap) -> None:
    """Each raised signal as a driver: its cause, and what the CSM and the AM do."""
    if people.drivers.is_empty():
        st.caption(
            "No stakeholder signal raised (champion left, champion quiet, no economic buyer)."
        )
        return
    for row in people.drivers.iter_rows(named=True):
        st.markdown(
            f":material/person_alert: **{md(row['label'])}** — {md(row['cause'])}  \n"
            f"CSM: {md(row['csm_action'])} · AM: {md(row['am_action'])}"
        )


def stakeholder_panel(account_id: str) -> None:
    """The account's stakeholder map, or that no contacts are loaded for it."""
    st.subheader("Stakeholders")
    people = read(stakeholder_map, account_id, today(), unmasked())
    if not people.loaded:
        st.caption(
            "No contacts loaded for this account: its champions and buyers are unknown "
            "(load a CRM contact export on the Data page)."
        )
        return
    stakeholder_signals(people)
    st.dataframe(
        people.people,
        hide_index=True,
        placeholder="—",
        column_config=people_columns(),
        key="account_stakeholders",
    )
    if not people.observable:
        st.caption(
            "Last seen is unknown: this account has no per-user usage and no activities "
            f"up to {people.as_of}."
        )


def sync_stakeholder_signals(lines: pl.DataFrame) -> None:
    """The sync agenda's stakeholder signals: one line per signal, with both roles' actions."""
    st.subheader("Stakeholder signals")
    if lines.is_empty():
        st.caption(
            "No champion left or quiet and no economic buyer missing on the shared accounts "
            "(accounts with no contacts loaded cannot raise one)."
        )
        return
    cc = st.column_config
    st.dataframe(
        lines.select("line", "csm_action", "am_action"),
        hide_index=True,
        column_config={
            "line": cc.TextColumn("Signal", width="large"),
            "csm_action": cc.TextColumn("CSM does"),
            "am_action": cc.TextColumn("AM does"),
        },
        key="sync_stakeholders",
    )
