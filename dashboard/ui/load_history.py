"""The Data page's load history: every load (and undo) with who, when, files and what it
changed per table, and an Undo per load in effect (a confirmation, audited).

An Undo button carries the load it was drawn for and the newest entry the page showed then:
a click from a page drawn before another load or undo landed is refused, and the store
refuses the confirmed undo again if the history moved on meanwhile (under its write lock)."""

from __future__ import annotations

import streamlit as st

from dashboard.schema import SOURCE_TABLES
from dashboard.store.load_log import UndoPlan, UndoRefused, describe, undo_plan
from dashboard.store.workspaces import holds_demo
from dashboard.text import md
from dashboard.ui.identity import current_viewer
from dashboard.ui.state import now, rescore, root_stores, switch_to_team_data
from dashboard.views.data import LoadEntry, load_entries
from dashboard.workflows.loads import undo_load

ASK = "undo_ask"  # (load id, newest entry shown) of the Undo clicked, awaiting a yes
DONE = "undo_done"


def signed_in_actor() -> str:
    """Who is recorded for a load or an undo done in the app: the signed-in identity."""
    viewer = current_viewer()
    return f"{viewer.name} <{viewer.email}>" if viewer.email else viewer.name


def _ask(load_id: str, latest: str) -> None:
    st.session_state[ASK] = (load_id, latest)


def _plan_lines(plan: UndoPlan) -> list[str]:
    lines = [
        f"- {table}: {plan.rows_now.get(table, 0):,} → {plan.rows_after.get(table, 0):,} rows"
        for table in SOURCE_TABLES
        if plan.rows_now.get(table, 0) != plan.rows_after.get(table, 0)
    ]
    return lines or ["- no table changes its row count (rows change in place)"]


def _confirm(load_id: str, latest: str) -> None:
    """The confirmation of an Undo click: what it restores, what else it takes, yes/cancel."""
    store = root_stores().sources
    try:
        plan = undo_plan(store, load_id, expect_latest=latest)
    except UndoRefused as exc:
        st.session_state.pop(ASK, None)
        st.error(md(str(exc)), icon=":material/block:")
        return
    later = "".join(f"\n- {md(describe(r))}" for r in plan.later)
    st.warning(
        f"**Undo {md(describe(plan.target))}?** The source data goes back to just before it "
        f"(generation {plan.restore or 'none: an empty store'}):\n\n"
        + "\n".join(_plan_lines(plan))
        + (f"\n\nIt also undoes the later load(s):{later}" if plan.later else "")
        + "\n\nWhat people typed (handoffs, notes, decisions, mappings) is kept; the scores "
        "are computed again. The undo is recorded and can itself be undone.",
        icon=":material/undo:",
    )
    yes, cancel = st.columns([1, 1])
    if cancel.button("Cancel", key="undo_cancel"):
        st.session_state.pop(ASK, None)
        st.rerun()
    if yes.button(f"Yes, undo {load_id}", type="primary", key="undo_confirm"):
        st.session_state.pop(ASK, None)
        _undo(load_id, latest)


def _undo(load_id: str, latest: str) -> None:
    stores = root_stores()
    with st.status(f"Undoing {load_id}…", expanded=True) as status:
        try:
            result = undo_load(
                stores,
                load_id,
                actor=signed_in_actor(),
                now=now(),
                expect_latest=latest,
                confirm_later=True,
            )
        except UndoRefused as exc:
            status.update(label="Nothing was undone", state="error", expanded=True)
            st.error(md(str(exc)), icon=":material/block:")
            return
        switch_to_team_data()
        if stores.sources.is_empty():  # the first load undone: nothing of the team's is left
            st.session_state.pop("tandem_workspace", None)
        else:
            rescore()
        status.update(label="Undone and rescored", state="complete")
    also = f" (and {', '.join(result.also_undone)})" if result.also_undone else ""
    st.session_state[DONE] = f"Undid {result.undone}{also} as {result.undo_id}."
    st.rerun()


def _row(entry: LoadEntry, latest: str) -> None:
    info, action = st.columns([6, 1])
    state = f" · undone by {md(entry.undone_by)}" if entry.undone_by else ""
    info.markdown(
        f"**{md(entry.load_id)}** · {md(entry.when)} · {md(entry.actor)} · {md(entry.mode)} · "
        f"{md(entry.what)}{state}  \n{md(entry.changes)}"
    )
    if entry.undone_by is None:
        action.button(
            "Undo",
            key=f"undo_{entry.load_id}",
            icon=":material/undo:",
            on_click=_ask,
            args=(entry.load_id, latest),
        )


def load_history_panel() -> None:
    """The team's loads, newest first, each with an Undo while it is in effect."""
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    store = root_stores().sources
    if store.current_path() is None or holds_demo(store):
        st.caption("Nothing has been loaded into your workspace yet.")
        return
    entries = load_entries(store)
    if not entries:
        st.caption("No load recorded in your workspace yet.")
        return
    asked = st.session_state.get(ASK)
    if asked:
        _confirm(*asked)
    latest = next((e.load_id for e in entries if e.undone_by is None), "")
    for entry in entries:
        _row(entry, latest)
