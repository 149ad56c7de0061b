"""Success plans: an account's goals with their current values read from the data and their
status (the rule: scoring/goals.py, and the README), the pair's goals for the weekly sync
(behind and stuck first), and the plan as the customer reads it (Markdown, print-ready HTML)."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import polars as pl

from dashboard.store import Stores, goal_inputs
from dashboard.store import account_detail as detail
from dashboard.store.marts import scores_as_of
from dashboard.store.pairs import pair_accounts, split_pair
from dashboard.store.sources import SourceStore
from dashboard.views.exports import Column, html_table, markdown_table, markdown_text, plain_text
from dashboard.views.sync import PRINT_CSS
from dashboard.workflows import goal_edits
from scoring import goals as rule
from scoring.glossary import ACTIVE_USER_DAYS

PERCENT = {"seat_utilisation", "feature_adoption"}  # a share, shown (and typed) as 0-100 %


@dataclass(frozen=True)
class Plan:
    account_id: str
    found: bool
    account_name: str = ""
    csm: str | None = None
    am: str | None = None
    as_of: dt.date | None = None  # the data's date the metrics are read as of
    today: dt.date | None = None
    goals: pl.DataFrame = field(default_factory=pl.DataFrame)  # every goal, dropped ones too
    features: list[str] = field(default_factory=list)


def metric_values(store: SourceStore, wanted: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """``wanted`` (``account_id``, ``metric``, ``feature``) with ``value``: each data metric
    read from the canonical tables as of ``as_of`` (a share as 0-100), null when unknown and
    for a metric entered by hand. One read per metric, never one per goal."""
    ids = wanted["account_id"].unique().to_list()
    metrics = set(wanted["metric"].to_list())
    accounts = goal_inputs.seats(store, ids)
    since = as_of - dt.timedelta(days=ACTIVE_USER_DAYS - 1)
    usage = goal_inputs.usage(store, ids, since, as_of) if metrics & PERCENT else None
    tickets = None
    if "tickets_per_month" in metrics:
        back = as_of - dt.timedelta(days=rule.TICKET_DAYS - 1)
        tickets = goal_inputs.tickets(store, ids, back, as_of)
    parts = []
    kinds = wanted.select("metric", "feature").unique().filter(pl.col("metric") != "manual")
    for metric, feature in kinds.iter_rows():
        if metric == "seat_utilisation":
            values = rule.seat_utilisation(accounts, usage, as_of)
        elif metric == "feature_adoption":
            values = rule.feature_adoption(accounts, usage, feature or "", as_of)
        else:
            values = rule.tickets_per_month(accounts, tickets, as_of)
        scale = 100.0 if metric in PERCENT else 1.0
        parts.append(
            values.with_columns(
                metric=pl.lit(metric),
                feature=pl.lit(feature, pl.String),
                value=(pl.col("value") * scale).round(1),
            )
        )
    found = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={
                "account_id": pl.String,
                "value": pl.Float64,
                "metric": pl.String,
                "feature": pl.String,
            }
        )
    )
    return wanted.join(found, on=["account_id", "metric", "feature"], how="left", nulls_equal=True)


def _shown(value: pl.Expr, unit: pl.Expr) -> pl.Expr:
    """A value with its unit, as the page and the plan read it ("42 %", "3.3 tickets")."""
    number = value.round(1).cast(pl.String).str.replace(r"\.0$", "")
    return pl.when(value.is_not_null()).then(
        pl.concat_str(
            number, pl.when(unit.is_not_null()).then(pl.lit(" ") + unit).otherwise(pl.lit(""))
        )
    )


def with_status(store: SourceStore, goals: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """The goals with their current value (read from the data as of the data's date, typed
    for one entered by hand), progress, status and the values as people read them."""
    as_of = scores_as_of(store) or today
    read = metric_values(store, goals.select("account_id", "metric", "feature").unique(), as_of)
    labels = {k: label for k, (label, _) in goal_edits.METRICS.items()}
    out = (
        goals.join(read, on=["account_id", "metric", "feature"], how="left", nulls_equal=True)
        .with_columns(
            current_value=pl.when(pl.col("metric") == "manual")
            .then(pl.col("current_value"))
            .otherwise(pl.col("value"))
        )
        .drop("value")
    )
    out = rule.goal_status(out, today).with_columns(
        status=pl.when(pl.col("state") == "dropped").then(pl.lit("dropped")).otherwise("status"),
        measure=pl.col("metric").replace_strict(labels, default=pl.col("metric"))
        + pl.when(pl.col("feature").is_not_null())
        .then(pl.lit(": ") + pl.col("feature"))
        .otherwise(pl.lit("")),
        start_shown=_shown(pl.col("start_value"), pl.col("unit")),
        current_shown=_shown(pl.col("current_value"), pl.col("unit")),
        target_shown=_shown(pl.col("target_value"), pl.col("unit")),
    )
    order = {s: i for i, s in enumerate(rule.STATUSES)}
    return out.sort(
        pl.col("status").replace_strict(order, default=len(order), return_dtype=pl.Int32),
        "due_on",
        "goal_id",
    )


def account_plan(stores: Stores, account_id: str, today: dt.date, unmask: bool = False) -> Plan:
    """An account's success plan: every goal, behind and stuck first."""
    profile = detail.account_profile(stores.sources, account_id)
    if profile is None:
        return Plan(account_id, found=False)
    goals = goal_edits.goals(stores.app, [account_id], unmask)
    return Plan(
        account_id=account_id,
        found=True,
        account_name=profile.get("account_name") or account_id,
        csm=profile.get("csm_owner"),
        am=profile.get("am_owner"),
        as_of=scores_as_of(stores.sources) or today,
        today=today,
        goals=with_status(stores.sources, goals, today),
        features=goal_inputs.features(stores.sources, account_id),
    )


def metric_now(
    stores: Stores, account_id: str, metric: str, feature: str | None, today: dt.date
) -> float | None:
    """A data metric's value for one account today (a new goal's start); None when unknown."""
    if metric == "manual":
        return None
    wanted = pl.DataFrame(
        {"account_id": [account_id], "metric": [metric], "feature": [feature]},
        schema={"account_id": pl.String, "metric": pl.String, "feature": pl.String},
    )
    return metric_values(stores.sources, wanted, scores_as_of(stores.sources) or today)["value"][0]


def pair_goals(stores: Stores, pair: str, today: dt.date, unmask: bool = False) -> pl.DataFrame:
    """The open goals of a pair's shared accounts, with the account's name: behind and stuck
    first (the sync reviews them), then no data, on track, done."""
    csm, am = split_pair(pair)
    accounts = pair_accounts(stores.sources, csm, am).select("account_id", "account_name")
    goals = goal_edits.goals(stores.app, accounts["account_id"].to_list(), unmask).filter(
        pl.col("state") == "open"
    )
    return with_status(stores.sources, goals, today).join(accounts, on="account_id", how="left")


PLAN_COLUMNS = [
    Column("title", "Goal"),
    Column("measure", "Measured by"),
    Column("start_shown", "Start"),
    Column("current_shown", "Now"),
    Column("target_shown", "Target"),
    Column("progress", "Progress", "percent"),
    Column("owner", "Owner"),
    Column("due_on", "Due", "date"),
    Column("status", "Status"),
]


def _plan_title(plan: Plan) -> tuple[str, str]:
    who = " and ".join(
        f"{name} ({role})" for name, role in ((plan.csm, "CSM"), (plan.am, "AM")) if name
    )
    return f"Success plan — {plan.account_name}", (
        f"Prepared on {plan.today} by {who or 'the account team'}; values read from the data "
        f"as of {plan.as_of}."
    )


def _open(plan: Plan) -> pl.DataFrame:
    return plan.goals.filter(pl.col("state") == "open") if plan.goals.height else plan.goals


def plan_markdown(plan: Plan) -> str:
    """The plan as the customer reads it: the open goals, start / now / target, owner, due
    date and status; no internal id; every value escaped and masked."""
    title, intro = _plan_title(plan)
    goals = _open(plan)
    lines = [f"# {markdown_text(title)}", "", markdown_text(intro), "", "## Goals", ""]
    if goals.is_empty():
        return "\n".join([*lines, "No goal yet.", ""])
    lines += [markdown_table(goals.with_columns(_plain(goals)), PLAN_COLUMNS), ""]
    return "\n".join(lines)


def _plain(goals: pl.DataFrame) -> list[pl.Expr]:
    """The people's words in the goals, as files write them (one line, masked, no link)."""
    return [
        pl.col(c).map_elements(plain_text, return_dtype=pl.String)
        for c in ("title", "measure", "owner")
    ]


def plan_html(plan: Plan) -> str:
    """The same plan as a self-contained, print-ready HTML page."""
    title, intro = _plan_title(plan)
    goals = _open(plan)
    table = (
        html_table(goals.with_columns(_plain(goals)), PLAN_COLUMNS)
        if goals.height
        else "<p>No goal yet.</p>"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{PRINT_CSS}</style></head><body><h1>{html.escape(plain_text(title))}</h1>"
        f"<p>{html.escape(plain_text(intro))}</p><h2>Goals</h2>{table}</body></html>"
    )
