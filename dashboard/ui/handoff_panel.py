"""The handoff workflow and rule tasks on screen: who acts, the next steps, the history.

Who acts comes from the signed-in identity: a person acts as themself, in the role the
account's data gives them; only the single local user (no sign-in) picks which owner they
are. Every form's keys carry the account id, so a form never shows another account's text,
and each step names the handoff's kind and state as it was shown: a tab left open is refused
with what changed and by whom. The panel reruns alone (``st.fragment``).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.text import md
from dashboard.ui import columns
from dashboard.ui.identity import current_viewer, unmasked
from dashboard.ui.queries import use_data_currency
from dashboard.ui.state import now, stores
from dashboard.ui.tables import edited_rows, show_table
from dashboard.workflows import handoffs as h
from dashboard.workflows import tasks as t
from dashboard.workflows.access import Actor, NotAllowed, actors_for

STATE_COLORS = {
    "flagged": "orange", "qualified": "blue", "proposal": "violet", "won": "green",
    "lost": "gray", "weighed": "blue", "closed": "gray",
}  # fmt: skip
KIND_LABELS = {"expansion": "Expansion-ready", "risk": "Risk"}


def acting_as(account: dict, key: str) -> Actor | None:
    """Who takes the step. A signed-in person: themself, in their role on this account (a
    combined owner picks which of their two roles); the local user picks an owner."""
    viewer = current_viewer()
    actors = actors_for(viewer, account.get("csm_owner"), account.get("am_owner"))
    if not actors:
        return None
    if viewer.role == "local":
        return st.selectbox(
            "Acting as (single-user mode: pick the owner you are)", actors, key=key,
            format_func=lambda a: f"{a.name} ({h.ROLES[a.role]})",
        )  # fmt: skip
    if len(actors) == 1:
        st.caption(f"Acting as {md(actors[0].name)} ({h.ROLES[actors[0].role]})")
        return actors[0]
    return st.selectbox(
        "Acting as", actors, key=key, format_func=lambda a: f"{a.name} ({h.ROLES[a.role]})"
    )


def history_table(history: pl.DataFrame) -> None:
    """Every step of the account's handoffs: who, which role, when, and what they said."""
    if history.is_empty():
        st.caption("No handoff on this account yet.")
        return
    show_table(
        history.with_columns(pl.col("role").replace_strict(h.ROLES, default=pl.col("role"))),
        columns.handoff_history(),
    )


def _step_form(account: dict, row: dict, who: Actor, key: str) -> None:
    """The next step of one open handoff, as ``who``."""
    steps = h.next_steps(row["kind"], row["state"])
    form_key = f"{key}_step_{row['handoff_id']}"
    with st.form(form_key, border=False):
        target = st.selectbox(
            "Next step", list(steps), key=f"{form_key}_target",
            format_func=lambda s, steps=steps: f"{h.STEP_LABELS[s]} ({h.ROLES[steps[s]]})",
        )  # fmt: skip
        note = st.text_area(
            "Note (pricing options, next steps, the commercial read)", key=f"{form_key}_note",
            height=80,
        )  # fmt: skip
        if st.form_submit_button("Record the step", type="primary"):
            try:
                h.advance_as(
                    stores().app, current_viewer(), account, row["handoff_id"], target, who,
                    from_state=row["state"], from_kind=row["kind"], note=note, now=now(),
                )  # fmt: skip
            except (h.HandoffError, NotAllowed) as exc:
                st.error(str(exc), icon=":material/block:")
            else:
                st.session_state[f"{key}_done"] = (
                    f"{h.STEP_LABELS[target]} recorded on the {row['kind']} handoff, as "
                    f"{who.name} ({h.ROLES[who.role]})"
                )
                st.rerun()


def _flag_form(account: dict, who: Actor, open_kinds: set[str], key: str) -> None:
    """Flag an expansion or a risk to the AM. Both kinds are always offered: a kind already
    open (flagged meanwhile, in another tab) is refused with who flagged it, never turned into
    the other kind."""
    with st.form(f"{key}_flag", border=True):
        st.markdown("**Flag to the AM**")
        kind = st.segmented_control(
            "What", list(h.KINDS), default=next((k for k in h.KINDS if k not in open_kinds), h.KINDS[0]),
            key=f"{key}_kind", format_func=KIND_LABELS.get, required=True,
        )  # fmt: skip
        evidence = st.text_area(
            "Evidence (usage, outcomes, stakeholder context)",
            value=account.get("triggers_fired") or "", key=f"{key}_evidence", height=80,
        )  # fmt: skip
        if st.form_submit_button("Flag", type="primary"):
            try:
                h.flag_as(stores().app, current_viewer(), account, kind, evidence, who, now=now())
            except (h.HandoffError, NotAllowed) as exc:
                st.error(str(exc), icon=":material/block:")
            else:
                st.session_state[f"{key}_done"] = (
                    f"{KIND_LABELS[kind]} flagged, as {who.name} ({h.ROLES[who.role]})"
                )
                st.rerun()


@st.fragment
def handoff_panel(account: dict, key: str) -> None:
    """Flag an expansion or a risk, or take the next step of the open handoff, as the CSM or
    the AM of ``account``; refusals are shown with their reason."""
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    key = f"{key}_{account['account_id']}"  # every widget of the panel is per account
    done = st.session_state.pop(f"{key}_done", None)
    if done:
        st.success(done, icon=":material/check:")
    mine = h.handoffs(stores().app, [account["account_id"]], unmask=unmasked())
    open_ones = mine.filter(pl.col("state").is_in(h.ANY_OPEN_STATE))
    who = acting_as(account, f"{key}_who")
    if who is None:
        if not account.get("csm_owner") and not account.get("am_owner"):
            st.warning("This account has no CSM and no AM: nobody can hand it off.")
        else:
            st.info("Only the account's CSM or AM can take a step here.", icon=":material/lock:")
        return
    for row in open_ones.iter_rows(named=True):
        with st.container(border=True):
            st.markdown(
                f"**{row['kind'].capitalize()}** handoff · "
                f":{STATE_COLORS.get(row['state'], 'gray')}-badge[{row['state']}] · "
                f"flagged by {md(row['created_by'])} on {row['created_at']:%Y-%m-%d}"
            )
            st.caption(f"Evidence: {md(row['evidence'])}")
            _step_form(account, row, who, key)
    if who.role == "csm":
        _flag_form(account, who, set(open_ones["kind"].to_list()), key)
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


@st.fragment
def task_editor(frame: pl.DataFrame, key: str) -> None:
    """The tasks as an editable table (status and note); changes are saved as they are made,
    by the signed-in person, on the tasks that are theirs."""
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    if frame.is_empty():
        st.caption("No task.")
        return
    edited = st.data_editor(  # a missing value reads as a dash, not "None"
        frame, placeholder="—", hide_index=True, key=key, column_config=task_columns(),
        disabled=[c for c in frame.columns if c not in ("status", "note")],
    )  # fmt: skip
    changed = edited_rows(edited, frame, "task_key", ["status", "note"])
    saved = 0
    for row in changed.iter_rows(named=True):
        try:
            t.update_task_as(stores().app, current_viewer(), row["task_key"], row["status"],
                             row["note"], now())  # fmt: skip
            saved += 1
        except (NotAllowed, ValueError) as exc:
            st.error(str(exc), icon=":material/block:")
    if saved:
        st.toast(f"{saved} task(s) saved")


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
