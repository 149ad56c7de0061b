"""The weekly sync's decisions on screen: last sync's to update, a new one to record."""

from __future__ import annotations

import datetime as dt
from functools import partial

import polars as pl
import streamlit as st

from dashboard.store import StoreError
from dashboard.text import md
from dashboard.ui import columns
from dashboard.ui.identity import current_viewer
from dashboard.ui.queries import use_data_currency
from dashboard.ui.state import now, stores, today
from dashboard.ui.tables import edits_as_shown, rows_version
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


FLASH = "decision_flash"  # what the person just recorded, said once after the rerun


def _flash() -> None:
    said = st.session_state.pop(FLASH, None)
    if said:
        st.toast(said, icon=":material/check_circle:")


def _edited(name: str, editor_key: str, shown: list[dict], editable: tuple[str, ...]) -> None:
    """A decision table's callback: each edited row as the person saw it (note id, the
    version shown, the edit), for the run that follows to save."""
    st.session_state[f"{name}_pending"] = edits_as_shown(editor_key, shown, editable, ("due_on",))


def _save_edits(agenda: Agenda, name: str) -> None:
    """Save the edits of the last run, each on the version of the decision it was made on
    (one of last sync's: its status; one of today's: its words, who, by when, status); a
    decision changed since in another tab is refused with who changed it, when, to what."""
    pending = st.session_state.pop(f"{name}_pending", None)
    if pending is None:
        return
    saved, refused = 0, []
    for row in pending:
        try:
            if row["editable"] == "status":
                decisions.set_status_as(
                    stores().app,
                    current_viewer(),
                    agenda.pair,
                    row["note_id"],
                    row["status"],
                    now(),
                    seen_version=row["version"],
                )
            else:
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
                    seen_version=row["version"],
                )
            saved += 1
        except (ValueError, NotAllowed, StoreError) as exc:
            refused.append(f"{row['decision']}: {exc}")
    st.session_state[f"{name}_done"] = (saved, refused)
    st.rerun()  # the whole page: the agenda reads the decisions again


def _saved(name: str) -> None:
    """What the last save of the table ``name`` did: saved, or refused with why."""
    done = st.session_state.pop(f"{name}_done", None)
    if done and done[0]:
        st.success(f"Saved: {done[0]} decision(s)", icon=":material/check:")
    for problem in done[1] if done else []:
        st.error(md(problem), icon=":material/block:")


def _editor(
    rows: pl.DataFrame, name: str, editable: tuple[str, ...], config: dict[str, object]
) -> None:
    """A decision table whose ``editable`` columns are saved as they are edited. Its key
    carries the shown decisions' versions: a change made elsewhere draws a fresh table, and
    the edit goes with the version of the decision it was made on."""
    shown = rows.select("note_id", "decision", "owner", "due_on", "status", "version")
    bound = [
        {**r, "editable": "status" if editable == ("status",) else "all"} for r in shown.to_dicts()
    ]
    editor_key = f"{name}_v{rows_version(bound, 'note_id')}"
    spec = columns.decisions(list(decisions.STATUSES))
    st.data_editor(  # a missing value reads as a dash, not "None"
        _with_due_pills(rows.select(SHOWN)),
        placeholder="—",
        hide_index=True,
        key=editor_key,
        column_config=config,
        column_order=spec.order,
        disabled=[c for c in SHOWN if c not in editable],
        on_change=_edited,
        args=(name, editor_key, bound, editable),
    )


@st.fragment
def last_decisions(agenda: Agenda) -> None:
    """Last sync's decisions, overdue ones marked, whose status can be changed here (their
    words stay as written: a later sync came)."""
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    _save_edits(agenda, "last_decisions")
    _saved("last_decisions")
    if not agenda.last_decisions.height:
        st.caption("No decision from an earlier sync.")
        return
    st.markdown(f"**From the last sync ({agenda.since})** — update their status")
    spec = columns.decisions(list(decisions.STATUSES))
    _editor(agenda.last_decisions, "last_decisions", ("status",), spec.config)


def todays_decisions(agenda: Agenda) -> None:
    """This sync's decisions, editable (words, who, by when, status) until the next sync."""
    _save_edits(agenda, "todays_decisions")
    _saved("todays_decisions")
    if not agenda.todays.height:
        return
    st.markdown("**Decided today** — editable until the next sync")
    spec = columns.decisions(list(decisions.STATUSES))
    owners = list(dict.fromkeys([agenda.csm, agenda.am]))
    config = {**spec.config, "owner": st.column_config.SelectboxColumn("Who", options=owners)}
    _editor(agenda.todays, "todays_decisions", ("decision", "owner", "due_on", "status"), config)
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
        format_func=_author_label,
    )


def _author_label(a: Actor) -> str:
    return f"{a.name} ({a.role.upper() if a.role != 'both' else 'CSM + AM'})"


def _decision_account_label(account_id: str | None, names: dict[str, str]) -> str:
    return "(the whole book)" if account_id is None else names[account_id]


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
            format_func=partial(_decision_account_label, names=names),
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
