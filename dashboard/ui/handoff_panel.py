"""The handoff workflow and rule tasks on screen: who acts, the next steps, the history."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.ui.identity import unmasked
from dashboard.ui.state import now, stores
from dashboard.ui.tables import edited_rows
from dashboard.workflows import handoffs as h
from dashboard.workflows import tasks as t

STATE_COLORS = {
    "flagged": "orange", "qualified": "blue", "proposal": "violet", "won": "green",
    "lost": "gray", "weighed": "blue", "closed": "gray",
}  # fmt: skip


def acting_as(account: dict, key: str) -> tuple[str, str] | None:
    """Who takes the step: the account's CSM or its AM (single-user mode has no sign-in, so
    the person picks which owner they are). None when the account has no owner at all."""
    people = []
    if account.get("csm_owner"):
        people.append((account["csm_owner"], "csm"))
    if account.get("am_owner"):
        people.append((account["am_owner"], "am"))
    if not people:
        return None
    return st.selectbox(
        "Acting as", people, format_func=lambda p: f"{p[0]} ({h.ROLES[p[1]]})", key=key
    )


def history_table(history: pl.DataFrame) -> None:
    """Every step of the account's handoffs: who, which role, when, and what they said."""
    if history.is_empty():
        st.caption("No handoff on this account yet.")
        return
    cc = st.column_config
    st.dataframe(
        history.with_columns(pl.col("role").replace_strict(h.ROLES, default=pl.col("role"))),
        hide_index=True,
        column_order=["kind", "step", "state", "actor", "role", "stepped_at", "note"],
        column_config={
            "kind": cc.TextColumn("Handoff"),
            "step": cc.NumberColumn("Step"),
            "state": cc.TextColumn("State"),
            "actor": cc.TextColumn("Who"),
            "role": cc.TextColumn("Role"),
            "stepped_at": cc.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
            "note": cc.TextColumn("Evidence / note", width="large"),
        },  # fmt: skip
    )


def handoff_panel(account: dict, key: str) -> None:
    """Flag an expansion or a risk, or take the next step of the open handoff, as the CSM or
    the AM of ``account``; refusals are shown with their reason."""
    app = stores().app
    mine = h.handoffs(app, [account["account_id"]], unmask=unmasked())
    open_ones = mine.filter(pl.col("state").is_in(h.ANY_OPEN_STATE))
    who = acting_as(account, f"{key}_who")
    if who is None:
        st.warning("This account has no CSM and no AM: nobody can hand it off.")
        return
    name, role = who
    for row in open_ones.iter_rows(named=True):
        with st.container(border=True):
            st.markdown(
                f"**{row['kind'].capitalize()}** handoff · "
                f":{STATE_COLORS.get(row['state'], 'gray')}-badge[{row['state']}] · "
                f"flagged by {row['created_by']} on {row['created_at']:%Y-%m-%d}"
            )
            st.caption(f"Evidence: {row['evidence']}")
            steps = h.next_steps(row["kind"], row["state"])
            with st.form(f"{key}_step_{row['handoff_id']}", border=False):
                target = st.selectbox(
                    "Next step", list(steps), format_func=lambda s, steps=steps: (
                        f"{h.STEP_LABELS[s]} ({h.ROLES[steps[s]]})"
                    ), key=f"{key}_target_{row['handoff_id']}",
                )  # fmt: skip
                note = st.text_area(
                    "Note (pricing options, next steps, the commercial read)",
                    key=f"{key}_note_{row['handoff_id']}", height=80,
                )  # fmt: skip
                if st.form_submit_button("Record the step", type="primary"):
                    try:
                        h.advance(
                            app, row["handoff_id"], target, name, role, from_state=row["state"],
                            account_has_am=bool(account.get("am_owner")), note=note, now=now(),
                        )  # fmt: skip
                    except h.HandoffError as exc:
                        st.error(str(exc), icon=":material/block:")
                    else:
                        st.toast(f"{h.STEP_LABELS[target]}: recorded")
                        st.rerun()
    open_kinds = set(open_ones["kind"].to_list())
    can_flag = [k for k in h.KINDS if k not in open_kinds]
    if can_flag:
        with st.form(f"{key}_flag", border=True):
            st.markdown("**Flag to the AM**")
            kind = st.segmented_control(
                "What", can_flag, default=can_flag[0], key=f"{key}_kind",
                format_func={"expansion": "Expansion-ready", "risk": "Risk"}.get,
            )  # fmt: skip
            evidence = st.text_area(
                "Evidence (usage, outcomes, stakeholder context)",
                value=account.get("triggers_fired") or "", key=f"{key}_evidence", height=80,
            )  # fmt: skip
            if st.form_submit_button("Flag", type="primary"):
                try:
                    h.flag(app, account["account_id"], kind or can_flag[0], evidence, name, role,
                           now=now())  # fmt: skip
                except h.HandoffError as exc:
                    st.error(str(exc), icon=":material/block:")
                else:
                    st.toast("Flagged")
                    st.rerun()
    if not account.get("am_owner"):
        st.info(
            "No AM on this account: a flag waits on the Unmanaged middle page until an AM is "
            "assigned.",
            icon=":material/person_off:",
        )


def task_columns() -> dict[str, object]:
    cc = st.column_config
    return {
        "title": cc.TextColumn("Task", width="large"), "account_id": cc.TextColumn("Account id"),
        "account_name": cc.TextColumn("Account"), "role": cc.TextColumn("Role"),
        "owner": cc.TextColumn("Owner"), "due_on": cc.DateColumn("Due", format="YYYY-MM-DD"),
        "status": cc.SelectboxColumn("Status", options=list(t.STATUSES), required=True),
        "note": cc.TextColumn("Note"), "kind": None, "task_key": None, "created_on": None,
        "updated_by": None, "updated_at": None,
    }  # fmt: skip


def task_editor(frame: pl.DataFrame, key: str) -> None:
    """The tasks as an editable table (status and note); changes are saved as they are made."""
    if frame.is_empty():
        st.caption("No task.")
        return
    edited = st.data_editor(
        frame, hide_index=True, key=key, column_config=task_columns(),
        disabled=[c for c in frame.columns if c not in ("status", "note")],
    )  # fmt: skip
    changed = edited_rows(edited, frame, "task_key", ["status", "note"])
    for row in changed.iter_rows(named=True):
        t.update_task(stores().app, row["task_key"], row["status"], row["note"], "app user", now())
    if changed.height:
        st.toast(f"{changed.height} task(s) saved")


def account_handoffs(account: dict, key: str) -> None:
    """The handoff panel beside the account's handoff history."""
    panel, past = st.columns(2)
    with panel:
        handoff_panel(account, key)
    with past:
        st.markdown("**History**")
        history_table(h.handoff_history(stores().app, account["account_id"], unmasked()))


def account_tasks(account_id: str) -> None:
    """The account's rule tasks, editable."""
    st.markdown("**Tasks**")
    task_editor(t.tasks(stores().app, [account_id], unmask=unmasked()), "account_tasks")
