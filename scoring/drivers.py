"""Drivers: for every account, the components that pull its health down most, each with a
plain cause and a next action through both lenses (what the CSM does, what the AM does)."""

from __future__ import annotations

import polars as pl

from scoring.glossary import ACTIVE_USER_DAYS, TICKET_DAYS, days, seat_utilisation, usage_ratio
from scoring.scorecard import COMPONENTS, Scorecard

col = pl.col


def _pct(expr: pl.Expr) -> pl.Expr:
    return (expr * 100).round(0).cast(pl.Int64).cast(pl.String)


def _num(expr: pl.Expr, decimals: int = 0) -> pl.Expr:
    rounded = expr.round(decimals)
    rounded = pl.when(rounded == 0).then(0.0).otherwise(rounded)  # -0.0, -0.04 read 0.0
    return (rounded.cast(pl.Int64) if decimals == 0 else rounded).cast(pl.String)


# What each component means, who owns it, and what each role does about it.
PLAYBOOK: dict[str, dict[str, str]] = {
    "adoption": {
        "lens": "value",
        "owner": "CSM",
        "csm": "Run an enablement session for the inactive seats",
        "am": "Hold seat expansion; prepare a right-sizing option for the renewal",
    },
    "usage_trend": {
        "lens": "value",
        "owner": "CSM",
        "csm": "Find out what changed with the champion and relaunch the use case",
        "am": "Treat the renewal as at risk; align with the CSM before pricing talks",
    },
    "breadth": {
        "lens": "value",
        "owner": "CSM",
        "csm": "Add the unused features that fit their goals to the success plan",
        "am": "Position the unused features before proposing an upgrade",
    },
    "support": {
        "lens": "value",
        "owner": "CSM",
        "csm": "Escalate the open tickets with support and follow up personally",
        "am": "Keep commercial asks on hold until the tickets are resolved",
    },
    "sentiment": {
        "lens": "value",
        "owner": "CSM",
        "csm": "Call the detractors and close the loop on their feedback",
        "am": "Bring the executive sponsor into the renewal conversation early",
    },
    "engagement": {
        "lens": "value + revenue",
        "owner": "CSM + AM",
        "csm": "Book a check-in or a QBR",
        "am": "Schedule an executive touch before the renewal",
    },
    "billing": {
        "lens": "revenue",
        "owner": "AM",
        "csm": "Check the invoices are not held back by a value dispute",
        "am": "Chase the overdue invoices with finance",
    },
}


# Where a playbook action holds only when the cause is of one kind (open tickets to escalate,
# overdue invoices to chase), the condition, and the actions for the other kind.
WHEN_NOT: dict[str, tuple[pl.Expr, dict[str, str]]] = {
    "support": (
        col("tickets_open_high") > 0,
        {
            "csm": "Review the ticket load with support and fix what keeps causing it",
            "am": "Ask the CSM what the tickets were about before any commercial ask",
        },
    ),
    "billing": (
        col("invoices_overdue") > 0,
        {
            "csm": "Check the late payments are not a sign of a value dispute",
            "am": "Agree payment terms with finance before the renewal",
        },
    ),
}


def playbook_action(component: str, role: str) -> pl.Expr:
    """What ``role`` (csm or am) does about the component's shortfall: the playbook's action
    when its cause holds in the account's data, else the one for the cause it has (no "open
    tickets" to escalate when none is open)."""
    said = pl.lit(PLAYBOOK[component][role])
    if component not in WHEN_NOT:
        return said
    holds, otherwise = WHEN_NOT[component]
    return pl.when(holds.fill_null(False)).then(said).otherwise(pl.lit(otherwise[role]))


def cause(component: str) -> pl.Expr:
    """The plain-language cause of a component's shortfall, from the account's features."""
    if component == "adoption":
        return pl.format(
            f"seat utilisation {{}}% ({{}} of {{}} seats active in {days(ACTIVE_USER_DAYS)})",
            _pct(seat_utilisation().fill_null(0)),
            col("active_users_last_30d"),
            col("licensed_seats"),
        )
    if component == "usage_trend":
        change = ((usage_ratio() - 1) * 100).round(0).cast(pl.Int64)
        return (
            pl.when(usage_ratio().is_null())
            .then(pl.lit(f"no product usage in the last {days(2 * ACTIVE_USER_DAYS)}"))
            .otherwise(
                pl.format(
                    f"active users {{}}{{}}% vs the previous {days(ACTIVE_USER_DAYS)} ({{}} → {{}})",
                    pl.when(change >= 0).then(pl.lit("+")).otherwise(pl.lit("")),
                    change.cast(pl.String),
                    col("active_users_prior_30d"),
                    col("active_users_last_30d"),
                )
            )
        )
    if component == "breadth":
        return pl.format(
            f"uses {{}} of {{}} key features in {days(ACTIVE_USER_DAYS)}",
            col("features_last_30d"),
            col("features_in_catalog"),
        )
    if component == "support":
        csat = pl.when(col("csat_last_90d").is_not_null()).then(
            pl.format(", ticket CSAT {}", _num(col("csat_last_90d"), 1))
        )
        return pl.format(
            f"{{}} open high/urgent tickets, {{}} tickets in {days(TICKET_DAYS)}{{}}",
            col("tickets_open_high"),
            col("tickets_last_90d"),
            csat.fill_null(""),
        )
    if component == "sentiment":
        nps = pl.when(col("nps_recent").is_not_null()).then(
            pl.format(
                "NPS {} over recent answers (latest {})",
                _num(col("nps_recent"), 1),
                _num(col("nps_latest")),
            )
        )
        csat = pl.when(col("survey_csat_180d").is_not_null()).then(
            pl.format("survey CSAT {}", _num(col("survey_csat_180d"), 1))
        )
        return pl.concat_str([nps, csat], separator=", ", ignore_nulls=True)
    if component == "engagement":
        return (
            pl.when(col("days_since_last_touch").is_null())
            .then(pl.lit("no call, meeting or QBR on record"))
            .otherwise(
                pl.format("no call, meeting or QBR in {} days", col("days_since_last_touch"))
            )
        )
    if component == "billing":
        overdue = pl.format(
            "{} invoices overdue, oldest {} days past due ({} outstanding)",
            col("invoices_overdue"),
            col("max_days_past_due"),
            pl.format("{}{}", col("money_sign"), _num(col("amount_overdue"))),
        )
        late = pl.format(
            "{} of {} invoices of 180 days paid late, {} days late on average",
            col("invoices_late_180d"),
            col("invoices_due_180d"),
            _num(col("mean_days_late_180d")),
        )
        return (
            pl.when(col("invoices_overdue") > 0)
            .then(overdue)
            .when(col("invoices_late_180d") > 0)
            .then(late)
            .otherwise(overdue)
        )
    raise ValueError(f"unknown component {component!r}")


def _count(n: pl.Expr, one: str, many: str) -> pl.Expr:
    """``3 inactive seats``, ``1 inactive seat`` from a number."""
    return pl.format("{} {}", _num(n), pl.when(n == 1).then(pl.lit(one)).otherwise(pl.lit(many)))


def action(component: str) -> pl.Expr:
    """The owner's next action on this account's shortfall, with its own numbers (the
    playbook's words where the data to be specific is missing)."""
    owner = PLAYBOOK[component]["owner"]
    generic = playbook_action(component, "am" if owner == "AM" else "csm")
    if component == "adoption":
        idle = (col("licensed_seats") - col("active_users_last_30d")).clip(lower_bound=0)
        specific = pl.when(idle > 0).then(
            pl.format(
                "Run an enablement session for the {} ({} of {} active in 30 days)",
                _count(idle, "inactive seat", "inactive seats"),
                col("active_users_last_30d"),
                col("licensed_seats"),
            )
        )
    elif component == "usage_trend":
        specific = pl.when(usage_ratio().is_not_null()).then(
            pl.format(
                "Find out what changed with the champion (active users {} → {}) and relaunch "
                "the use case",
                col("active_users_prior_30d"),
                col("active_users_last_30d"),
            )
        )
    elif component == "breadth":
        unused = col("features_in_catalog") - col("features_last_30d")
        specific = pl.when(unused > 0).then(
            pl.format(
                "Add the {} that fit their goals to the success plan",
                _count(unused, "unused key feature", "unused key features"),
            )
        )
    elif component == "support":
        specific = (
            pl.when(col("tickets_open_high") > 0)
            .then(
                pl.format(
                    "Escalate the {} with support and follow up personally",
                    _count(
                        col("tickets_open_high"),
                        "open high/urgent ticket",
                        "open high/urgent tickets",
                    ),
                )
            )
            .when(col("tickets_last_90d") > 0)
            .then(
                pl.format(
                    f"Review the {{}} of {days(TICKET_DAYS)} with support for a pattern{{}}",
                    _count(col("tickets_last_90d"), "ticket", "tickets"),
                    pl.when(col("csat_last_90d").is_not_null())
                    .then(pl.format(" (CSAT {})", _num(col("csat_last_90d"), 1)))
                    .otherwise(pl.lit("")),
                )
            )
        )
    elif component == "sentiment":
        specific = (
            pl.when(col("nps_recent").is_not_null())
            .then(
                pl.format(
                    "Call the detractors behind the NPS of {} and close the loop on their feedback",
                    _num(col("nps_recent")),
                )
            )
            .when(col("survey_csat_180d").is_not_null())
            .then(
                pl.format(
                    "Follow up the survey CSAT of {} with the respondents",
                    _num(col("survey_csat_180d"), 1),
                )
            )
        )
    elif component == "engagement":
        specific = (
            pl.when(col("days_since_last_touch").is_null())
            .then(pl.lit("Book a first check-in or QBR: none is on record"))
            .otherwise(
                pl.format(
                    "Book a check-in or a QBR: the last was {} days ago",
                    col("days_since_last_touch"),
                )
            )
        )
    elif component == "billing":
        specific = (
            pl.when(col("invoices_overdue") > 0)
            .then(
                pl.format(
                    "Chase the {} ({}{}, oldest {} days past due) with finance",
                    _count(col("invoices_overdue"), "overdue invoice", "overdue invoices"),
                    col("money_sign"),
                    _num(col("amount_overdue")),
                    col("max_days_past_due"),
                )
            )
            .when(col("invoices_late_180d") > 0)
            .then(
                pl.format(
                    "Agree payment terms: {} of {} invoices of 180 days were paid late",
                    col("invoices_late_180d"),
                    col("invoices_due_180d"),
                )
            )
        )
    else:
        raise ValueError(f"unknown component {component!r}")
    return pl.format("{} — {}", specific.fill_null(generic), pl.lit(owner))


def drivers(scored: pl.LazyFrame, scorecard: Scorecard, top: int = 3) -> pl.LazyFrame:
    """Long frame: up to ``top`` drivers per account, largest health loss first.

    A component's health loss is wᵢ × (100 − sᵢ) ÷ Σ w over the components with data: the
    points of health it costs. Losses under ``min_driver_points`` are not drivers. Amounts
    in a cause carry ``money_sign`` (the sign of the account's currency; "$" without one).
    """
    if "money_sign" not in scored.collect_schema().names():  # amounts in the default $
        scored = scored.with_columns(money_sign=pl.lit("$"))
    w = scorecard.weights
    present = pl.sum_horizontal([col(c).is_not_null().cast(pl.Float64) * w[c] for c in COMPONENTS])
    long = pl.concat(
        [
            scored.filter(col(c).is_not_null()).select(
                col("account_id"),
                pl.lit(c).alias("component"),
                col(c).alias("score"),
                (w[c] * (100.0 - col(c)) / present).alias("health_points_lost"),
                cause(c).alias("cause"),
                playbook_action(c, "csm").alias("csm_action"),  # each lens's, true in the data
                playbook_action(c, "am").alias("am_action"),
                action(c).alias("next_action"),  # the owner's, with the row's own numbers
            )
            for c in COMPONENTS
            if w[c] > 0
        ]
    )
    playbook = pl.LazyFrame(
        {
            "component": list(PLAYBOOK),
            "lens": [v["lens"] for v in PLAYBOOK.values()],
            "owner_role": [v["owner"] for v in PLAYBOOK.values()],
        }
    )
    return (
        long.filter(col("health_points_lost") >= scorecard.params.min_driver_points)
        # stable: tied drivers rank in the scorecard's order of components, every run alike
        .sort(["account_id", "health_points_lost"], descending=[False, True], maintain_order=True)
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("account_id"))
        .filter(col("rank") <= top)
        .join(playbook, on="component", how="left")
        .sort("account_id", "rank")
    )


def top_driver(driver_frame: pl.LazyFrame) -> pl.LazyFrame:
    """Per account, the first driver's component, cause and next action."""
    return driver_frame.filter(col("rank") == 1).select(
        "account_id",
        col("component").alias("top_driver"),
        col("cause").alias("top_cause"),
        col("next_action").alias("top_action"),
    )
