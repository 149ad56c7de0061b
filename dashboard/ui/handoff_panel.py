"""The handoff workflow and rule tasks on screen: who acts, the next steps, the history.

Who acts comes from the signed-in identity: a person acts as themself, in the role the
account's data gives them; only the single local user (no sign-in) picks which owner they
are. Every form's keys carry the account id, so a form never shows another account's text,
and the record's version (a handoff's last step, the account's handoff steps, the tasks'
versions), so a change draws fresh options instead of moving an old selection. A submit
button's callback keeps the choice the person saw, by value, with that version; the next run
records it through the workflow, which refuses a tab left open with who changed what, when.
The panel reruns alone (``st.fragment``).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import polars as pl
import streamlit as st

from dashboard.text import md
from dashboard.ui import columns
from dashboard.ui.identity import current_viewer, unmasked
from dashboard.ui.queries import use_data_currency
from dashboard.ui.state import now, stores
from dashboard.ui.tables import edits_as_shown, rows_version, show_table
from dashboard.views.risks import handoff_stages
from dashboard.workflows import handoffs as h
from dashboard.workflows import tasks as t
from dashboard.workflows.access import Actor, NotAllowed, actors_for
from scoring.glossary import RISK_REASONS

RISK_FIELDS = ("reason", "owner", "next_step", "due_on")

STATE_COLORS = {
    "flagged": "orange",
    "qualified": "blue",
    "proposal": "violet",
    "won": "green",
    "lost": "gray",
    "weighed": "blue",
    "closed": "gray",
    "plan": "blue",
    "saving": "violet",
    "saved": "green",
}
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
            "Acting as (single-user mode: pick the owner you are)",
            actors,
            key=key,
            format_func=_actor_label,
        )
    if len(actors) == 1:
        owner = account.get(f"{actors[0].role}_owner")
        covering = f", covering for {md(owner)}" if owner and owner != viewer.name else ""
        st.caption(f"Acting as {md(actors[0].name)} ({h.ROLES[actors[0].role]}){covering}")
        return actors[0]
    return st.selectbox("Acting as", actors, key=key, format_func=_actor_label)


def _actor_label(a: Actor) -> str:
    return f"{a.name} ({h.ROLES[a.role]})"


def _step_label(step: str, steps: dict[str, str]) -> str:
    return f"{h.STEP_LABELS[step]} ({h.ROLES[steps[step]]})"


def history_table(history: pl.DataFrame) -> None:
    """Every step of the account's handoffs: who, which role, when, and what they said."""
    if history.is_empty():
        st.caption("No handoff on this account yet.")
        return
    show_table(
        history.with_columns(pl.col("role").replace_strict(h.ROLES, default=pl.col("role"))),
        columns.handoff_history(),
    )


def _submitted(key: str, action: dict, widgets: dict[str, str]) -> None:
    """The submit button's callback: keep the choice the person saw (read by value from the
    widgets of the version they were shown) with that version, for the run that follows. The
    callback's arguments were bound when the form was drawn, so a rerun that reads a newer
    state cannot change what is submitted."""
    values = {name: st.session_state.get(widget) for name, widget in widgets.items()}
    st.session_state[f"{key}_pending"] = {**action, **values}


def _record(account: dict, pending: dict) -> str:
    """Record a submitted step or flag as it was seen; returns what was done, in words."""
    who: Actor = pending["who"]
    if pending["action"] == "step":
        h.advance_as(
            stores().app,
            current_viewer(),
            account,
            pending["handoff_id"],
            pending["target"],
            who,
            from_state=pending["state"],
            from_kind=pending["kind"],
            seen_step=pending["seen_step"],
            note=pending["note"] or "",
            now=now(),
            risk={k: pending.get(k) for k in RISK_FIELDS} if pending["kind"] == "risk" else None,
        )
        return (
            f"{h.STEP_LABELS[pending['target']]} recorded on the {pending['kind']} handoff, as "
            f"{who.name} ({h.ROLES[who.role]})"
        )
    h.flag_as(
        stores().app,
        current_viewer(),
        account,
        pending["kind"],
        pending["evidence"] or "",
        who,
        seen_steps=pending["seen_steps"],
        now=now(),
    )
    return f"{KIND_LABELS[pending['kind']]} flagged, as {who.name} ({h.ROLES[who.role]})"


def _risk_fields(form_key: str, owners: list[str]) -> dict[str, str]:
    """A risk step's reason, owner, next step and due date (the workflow says which step
    needs which); no reason is preselected, so none is recorded that nobody chose."""
    st.selectbox(
        "Reason (from the list; every step from the plan on)",
        RISK_REASONS,
        index=None,
        placeholder="Choose the reason",
        key=f"{form_key}_reason",
    )
    left, right = st.columns([2, 1])
    left.selectbox("Owner of the next step", owners, key=f"{form_key}_owner")
    right.date_input(
        "Next step due", value=now().date() + dt.timedelta(days=7), key=f"{form_key}_due"
    )
    st.text_input(
        "Next step (a plan in place and saving name one)",
        key=f"{form_key}_next",
        placeholder="e.g. QBR with the sponsor to show the outcomes",
    )
    return {
        "reason": f"{form_key}_reason",
        "owner": f"{form_key}_owner",
        "due_on": f"{form_key}_due",
        "next_step": f"{form_key}_next",
    }


def _step_form(row: dict, who: Actor, key: str, owners: list[str]) -> None:
    """The next step of one open handoff, as ``who``. The form's keys carry the handoff and
    its version (the number of its last step): a change rebuilds it with fresh options
    instead of moving the old selection onto another step. A risk's step also names its
    reason, owner, next step and due date."""
    steps = h.next_steps(row["kind"], row["state"])
    form_key = f"{key}_step_{row['handoff_id']}_v{row['steps']}"
    with st.form(form_key, border=False):
        st.selectbox(
            "Next step",
            list(steps),
            key=f"{form_key}_target",
            format_func=partial(_step_label, steps=steps),
        )
        risk = _risk_fields(form_key, owners) if row["kind"] == "risk" else {}
        st.text_area(
            "Note (pricing options, next steps, the commercial read)",
            key=f"{form_key}_note",
            height=80,
        )
        shown = {
            "action": "step",
            "handoff_id": row["handoff_id"],
            "kind": row["kind"],
            "state": row["state"],
            "seen_step": int(row["steps"]),
            "who": who,
        }
        widgets = {"target": f"{form_key}_target", "note": f"{form_key}_note", **risk}
        st.form_submit_button(
            "Record the step", type="primary", on_click=_submitted, args=(key, shown, widgets)
        )


def _flag_form(who: Actor, open_kinds: set[str], seen_steps: int, key: str, evidence: str) -> None:
    """Flag an expansion or a risk to the AM. Both kinds are always offered: a kind already
    open (flagged meanwhile, in another tab) is refused with who flagged it, never turned into
    the other kind. The keys carry the version of the account's handoffs (their steps)."""
    form_key = f"{key}_flag_v{seen_steps}"
    with st.form(form_key, border=True):
        st.markdown("**Flag to the AM**")
        st.segmented_control(
            "What",
            list(h.KINDS),
            default=next((k for k in h.KINDS if k not in open_kinds), h.KINDS[0]),
            key=f"{form_key}_kind",
            format_func=KIND_LABELS.get,
            required=True,
        )
        st.text_area(
            "Evidence (usage, outcomes, stakeholder context)",
            value=evidence,
            key=f"{form_key}_evidence",
            height=80,
        )
        shown = {"action": "flag", "seen_steps": seen_steps, "who": who}
        widgets = {"kind": f"{form_key}_kind", "evidence": f"{form_key}_evidence"}
        st.form_submit_button(
            "Flag", type="primary", on_click=_submitted, args=(key, shown, widgets)
        )


@st.fragment
def handoff_panel(account: dict, key: str) -> None:
    """Flag an expansion or a risk, or take the next step of the open handoff, as the CSM or
    the AM of ``account``; refusals are shown with their reason."""
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    key = f"{key}_{account['account_id']}"  # every widget of the panel is per account
    pending = st.session_state.pop(f"{key}_pending", None)
    if pending:  # a click of the last run: recorded as seen, or refused with what changed
        try:
            st.session_state[f"{key}_done"] = ("ok", _record(account, pending))
        except (h.HandoffError, NotAllowed) as exc:
            st.session_state[f"{key}_done"] = ("refused", str(exc))
        st.rerun()  # the whole page: the history beside the panel shows the latest steps
    done = st.session_state.pop(f"{key}_done", None)
    if done and done[0] == "ok":
        st.success(done[1], icon=":material/check:")
    elif done:
        st.error(done[1], icon=":material/block:")
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
            owners = [
                o for o in dict.fromkeys([account.get("am_owner"), account.get("csm_owner")]) if o
            ]
            _step_form(row, who, key, owners)
    if who.role == "csm":
        seen_steps = int(mine["steps"].sum()) if mine.height else 0
        _flag_form(
            who,
            set(open_ones["kind"].to_list()),
            seen_steps,
            key,
            account.get("triggers_fired") or "",
        )
    if not account.get("am_owner"):
        st.info(
            "No AM on this account: a flag waits on the Unmanaged middle page until an AM is "
            "assigned.",
            icon=":material/person_off:",
        )


def task_columns() -> dict[str, object]:
    cc = st.column_config
    return {
        "title": cc.TextColumn("Task", width="large"),
        "account_id": cc.TextColumn("Account id"),
        "account_name": cc.TextColumn("Account"),
        "role": cc.TextColumn("Role"),
        "owner": cc.TextColumn("Owner"),
        "due_on": cc.DateColumn("Due", format="YYYY-MM-DD"),
        "status": cc.SelectboxColumn("Status", options=list(t.STATUSES), required=True),
        "note": cc.TextColumn("Note"),
        "kind": None,
        "task_key": None,
        "created_on": None,
        "updated_by": None,
        "updated_at": None,
        "version": None,
    }


def _tasks_edited(editor_key: str, key: str, shown: list[dict]) -> None:
    """The task editor's callback: each edited row as the person saw it (task key, the version
    shown, status and note with the edit), by position in the table drawn then."""
    st.session_state[f"{key}_pending"] = edits_as_shown(editor_key, shown, ("status", "note"))


def _save_tasks(pending: list[dict]) -> tuple[int, list[str]]:
    """Save the submitted edits, each on the version of the task it was made on."""
    saved, refused = 0, []
    for row in pending:
        try:
            t.update_task_as(
                stores().app,
                current_viewer(),
                row["task_key"],
                row["status"],
                row["note"],
                now(),
                seen_version=row["version"],
            )
            saved += 1
        except (NotAllowed, ValueError) as exc:
            refused.append(f"{row['title']}: {exc}")
    return saved, refused


@st.fragment
def task_editor(frame: pl.DataFrame, key: str) -> None:
    """The tasks as an editable table (status and note); changes are saved as they are made,
    by the signed-in person, on the tasks that are theirs, and only on the version of each
    task the table showed: the editor's key carries the tasks' versions, so a change made
    elsewhere draws a fresh table instead of moving an edit onto another row."""
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    pending = st.session_state.pop(f"{key}_pending", None)
    if pending is not None:
        st.session_state[f"{key}_done"] = _save_tasks(pending)
        st.rerun()  # the page reads the tasks again
    done = st.session_state.pop(f"{key}_done", None)
    if done and done[0]:
        st.success(f"Saved: {done[0]} task(s)", icon=":material/check:")
    for problem in done[1] if done else []:
        st.error(problem, icon=":material/block:")
    if frame.is_empty():
        st.caption("No task.")
        return
    shown = frame.select("task_key", "title", "status", "note", "version").to_dicts()
    editor_key = f"{key}_v{rows_version(shown, 'task_key')}"
    st.data_editor(  # a missing value reads as a dash, not "None"
        frame,
        placeholder="—",
        hide_index=True,
        key=editor_key,
        column_config=task_columns(),
        disabled=[c for c in frame.columns if c not in ("status", "note")],
        on_change=_tasks_edited,
        args=(editor_key, key, shown),
    )


def account_handoffs(account: dict, key: str) -> None:
    """The handoff panel beside the account's handoff history."""
    panel, past = st.columns(2)
    with panel:
        handoff_panel(account, key)
    with past:
        st.markdown("**History**")
        history_table(handoff_stages(stores().app, account["account_id"], now(), unmasked()))


def account_tasks(account_id: str) -> None:
    """The account's rule tasks, editable."""
    st.markdown("**Tasks**")
    task_editor(t.tasks(stores().app, [account_id], unmask=unmasked()), "account_tasks")
