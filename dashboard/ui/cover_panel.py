"""Cover during leave on screen: the covers holding now or to come, a form to set one ("X
covers for Y from … to …") and one to end a cover early.

Who may set or end one is decided by the workflow from the signed-in viewer; the form offers a
CSM or an AM only their own leave (leaders, ops and the local user pick anyone). The submit
button's callback keeps what the person saw, by value (the cover's version for an ending); the
next run writes it through the workflow, which refuses an invalid, overlapping or stale one,
recording nothing, and says why."""

from __future__ import annotations

import datetime as dt
from functools import partial

import polars as pl
import streamlit as st

from dashboard.store.marts import owner_rows
from dashboard.ui import columns
from dashboard.ui.identity import current_viewer
from dashboard.ui.state import now, stores, today
from dashboard.ui.submissions import handle_submission
from dashboard.ui.tables import show_table
from dashboard.workflows import covers as cv
from dashboard.workflows.access import Viewer

KEY = "cover"
DEFAULT_DAYS = 13  # the form's first suggestion: two weeks, today included


def _theirs(rows: pl.DataFrame, viewer: Viewer) -> pl.DataFrame:
    """The covers this viewer may see and change: all for leaders and ops, else their own."""
    if viewer.role in cv.SET_BY:
        return rows
    return rows.filter((pl.col("covered") == viewer.name) | (pl.col("coverer") == viewer.name))


def _submitted(shown: dict, widgets: dict[str, str]) -> None:
    """The submit button's callback: what the person saw and chose, for the next run."""
    values = {name: st.session_state.get(widget) for name, widget in widgets.items()}
    st.session_state[f"{KEY}_pending"] = {**shown, **values}


def _write(pending: dict) -> str:
    viewer = current_viewer()
    if pending["action"] == "set":
        first, last = pending["starts_on"], pending["ends_on"]
        cv.set_cover(
            stores().app,
            viewer,
            owner_rows(stores().sources),
            pending["coverer"] or "",
            pending["covered"] or "",
            first,
            last,
            today(),
            now(),
        )
        return f"{pending['coverer']} covers for {pending['covered']} from {first} to {last}."
    cover_id, version = pending["cover"] or ("", 0)
    cv.end_cover(stores().app, viewer, cover_id, version, today(), now())
    return "The cover is ended: from today the book is its owner's alone."


def _set_form(viewer: Viewer, owners: pl.DataFrame, day: dt.date) -> None:
    books = owners.filter(pl.col("role").is_in(cv.BOOK_ROLES))["owner"].sort().to_list()
    away = books if viewer.role in cv.SET_BY else [n for n in books if n == viewer.name]
    if not away:
        st.caption("You have no book of your own: a leader or ops sets a cover for others.")
        return
    carriers = owners.filter(pl.col("role").is_in(cv.COVER_ROLES))["owner"].sort().to_list()
    with st.form(f"{KEY}_set", border=True):
        one, two, three, four = st.columns(4)
        one.selectbox("Who is away", away, key=f"{KEY}_covered")
        two.selectbox("Who covers", carriers, index=None, key=f"{KEY}_coverer")
        three.date_input("From", day, key=f"{KEY}_starts")
        four.date_input(
            "Until (last day)", day + dt.timedelta(days=DEFAULT_DAYS), key=f"{KEY}_ends"
        )
        widgets = {
            "covered": f"{KEY}_covered",
            "coverer": f"{KEY}_coverer",
            "starts_on": f"{KEY}_starts",
            "ends_on": f"{KEY}_ends",
        }
        st.form_submit_button(
            "Set the cover", type="primary", on_click=_submitted, args=({"action": "set"}, widgets)
        )


def _cover_label(choice: tuple[str, int], labels: dict[str, str]) -> str:
    return labels[choice[0]]


def _end_form(mine: pl.DataFrame) -> None:
    if mine.is_empty():
        return
    said = pl.format("{} for {}, {} to {}", "coverer", "covered", "starts_on", "last_day")
    labels = dict(zip(mine["cover_id"], mine.select(said).to_series(), strict=True))
    choices = list(zip(mine["cover_id"], mine["version"], strict=True))
    with st.form(f"{KEY}_end", border=True):
        st.selectbox(
            "End a cover early (today the book is its owner's again)",
            choices,
            key=f"{KEY}_pick",
            format_func=partial(_cover_label, labels=labels),
        )
        st.form_submit_button(
            "End the cover", on_click=_submitted, args=({"action": "end"}, {"cover": f"{KEY}_pick"})
        )


def cover_panel() -> None:
    """The covers holding today or to come, and the forms to set and end one."""
    handle_submission(KEY, _write)
    viewer, day = current_viewer(), today()
    rows = cv.covers(stores().app).filter(
        pl.col("last_day") >= day, pl.col("last_day") >= pl.col("starts_on")
    )
    mine = _theirs(rows, viewer)
    st.caption(
        "While someone is away, the person covering sees and acts on their book as themself "
        "and gets their digests and tasks; the cover ends by itself after its last day."
    )
    if mine.is_empty():
        st.caption("No cover holds today or is planned.")
    else:
        show_table(mine, columns.covers(), key=f"{KEY}_table")
    _set_form(viewer, owner_rows(stores().sources), day)
    _end_form(mine)
