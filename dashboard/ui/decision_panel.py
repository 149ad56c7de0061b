"""The weekly sync's decisions on screen: last sync's to update, a new one to record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import streamlit as st

from dashboard.store import StoreError
from dashboard.text import md
from dashboard.ui import columns
from dashboard.ui.identity import current_viewer
from dashboard.ui.queries import use_data_currency
from dashboard.ui.state import now, stores, today
from dashboard.views.sync import Agenda
from dashboard.workflows import decisions
from dashboard.workflows.access import Actor, NotAllowed


def _with_due_pills(frame: pl.DataFrame) -> pl.DataFrame:
    """The due state as a pill (a one-item list; none when on time)."""
    return frame.with_columns(
        due_state=pl.when(pl.col("due_state").is_not_null())
        .then(pl.concat_list("due_state"))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )


SHOWN = [
    "note_id",
    "account_name",
    "decision",
    "owner",
    "due_on",
    "due_state",
    "status",
    "author",
    "edited_by",
]


FLASH = "decision_flash"  # what the person just saved, said once after the rerun


def _flash() -> None:
    said = st.session_state.pop(FLASH, None)
    if said:
        st.toast(said, icon=":material/check_circle:")


def person_edits(
    rows: pl.DataFrame, edited: dict[Any, dict[str, Any]] | None, columns: list[str]
) -> list[dict[str, Any]]:
    """The rows a person changed in a ``st.data_editor`` (its state's ``edited_rows``, by row
    position) whose ``columns`` now differ from ``rows`` (the stored values): the row with
    the new values. A redraw, a stored value read back in another type, an edit already
    saved: none of these is an edit (so none is saved again, nor announced)."""
    changed: list[dict[str, Any]] = []
    for index, change in (edited or {}).items():
        if not 0 <= int(index) < rows.height:
            continue
        row = rows.row(int(index), named=True)
        wanted = dict(row)
        for column in columns:
            if column not in change:
                continue
            value = change[column]
            if isinstance(row[column], dt.date) and isinstance(value, str) and value:
                value = dt.date.fromisoformat(value[:10])
            wanted[column] = None if value == "" else value
        if any(wanted[c] != row[c] and (wanted[c] or row[c]) for c in columns):
            changed.append(wanted)
    return changed


def _editor_key(name: str) -> str:
    """The editor's key: a new one after each save, so edits saved (by row position) are
    never read again against rows that moved."""
    return f"{name}_{st.session_state.get(f'{name}_saves', 0)}"


def _editor_edits(name: str) -> dict[Any, dict[str, Any]]:
    state = st.session_state.get(_editor_key(name))
    return dict(state.get("edited_rows", {})) if isinstance(state, dict) else {}


def _saved(name: str, said: str) -> None:
    st.session_state[f"{name}_saves"] = st.session_state.get(f"{name}_saves", 0) + 1
    st.session_state[FLASH] = said


@st.fragment
def last_decisions(agenda: Agenda) -> None:
    """Last sync's decisions, overdue ones marked, whose status can be changed here (their
    words stay as written: a later sync came)."""
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    _flash()
    if not agenda.last_decisions.height:
        st.caption("No decision from an earlier sync.")
        return
    st.markdown(f"**From the last sync ({agenda.since})** — update their status")
    spec = columns.decisions(list(decisions.STATUSES))
    shown = _with_due_pills(agenda.last_decisions.select(SHOWN))
    st.data_editor(  # a missing value reads as a dash, not "None"
        shown,
        placeholder="—",
        hide_index=True,
        key=_editor_key("last_decisions"),
        column_config=spec.config,
        column_order=spec.order,
        disabled=[
            "account_name",
            "decision",
            "owner",
            "due_on",
            "due_state",
            "author",
            "edited_by",
        ],
    )
    saved = 0
    for row in person_edits(agenda.last_decisions, _editor_edits("last_decisions"), ["status"]):
        decisions.set_status(
            stores().app, row["note_id"], row["status"], current_viewer().name, now()
        )
        saved += 1
    if saved:
        _saved("last_decisions", f"Saved: {saved} status change{'s' if saved > 1 else ''}")
        st.rerun(scope="fragment")


def todays_decisions(agenda: Agenda) -> None:
    """This sync's decisions, editable (words, who, by when, status) until the next sync."""
    if not agenda.todays.height:
        return
    st.markdown("**Decided today** — editable until the next sync")
    spec = columns.decisions(list(decisions.STATUSES))
    owners = list(dict.fromkeys([agenda.csm, agenda.am]))
    config = {**spec.config, "owner": st.column_config.SelectboxColumn("Who", options=owners)}
    st.data_editor(
        _with_due_pills(agenda.todays.select(SHOWN)),
        placeholder="—",
        hide_index=True,
        key=_editor_key("todays_decisions"),
        column_config=config,
        column_order=spec.order,
        disabled=["account_name", "due_state", "author", "edited_by"],
    )
    changed = person_edits(
        agenda.todays, _editor_edits("todays_decisions"), ["decision", "owner", "due_on", "status"]
    )
    saved = 0
    for row in changed:
        try:
            decisions.edit_decision_as(
                stores().app,
                current_viewer(),
                agenda.pair,
                row["note_id"],
                today(),
                decision=row["decision"] or "",
                owner=row["owner"],
                due_on=row["due_on"],
                status=row["status"],
                now=now(),
            )
        except (ValueError, NotAllowed) as exc:
            st.error(str(exc), icon=":material/block:")
        else:
            saved += 1
    if saved:
        _saved("todays_decisions", f"Saved: {saved} decision{'s' if saved > 1 else ''} updated")
        st.rerun()
    _histories(agenda.todays)


def _histories(rows: pl.DataFrame) -> None:
    """Each edited decision's earlier versions, with who wrote each."""
    edited = rows.filter(pl.col("edited_by").is_not_null())
    if not edited.height:
        return
    with st.expander(f"Earlier versions of {edited.height} edited decision(s)"):
        for note_id, words in edited.select("note_id", "decision").iter_rows():
            st.caption(md(words))
            st.dataframe(
                decisions.decision_history(stores().app, note_id),
                hide_index=True,
                key=f"decision_history_{note_id}",
            )


def _author_picker(agenda: Agenda) -> Actor | None:
    """The local user names who wrote the decision; a signed-in person is the author."""
    viewer = current_viewer()
    if viewer.role != "local":
        author = decisions.decision_author(viewer, agenda.csm, agenda.am)
        st.caption(f"Written by {md(author.name if author else viewer.name)}")
        return None
    csm, am = agenda.csm, agenda.am
    options = [Actor(csm, "csm"), Actor(am, "am")] if csm != am else [Actor(csm, "both")]
    return st.selectbox(
        "Written by (single-user mode)",
        options,
        key="decision_author",
        format_func=lambda a: f"{a.name} ({a.role.upper() if a.role != 'both' else 'CSM + AM'})",
    )


@st.fragment
def new_decision(agenda: Agenda) -> None:
    """Record a decision of this sync: the account, who does what, by when."""
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    _flash()
    with st.form("new_decision", clear_on_submit=True):
        st.markdown("**Record a decision**")
        names = dict(
            zip(agenda.accounts["account_id"], agenda.accounts["account_name"], strict=True)
        )
        one, two, three = st.columns([2, 1, 1])
        account_id = one.selectbox(
            "Account",
            [None, *names],
            key="decision_account",
            format_func=lambda a: "(the whole book)" if a is None else names[a],
        )
        owner = two.selectbox(
            "Who does it", list(dict.fromkeys([agenda.csm, agenda.am])), key="decision_owner"
        )
        due = three.date_input("By", today() + dt.timedelta(days=7), key="decision_due")
        decision = st.text_area(
            "Decision",
            key="decision_text",
            height=80,
            placeholder="e.g. Run an ROI review with the sponsor before the quote",
        )
        local_author = _author_picker(agenda)
        if st.form_submit_button("Save the decision", type="primary"):
            try:
                decisions.add_decision_as(
                    stores().app,
                    current_viewer(),
                    agenda.pair,
                    account_id,
                    decision,
                    owner,
                    due,
                    now(),
                    local_author,
                )
            except (ValueError, NotAllowed, StoreError) as exc:
                st.session_state["decision_unsaved"] = decision
                st.error(f"{exc}. Your text is kept below.", icon=":material/edit_off:")
            else:
                st.session_state.pop("decision_unsaved", None)
                st.session_state[FLASH] = "Saved: the decision is recorded"
                st.rerun()
    unsaved = st.session_state.get("decision_unsaved")
    if unsaved:
        st.text_area("Not saved yet (copy it, or save again)", unsaved, key="decision_unsaved_text")
    todays_decisions(agenda)
