"""Success plans on screen: an account's goals (edited by its CSM or AM) with the plan's
downloads, and the weekly sync's goals panel (behind and stuck first).

As every form of the app: the keys carry the goal and its version, so a change made elsewhere
draws a fresh form; the submit button's callback keeps the values the person saw, by value,
with that version, and the next run writes them through the workflow, which refuses a tab
left open saying who changed the goal, when and to what."""

from __future__ import annotations

import datetime as dt
from functools import partial

import polars as pl
import streamlit as st

from dashboard.text import md
from dashboard.ui.identity import current_viewer, unmasked
from dashboard.ui.queries import use_data_currency, view
from dashboard.ui.state import now, stores, today
from dashboard.ui.submissions import handle_submission
from dashboard.views import success_plan
from dashboard.workflows import goal_edits
from dashboard.workflows.access import Actor, actors_for

SHOWN = [  # the status first: it is what a review reads
    "title",
    "status",
    "progress",
    "start_shown",
    "current_shown",
    "target_shown",
    "measure",
    "owner",
    "due_on",
]
ROLES = {"csm": "CSM", "am": "AM"}


def _config() -> dict[str, object]:
    cc = st.column_config
    return {
        "account_name": cc.TextColumn("Account"),
        "title": cc.TextColumn("Goal", width="medium"),
        "measure": cc.TextColumn("Measured by"),
        "start_shown": cc.TextColumn("Start"),
        "current_shown": cc.TextColumn("Now"),
        "target_shown": cc.TextColumn("Target"),
        "progress": cc.ProgressColumn("Progress", min_value=0.0, max_value=1.0, format="percent"),
        "owner": cc.TextColumn("Owner"),
        "due_on": cc.DateColumn("Due"),
        "status": cc.TextColumn("Status"),
    }


def _table(goals: pl.DataFrame, key: str, with_account: bool = False) -> None:
    cols = (["account_name"] if with_account else []) + SHOWN
    st.dataframe(
        goals.select(cols),
        hide_index=True,
        column_config=_config(),
        placeholder="—",
        key=key,
    )


def _actor_label(a: Actor) -> str:
    return f"{a.name} ({ROLES.get(a.role, a.role)})"


def _editor(account: dict, key: str) -> Actor | None:
    """Who edits: the signed-in person in their role on the account; the local user picks."""
    viewer = current_viewer()
    actors = actors_for(viewer, account.get("csm_owner"), account.get("am_owner"))
    if not actors:
        return None
    if viewer.role == "local":
        return st.selectbox(
            "Editing the plan as (single-user mode)", actors, key=key, format_func=_actor_label
        )
    if len(actors) == 1:
        st.caption(f"Editing as {md(actors[0].name)} ({ROLES[actors[0].role]})")
        return actors[0]
    return st.selectbox("Editing the plan as", actors, key=key, format_func=_actor_label)


def _submitted(key: str, shown: dict, widgets: dict[str, str]) -> None:
    """The submit button's callback (its arguments bound when the form was drawn): the
    values the person saw and typed, with the goal's version, for the next run to write."""
    values = {name: st.session_state.get(widget) for name, widget in widgets.items()}
    st.session_state[f"{key}_pending"] = {**shown, **values}


def _write(pending: dict) -> str:
    """Write a submitted goal as it was seen; returns what was done, in words."""
    account, who = pending["account"], pending["who"]
    if pending["action"] == "create":
        goal_edits.create_goal(
            stores().app,
            current_viewer(),
            account,
            title=pending["title"] or "",
            metric=pending["metric"],
            feature=pending.get("feature"),
            unit=pending.get("unit"),
            start_value=pending["start_value"],
            current_value=pending.get("current_value"),
            target_value=pending["target_value"],
            owner=pending["owner"],
            due_on=pending["due_on"],
            now=now(),
            acting_as=who,
        )
        return f"Goal added: {pending['title']}"
    version = goal_edits.update_goal(
        stores().app,
        current_viewer(),
        account,
        pending["goal_id"],
        seen_version=pending["seen_version"],
        title=pending["title"] or "",
        current_value=pending.get("current_value"),
        target_value=pending["target_value"],
        owner=pending["owner"],
        due_on=pending["due_on"],
        state=pending["state"],
        now=now(),
        acting_as=who,
    )
    return f"Goal saved: {pending['title']} (version {version})"


def _update_form(account: dict, goal: dict, who: Actor, key: str) -> None:
    """The form to change one goal: its name, current value (entered by hand), target,
    owner, due date, state. The form's key carries the goal and its version."""
    form_key = f"{key}_edit_{goal['goal_id']}_v{goal['version']}"
    owners = [o for o in (account.get("csm_owner"), account.get("am_owner")) if o]
    owners = list(dict.fromkeys(owners))
    with st.form(form_key, border=True):
        st.markdown(f"**Update: {md(goal['title'])}** · {md(goal['measure'])}")
        st.text_input("Goal", goal["title"], key=f"{form_key}_title")
        one, two, three, four = st.columns(4)
        widgets = {
            "title": f"{form_key}_title",
            "target_value": f"{form_key}_target",
            "owner": f"{form_key}_owner",
            "due_on": f"{form_key}_due",
            "state": f"{form_key}_state",
        }
        if goal["metric"] == "manual":
            one.number_input(
                f"Now ({goal['unit'] or 'value'})",
                value=goal["current_value"],
                key=f"{form_key}_current",
            )
            widgets["current_value"] = f"{form_key}_current"
        else:
            one.markdown(f"Now (from the data)  \n**{md(goal['current_shown'] or '—')}**")
        two.number_input(
            f"Target ({goal['unit'] or 'value'})",
            value=goal["target_value"],
            key=f"{form_key}_target",
        )
        three.selectbox(
            "Owner",
            owners,
            index=owners.index(goal["owner"]) if goal["owner"] in owners else 0,
            key=f"{form_key}_owner",
        )
        four.date_input("Due", goal["due_on"], key=f"{form_key}_due")
        st.selectbox(
            "State",
            goal_edits.STATES,
            index=goal_edits.STATES.index(goal["state"]),
            key=f"{form_key}_state",
        )
        shown = {
            "action": "update",
            "account": account,
            "goal_id": goal["goal_id"],
            "seen_version": int(goal["version"]),
            "who": who,
        }
        st.form_submit_button(
            "Save the goal", type="primary", on_click=_submitted, args=(key, shown, widgets)
        )


def _metric_label(metric: str) -> str:
    return goal_edits.METRICS[metric][0]


def _new_form(account: dict, features: list[str], who: Actor, key: str) -> None:
    """A new goal: what it measures (its start read from the data today, or typed), the
    target, the owner and the due date."""
    st.markdown("**Add a goal**")
    one, two = st.columns(2)
    metric = one.selectbox(
        "Measured by", list(goal_edits.METRICS), key=f"{key}_metric", format_func=_metric_label
    )
    feature = None
    if metric == "feature_adoption":
        if not features:
            st.caption("The account's usage names no feature yet.")
            return
        feature = two.selectbox("Feature", features, key=f"{key}_feature")
    start = None
    if metric != "manual":
        start = view(success_plan.metric_now, account["account_id"], metric, feature, today())
        unit = goal_edits.METRICS[metric][1]
        st.caption(
            f"Start (from the data, today): {'unknown' if start is None else f'{start:g} {unit}'}"
        )
    form_key = f"{key}_new_{metric}_{feature}"
    owners = list(
        dict.fromkeys(o for o in (account.get("csm_owner"), account.get("am_owner")) if o)
    )
    with st.form(form_key, border=True, clear_on_submit=True):
        st.text_input("Goal", key=f"{form_key}_title", placeholder="e.g. Every team on the app")
        widgets = {
            "title": f"{form_key}_title",
            "target_value": f"{form_key}_target",
            "owner": f"{form_key}_owner",
            "due_on": f"{form_key}_due",
        }
        a, b, c = st.columns(3)
        if metric == "manual":
            a.text_input("Unit", key=f"{form_key}_unit", placeholder="e.g. admins trained")
            b.number_input("Start", value=0.0, key=f"{form_key}_start")
            c.number_input("Now", value=0.0, key=f"{form_key}_current")
            widgets |= {
                "unit": f"{form_key}_unit",
                "start_value": f"{form_key}_start",
                "current_value": f"{form_key}_current",
            }
        d, e, f = st.columns(3)
        d.number_input("Target", value=None, key=f"{form_key}_target")
        e.selectbox("Owner", owners, key=f"{form_key}_owner")
        f.date_input("Due", today() + dt.timedelta(days=90), key=f"{form_key}_due")
        shown = {
            "action": "create",
            "account": account,
            "metric": metric,
            "feature": feature,
            "start_value": start,
            "who": who,
        }
        st.form_submit_button(
            "Add the goal", type="primary", on_click=_submitted, args=(key, shown, widgets)
        )


def plan_downloads(plan: success_plan.Plan, key: str) -> None:
    """The plan as the customer reads it: Markdown, and a print-ready HTML page."""
    stem = f"success-plan-{plan.account_id}-{plan.today}"
    with st.container(horizontal=True):
        st.download_button(
            "Success plan (Markdown)",
            success_plan.plan_markdown(plan),
            file_name=f"{stem}.md",
            mime="text/markdown",
            on_click="ignore",
            icon=":material/description:",
            key=f"{key}_md",
        )
        st.download_button(
            "Success plan (HTML, print to PDF)",
            success_plan.plan_html(plan),
            file_name=f"{stem}.html",
            mime="text/html",
            on_click="ignore",
            icon=":material/print:",
            key=f"{key}_html",
        )


def _account(plan: success_plan.Plan) -> dict:
    return {"account_id": plan.account_id, "csm_owner": plan.csm, "am_owner": plan.am}


def _goal_label(goal_id: str, labels: dict[str, str]) -> str:
    return labels[goal_id]


def _read_only() -> None:
    st.info(
        "Only the account's CSM or AM edits its success plan: you can read it and export it.",
        icon=":material/lock:",
    )


def _pick(goals: pl.DataFrame, labels: list[str], key: str) -> dict:
    """The goal picked (by its id) in a select of ``labels``."""
    names = dict(zip(goals["goal_id"], labels, strict=True))
    picked = st.selectbox(
        "Goal to update", list(names), key=key, format_func=partial(_goal_label, labels=names)
    )
    return goals.filter(pl.col("goal_id") == picked).row(0, named=True)


@st.fragment
def account_goals(account_id: str) -> None:
    """The account's success plan: its goals and their status, the plan's downloads, and
    (for its CSM and AM) the forms to update a goal and add one."""
    use_data_currency()  # a fragment's rerun runs in a thread of its own
    key = f"goals_{account_id}"
    handle_submission(key, _write)
    plan = view(success_plan.account_plan, account_id, today(), unmasked())
    if not plan.found:
        return
    if plan.goals.is_empty():
        st.caption("No goal yet: add the customer's goals below, then export the plan.")
    else:
        _table(plan.goals, f"{key}_table")
    plan_downloads(plan, f"{key}_download")
    account = _account(plan)
    who = _editor(account, f"{key}_who")
    if who is None:
        _read_only()
        return
    if plan.goals.height:
        goal = _pick(plan.goals, plan.goals["title"].to_list(), f"{key}_pick")
        _update_form(account, goal, who, key)
    _new_form(account, plan.features, who, key)


@st.fragment
def sync_goals(pair: str) -> None:
    """The pair's open goals, behind and stuck first; pick one to update it and to export
    its account's success plan."""
    use_data_currency()
    key = "sync_goals"
    handle_submission(key, _write)
    goals = view(success_plan.pair_goals, pair, today(), unmasked())
    if goals.is_empty():
        st.caption("No open goal on the pair's accounts: set them on each account's page.")
        return
    late = goals.filter(pl.col("status").is_in(["behind", "stuck"])).height
    st.caption(f"{late} of {goals.height} goal(s) behind or stuck: review those first.")
    _table(goals, f"{key}_table", with_account=True)
    labels = [f"{a} — {t}" for a, t in goals.select("account_name", "title").rows()]
    picked = _pick(goals, labels, f"{key}_goal")
    plan = view(success_plan.account_plan, picked["account_id"], today(), unmasked())
    one = plan.goals.filter(pl.col("goal_id") == picked["goal_id"])
    account = _account(plan)
    who = _editor(account, f"{key}_who")
    if who is None:
        _read_only()
    elif one.height:
        _update_form(account, one.row(0, named=True), who, key)
    plan_downloads(plan, f"{key}_download")
