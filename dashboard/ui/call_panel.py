"""The renewal call on the Renewal calendar: the disagreements with the model, the forecast by
call beside the model's, every renewal's call, and the form the caller records it with.

The form's keys carry the renewal and the version of its call (the call id), so a call made
elsewhere draws a fresh form; the submit button's callback keeps what the person saw (the
renewal, by value, and the version of its call) for the next run to record through the
workflow, which refuses a tab left open with who called what, when.
"""

from __future__ import annotations

import streamlit as st

from dashboard.store import StoreError
from dashboard.text import format_value, md
from dashboard.ui import columns
from dashboard.ui.identity import current_viewer, unmasked
from dashboard.ui.state import now, stores
from dashboard.ui.tables import show_table
from dashboard.views.renewals import RenewalView
from dashboard.workflows import renewal_calls as rc
from dashboard.workflows.access import NotAllowed
from scoring.glossary import CALL_CATEGORIES, CALL_FREEZE_DAYS, CALL_HORIZON_DAYS, DISAGREEMENT_RULE

ACCOUNT_FIELDS = ("account_id", "account_name", "csm_owner", "am_owner", "arr", "renewal_date")
KEY = "renewal_call"


def calls_section(view: RenewalView) -> None:
    """Everything about the calls, for leaders, the weekly sync and the callers."""
    st.subheader("The renewal call beside the model")
    st.caption(
        f"For every renewal in the next {CALL_HORIZON_DAYS} days (three quarters), the AM's "
        "call (the CSM's where there is no AM), frozen "
        f"{CALL_FREEZE_DAYS} days before the renewal. {DISAGREEMENT_RULE}"
    )
    if view.calls is None or view.calls.is_empty():
        st.caption("No renewal in the next three quarters.")
        return
    with st.container(border=True):
        st.markdown(
            f"**Disagreements** — {view.disagreements.height:,} renewal(s) where the call and "
            "the model disagree"
        )
        show_table(
            view.disagreements,
            columns.call_disagreements(),
            key="call_disagreements",
            download="tandem-call-disagreements.csv",
        )
    with st.container(border=True):
        st.markdown("**Forecast by call, beside the model's**")
        show_table(view.call_rollup, columns.call_rollup(), key="call_rollup")
    with st.expander(f"Every renewal of the next three quarters ({view.calls.height:,})"):
        show_table(view.calls, columns.renewal_calls(), key="calls_table")
    call_form(view)


def _submitted(shown: dict, widgets: dict[str, str]) -> None:
    """The submit button's callback: the renewal and call version bound when the form was
    drawn, with the values the person typed, for the next run to record."""
    values = {name: st.session_state.get(widget) for name, widget in widgets.items()}
    st.session_state[f"{KEY}_pending"] = {**shown, **values}


def _record(pending: dict) -> str:
    call_id = rc.record_call(
        stores().app,
        current_viewer(),
        pending["account"],
        pending["category"] or "",
        pending["reason"] or "",
        pending["expected_arr"],
        now(),
        seen_version=pending["seen_version"],
        frozen_change_reason=pending.get("change"),
    )
    return (
        f"Call recorded: **{pending['category']}** on {md(pending['account']['account_name'])}, "
        f"expected ARR {md(format_value(pending['expected_arr'], 'money'))} (call {call_id})"
    )


def _said() -> None:
    pending = st.session_state.pop(f"{KEY}_pending", None)
    if pending:  # a click of the last run: recorded as seen, or refused with what changed
        try:
            st.session_state[f"{KEY}_done"] = ("ok", _record(pending))
        except (ValueError, NotAllowed, StoreError) as exc:
            st.session_state[f"{KEY}_done"] = ("refused", md(str(exc)))
        st.rerun()  # the whole page: the tables read the calls again
    done = st.session_state.pop(f"{KEY}_done", None)
    if done and done[0] == "ok":
        st.success(done[1], icon=":material/check:")
    elif done:
        st.error(done[1], icon=":material/block:")


def call_form(view: RenewalView) -> None:
    """Record or change the call on one of the viewer's renewals."""
    _said()
    viewer = current_viewer()
    mine = rc.callable_by(viewer, view.calls)
    if mine.is_empty():
        st.info(
            "You make no renewal call here: the AM of an account calls its renewal (the CSM "
            "where there is no AM).",
            icon=":material/lock:",
        )
        return
    # the picker names the renewal only: its call is said below, fresh on every run (a picker
    # whose labels changed kept showing the old call in the browser)
    names = {
        r["account_id"]: f"{r['account_name']} · renews {r['renewal_date']}"
        for r in mine.select("account_id", "account_name", "renewal_date").to_dicts()
    }
    picked = st.selectbox("Renewal to call", list(names), format_func=names.get, key=f"{KEY}_pick")
    row = next(r for r in mine.to_dicts() if r["account_id"] == picked)
    version = row["version"]
    caller = rc.caller_of(row)
    p = row["churn_probability"]
    st.caption(
        f"Calling as {md(caller.name if caller else viewer.name)}"
        f"{' (single-user mode)' if viewer.role == 'local' else ''} · model's churn "
        f"probability: {'unknown' if p is None else f'{p:.0%}'} · "
        + (
            f"current call: **{row['call']}** by {md(row['caller'])} at {row['called_at']:%Y-%m-%d}"
            if version
            else "no call yet"
        )
    )
    form_key = f"{KEY}_{picked}_v{version or 'none'}"
    with st.form(form_key):
        st.selectbox(
            "Call",
            CALL_CATEGORIES,
            index=CALL_CATEGORIES.index(row["call"]) if version else 0,
            key=f"{form_key}_category",
        )
        st.number_input(
            "Expected ARR",
            min_value=0.0,
            value=float(row["expected_arr"] if version else row["arr"] or 0.0),
            step=1000.0,
            key=f"{form_key}_arr",
        )
        st.text_area("Reason", key=f"{form_key}_reason", height=80)
        widgets = {
            "category": f"{form_key}_category",
            "expected_arr": f"{form_key}_arr",
            "reason": f"{form_key}_reason",
        }
        if row["call_frozen"]:
            st.text_area(
                f"Why the call is made or changed after the freeze ({CALL_FREEZE_DAYS} days "
                "before the renewal)",
                key=f"{form_key}_change",
                height=60,
            )
            widgets["change"] = f"{form_key}_change"
        shown = {"account": {f: row[f] for f in ACCOUNT_FIELDS}, "seen_version": version}
        st.form_submit_button(
            "Record the call", type="primary", on_click=_submitted, args=(shown, widgets)
        )
    if version:
        with st.expander(f"Every call on this renewal ({row['calls']})"):
            history = rc.call_history(stores().app, picked, row["renewal_date"], unmasked())
            show_table(history, columns.call_history(), key=f"{KEY}_history")
