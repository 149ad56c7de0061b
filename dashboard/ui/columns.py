"""Every table a page shows, as a spec: which columns, in which order, with which label, unit
and rounding. Pages name the spec; the labels live here, once."""

from __future__ import annotations

import streamlit as st

from dashboard.text import (
    CALL_FREEZE_DAYS,
    MIXED,
    TOUCH_DAYS,
    days,
    money_currency,
)
from dashboard.ui.tables import TableSpec, account_columns, money_column

cc = st.column_config


def _accounts(*order: str, **extra: object) -> TableSpec:
    """An accounts table; in a portfolio of several currencies with no rates, each
    account's currency follows its ARR (the column's format can carry no one sign)."""
    columns = list(order)
    if money_currency() == MIXED and "arr" in columns and "currency" not in columns:
        columns.insert(columns.index("arr") + 1, "currency")
    return TableSpec(columns, {**account_columns(), **extra}, bands=True)


def potential_column() -> object:
    """The expansion potential, an estimate: its label and help say what it rests on."""
    return money_column(
        "Potential (est.)",
        help="Estimated, not booked: seats to add × the account's price per seat (ARR ÷ "
        "licensed seats), plus its seats × the price difference to the plan up where it "
        "uses the product broadly",
    )


def _percent(label: str, **kw: object) -> object:
    return cc.ProgressColumn(label, min_value=0, max_value=1, format="percent", **kw)


# -- Portfolio -----------------------------------------------------------------------------------
def portfolio_accounts() -> TableSpec:
    return _accounts(
        "account_name",
        "arr",
        "health",
        "band",
        "top_action",
        "renewal_date",
        "renewal_basis",
        "churn_probability",
        "csm_owner",
        "am_owner",
        "segment",
        "top_cause",
    )


def onboarding_stuck() -> TableSpec:
    """The accounts stuck in onboarding, with the CSM's action (the row's own)."""
    return _accounts(
        "account_name",
        "csm_owner",
        "days_since_start",
        "last_week_share",
        "action",
        "cause",
        "segment",
        "contract_start",
        "arr",
        contract_start=cc.DateColumn("Started", format="YYYY-MM-DD"),
        days_since_start=cc.NumberColumn("Days since start"),
        last_week_share=cc.NumberColumn(
            "Seats active last week", format="percent", help="Empty under the logged rule"
        ),
        cause=cc.TextColumn("Where it stands", width="large"),
        action=cc.TextColumn("CSM action", width="large"),
    )


def onboarding_cohorts() -> TableSpec:
    """Onboarding by start month and segment: counts and the median days to first value."""
    return TableSpec(
        [
            "start_month",
            "segment",
            "accounts",
            "reached",
            "median_days_to_value",
            "not_yet",
            "churned_first",
            "unknown",
        ],
        {
            "start_month": cc.TextColumn("Started (month)"),
            "segment": cc.TextColumn("Segment"),
            "accounts": cc.NumberColumn("Accounts"),
            "reached": cc.NumberColumn("Reached value"),
            "median_days_to_value": cc.NumberColumn(
                "Median days to value",
                format="%.0f",
                help="Of the accounts that reached first value; empty when none has",
            ),
            "not_yet": cc.NumberColumn("Not yet"),
            "churned_first": cc.NumberColumn("Churned before value"),
            "unknown": cc.NumberColumn(
                "Unknown", help="First value cannot be known from the data (see the rule)"
            ),
        },
    )


# -- Renewals ------------------------------------------------------------------------------------
def renewal_month() -> TableSpec:
    return _accounts(
        "account_name",
        "renewal_date",
        "renewal_basis",
        "arr",
        "health",
        "band",
        "csm_owner",
        "am_owner",
        "top_cause",
    )


def renewal_windows() -> TableSpec:
    return TableSpec(
        [
            "window",
            "accounts",
            "arr",
            "accounts_red",
            "arr_red",
            "accounts_yellow",
            "arr_yellow",
            "accounts_green",
            "arr_green",
        ],
        {
            "window": cc.TextColumn("Days"),
            "accounts": cc.NumberColumn("Accounts"),
            "arr": money_column("ARR"),
            "arr_red": money_column("ARR red"),
            "arr_yellow": money_column("ARR yellow"),
            "arr_green": money_column("ARR green"),
            "accounts_red": cc.NumberColumn("Red"),
            "accounts_yellow": cc.NumberColumn("Yellow"),
            "accounts_green": cc.NumberColumn("Green"),
        },
    )


def _risk_columns() -> dict[str, object]:
    return {
        "days_in_stage": cc.NumberColumn(
            "Days in stage",
            format="%.1f",
            help="From this step to the next (to now while the handoff is open)",
        ),
        "reason": cc.TextColumn("Reason"),
        "owner": cc.TextColumn("Owner"),
        "next_step": cc.TextColumn("Next step", width="medium"),
        "due_on": cc.DateColumn("Due", format="YYYY-MM-DD"),
        "overdue": cc.CheckboxColumn("Overdue"),
        "stage": cc.TextColumn("Stage"),
    }


def handoff_history() -> TableSpec:
    """Every step of an account's handoffs: who, in which role, when, what they said, how
    long the handoff stayed in the stage, and what a risk step named."""
    return TableSpec(
        [
            "kind",
            "step",
            "state",
            "days_in_stage",
            "actor",
            "role",
            "stepped_at",
            "reason",
            "owner",
            "next_step",
            "due_on",
            "note",
        ],
        {
            "kind": cc.TextColumn("Handoff"),
            "step": cc.NumberColumn("Step"),
            "state": cc.TextColumn("State"),
            "actor": cc.TextColumn("Who"),
            "role": cc.TextColumn("Role"),
            "stepped_at": cc.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
            "note": cc.TextColumn("Evidence / note", width="large"),
            **_risk_columns(),
        },
    )


def covers() -> TableSpec:
    """Covers during leave: who is away, who covers, from and until when, set by whom."""
    return TableSpec(
        ["covered", "coverer", "starts_on", "last_day", "edited_by"],
        {
            "covered": cc.TextColumn("Away"),
            "coverer": cc.TextColumn("Covered by"),
            "starts_on": cc.DateColumn("From", format="YYYY-MM-DD"),
            "last_day": cc.DateColumn("Until (last day)", format="YYYY-MM-DD"),
            "edited_by": cc.TextColumn("Set or last changed by"),
        },
    )


def open_risks() -> TableSpec:
    """The open risks worked to an end: where each is, since when, and what happens next."""
    return _accounts(
        "account_name",
        "arr",
        "stage",
        "days_in_stage",
        "reason",
        "owner",
        "next_step",
        "due_on",
        "overdue",
        "csm_owner",
        "am_owner",
        **_risk_columns(),
    )


def risks_by_stage() -> TableSpec:
    return TableSpec(
        ["stage", "risks", "arr"],
        {
            "stage": cc.TextColumn("Stage"),
            "risks": cc.NumberColumn("Open risks"),
            "arr": money_column("ARR", help="— where an account's ARR is unknown"),
        },
    )


def renewal_risks() -> TableSpec:
    return _accounts(
        "account_name",
        "arr",
        "days_to_renewal",
        "renewal_basis",
        "band",
        "csm_next",
        "am_next",
        "top_cause",
        "health",
        "health_change_30d",
        csm_next=cc.TextColumn("CSM does", width="medium"),
        am_next=cc.TextColumn("AM does", width="medium"),
    )


def renewal_probabilities() -> TableSpec:
    return TableSpec(
        ["band", "probability", "source", "renewals", "renewed"],
        {
            "band": cc.TextColumn("Band"),
            "probability": _percent("P(renew)"),
            "source": cc.TextColumn("From"),
            "renewals": cc.NumberColumn("Renewals seen"),
            "renewed": cc.NumberColumn("Renewed"),
        },
    )


def value_validation() -> TableSpec:
    return _accounts(
        "account_name",
        "days_to_renewal",
        "renewal_basis",
        "arr",
        "checks_passed",
        "value_review",
        "commercial_plan",
        "check_health_trend",
        "check_adoption",
        "check_success_plan",
        "check_outcomes",
        "csm_owner",
        "am_owner",
        "commercial_plan_note",
        check_health_trend=cc.CheckboxColumn("Health trend"),
        check_adoption=cc.CheckboxColumn("Adoption"),
        check_success_plan=cc.CheckboxColumn("Success plan"),
        check_outcomes=cc.CheckboxColumn("Outcomes"),
        checks_passed=cc.ProgressColumn(
            "Value validated", min_value=0, max_value=4, format="%d of 4"
        ),
        value_review=cc.TextColumn("CSM value review"),
        commercial_plan=cc.TextColumn("AM commercial plan"),
        commercial_plan_note=cc.TextColumn("Plan (pricing, terms)", width="large"),
    )


# -- Expansion -----------------------------------------------------------------------------------
def expansion_ranking() -> TableSpec:
    return _accounts(
        "account_name",
        "expansion_potential",
        "expansion_window",
        "expansion_readiness",
        "handoff",
        "seats_to_add",
        "upgrade_to",
        "triggers_fired",
        "expansion_ready",
        "seat_utilisation",
        "band",
        "csm_owner",
        "am_owner",
        expansion_readiness=cc.ProgressColumn(
            "Readiness", min_value=0, max_value=100, format="%.0f"
        ),
        expansion_ready=cc.CheckboxColumn("Ready"),
        triggers_fired=cc.TextColumn("Triggers", width="large"),
        expansion_potential=potential_column(),
        expansion_window=cc.TextColumn("Window"),
        seats_to_add=cc.NumberColumn("Seats to add", format="%d"),
        upgrade_to=cc.TextColumn("Plan up"),
        seat_utilisation=cc.NumberColumn("Seats used", format="percent"),
        handoff=cc.TextColumn("Handoff"),
    )


def stalled_flags() -> TableSpec:
    return _accounts(
        "account_name",
        "am_owner",
        "created_by",
        "days_waiting",
        "arr",
        "state",
        created_by=cc.TextColumn("Flagged by"),
        days_waiting=cc.NumberColumn("Days waiting"),
        state=cc.TextColumn("State"),
    )


def unflagged_expansions() -> TableSpec:
    return _accounts(
        "account_name",
        "csm_owner",
        "am_owner",
        "expansion_potential",
        "triggers_fired",
        triggers_fired=cc.TextColumn("Triggers"),
        expansion_potential=potential_column(),
    )


# -- Weekly sync ---------------------------------------------------------------------------------
def sync_changes() -> TableSpec:
    return TableSpec(
        ["account_name", "change", "detail", "on_date"],
        {
            "account_name": cc.TextColumn("Account"),
            "change": cc.TextColumn("Change"),
            "detail": cc.TextColumn("Detail", width="large"),
            "on_date": cc.DateColumn("On", format="YYYY-MM-DD"),
        },
    )


def sync_stories() -> TableSpec:
    return TableSpec(
        ["account_name", "changes"],
        {
            "account_name": cc.TextColumn("Account"),
            "changes": cc.TextColumn("What changed and why", width="large"),
        },
    )


def portfolio_movers() -> TableSpec:
    return TableSpec(
        ["account_name", "health_then", "health", "health_change", "band", "change"],
        {
            "account_name": cc.TextColumn("Account"),
            "health_then": cc.NumberColumn("Health a week ago", format="%.0f"),
            "health": cc.NumberColumn("Health now", format="%.0f"),
            "health_change": cc.NumberColumn("Change", format="%+.0f"),
            "band": cc.TextColumn("Band"),
            "change": cc.TextColumn("What changed and why", width="large"),
        },
    )


def sync_renewals() -> TableSpec:
    return _accounts(
        "account_name",
        "renewal_date",
        "renewal_basis",
        "arr",
        "checks_passed",
        "checks_missing",
        "value_review",
        "commercial_plan",
        checks_passed=cc.ProgressColumn(
            "Value validated", min_value=0, max_value=4, format="%d of 4"
        ),
        checks_missing=cc.TextColumn("Missing", width="medium"),
        value_review=cc.TextColumn("CSM review"),
        commercial_plan=cc.TextColumn("AM plan"),
    )


def sync_waiting() -> TableSpec:
    return TableSpec(
        ["account_name", "kind", "state", "waiting_on", "created_by", "created_at"],
        {
            "account_name": cc.TextColumn("Account"),
            "kind": cc.TextColumn("Kind"),
            "state": cc.TextColumn("State"),
            "waiting_on": cc.TextColumn("Waiting on"),
            "created_by": cc.TextColumn("Flagged by"),
            "created_at": cc.DatetimeColumn("Flagged", format="YYYY-MM-DD"),
        },
    )


def sync_signals() -> TableSpec:
    return _accounts(
        "account_name",  # a meeting reads what it is worth and when first
        "expansion_potential",
        "days_to_renewal",
        "triggers_fired",
        triggers_fired=cc.TextColumn("Triggers", width="large"),
        expansion_potential=potential_column(),
    )


def sync_risks() -> TableSpec:
    return _accounts(
        "account_name",  # what is at stake, why, then who does what
        "arr",
        "days_to_renewal",
        "band",
        "health",
        "top_cause",
        "csm_next",
        "am_next",
        csm_next=cc.TextColumn("CSM does", width="medium"),
        am_next=cc.TextColumn("AM does", width="medium"),
    )


def decisions(statuses: list[str]) -> TableSpec:
    return TableSpec(
        [
            "note_id",
            "account_name",
            "decision",
            "owner",
            "due_on",
            "due_state",
            "status",
            "author",
            "edited_by",
        ],
        {
            "note_id": None,
            "account_name": cc.TextColumn("Account"),
            "due_state": cc.MultiselectColumn(
                "Due", options=["overdue", "due today"], color=["#dc2626", "#f59e0b"], disabled=True
            ),
            "decision": cc.TextColumn("Decision", width="large"),
            "owner": cc.TextColumn("Who"),
            "due_on": cc.DateColumn("By", format="YYYY-MM-DD"),
            "status": cc.SelectboxColumn("Status", options=statuses, required=True),
            "author": cc.TextColumn("Written by"),
            "edited_by": cc.TextColumn("Edited by"),
        },
    )


# -- Unmanaged middle ----------------------------------------------------------------------------
def unmanaged_accounts() -> TableSpec:
    return _accounts(
        "account_name",
        "arr_exposed",
        "signals_text",
        "days_to_renewal",
        "band",
        "csm_owner",
        "signals",
        "health",
        "segment",
        signals=cc.NumberColumn("Signals"),
        signals_text=cc.TextColumn("What nobody works", width="large"),
        arr_exposed=money_column("ARR exposed"),
    )


def assignments() -> TableSpec:
    return TableSpec(
        [
            "account_name",
            "suggested_am",
            "arr",
            "signals_text",
            "matched_on",
            "book",
            "capacity",
            "segment",
            "region",
        ],
        {
            **account_columns(),
            "signals_text": cc.TextColumn("What nobody works", width="large"),
            "suggested_am": cc.TextColumn("Suggested AM"),
            "matched_on": cc.TextColumn("Matched on"),
            "book": cc.NumberColumn("AM's book"),
            "capacity": cc.NumberColumn("Capacity"),
        },
    )


def owner_load() -> TableSpec:
    return TableSpec(
        [
            "owner",
            "role",
            "accounts",
            "arr",
            "value_acts",
            "commercial_acts",
            "commercial_share",
            "too_large",
        ],
        {
            "owner": cc.TextColumn("Owner"),
            "role": cc.TextColumn("Role"),
            "accounts": cc.NumberColumn("Accounts"),
            "arr": money_column("ARR"),
            "value_acts": cc.NumberColumn(f"Value work ({TOUCH_DAYS} d)"),
            "commercial_acts": cc.NumberColumn(f"Commercial work ({TOUCH_DAYS} d)"),
            "commercial_share": _percent("Commercial share"),
            "too_large": cc.CheckboxColumn("Too large"),
        },
    )


def org_models() -> TableSpec:
    return TableSpec(
        [
            "segment",
            "main_model",
            "accounts",
            "share_pair",
            "share_combined",
            "share_csm_only",
            "pair_stalled",
            "combined_late_renewals",
            "combined_missed_expansions",
            "csm_only_blind_spot",
            "csm_only_blind_arr",
        ],
        {
            "segment": cc.TextColumn("Segment"),
            "main_model": cc.TextColumn("Main model"),
            "accounts": cc.NumberColumn("Accounts"),
            "arr": money_column("ARR"),
            "share_pair": _percent("Pairs"),
            "share_combined": _percent("Combined"),
            "share_csm_only": _percent("CSM only"),
            "pair_stalled": cc.NumberColumn("Pairs: stalled handoffs"),
            "combined_late_renewals": cc.NumberColumn("Combined: late renewals"),
            "combined_missed_expansions": cc.NumberColumn("Combined: missed expansions"),
            "csm_only_blind_spot": cc.NumberColumn("CSM only: blind spot"),
            "csm_only_blind_arr": money_column("Blind-spot ARR"),
        },
    )


# -- Score lab -----------------------------------------------------------------------------------
def band_matrix(columns: list[str], money: bool) -> TableSpec:
    config = {
        c: (money_column(c.capitalize()) if money else cc.NumberColumn(c.capitalize()))
        for c in columns
        if c != "band_before"
    }
    return TableSpec(columns, {"band_before": cc.TextColumn("Active band"), **config})


def movers() -> TableSpec:
    return TableSpec(
        [
            "account_name",
            "arr",
            "health_before",
            "health_after",
            "change",
            "band_before",
            "band_after",
            "moved_by",
        ],
        {
            "account_name": cc.TextColumn("Account"),
            "arr": money_column("ARR"),
            "health_before": cc.ProgressColumn(
                "Health (active)", min_value=0, max_value=100, format="%.0f"
            ),
            "health_after": cc.ProgressColumn(
                "Health (candidate)", min_value=0, max_value=100, format="%.0f"
            ),
            "change": cc.NumberColumn("Change", format="%+.1f"),
            "band_before": cc.TextColumn("Band (active)"),
            "band_after": cc.TextColumn("Band (candidate)"),
            "moved_by": cc.TextColumn("Moved by (points of health)", width="large"),
        },
    )


def backtest_metrics() -> TableSpec:
    return TableSpec(
        ["metric", "active", "candidate"],
        {
            "metric": cc.TextColumn("Measure"),
            "active": cc.TextColumn("Active"),
            "candidate": cc.TextColumn("Candidate"),
        },
    )


def weights_compared() -> TableSpec:
    return TableSpec(
        ["component", "suggested", "active"],
        {
            "component": cc.TextColumn("Component"),
            "suggested": cc.NumberColumn("Calibrated weight", format="%.1f"),
            "active": cc.NumberColumn("Active weight", format="%.1f"),
        },
    )


def component_aucs() -> TableSpec:
    return TableSpec(
        [
            "component",
            "weight",
            "auc",
            "low",
            "high",
            "coverage",
            "raised",
            "raised_churned",
            "lift",
        ],
        {
            "component": cc.TextColumn("Component"),
            "weight": cc.NumberColumn(
                "Weight", format="%.1f", help="Empty: a stakeholder signal, not in the scorecard"
            ),
            "auc": cc.NumberColumn("AUC alone", format="%.3f", help="0.5 = a coin toss"),
            "low": cc.NumberColumn("95 % from", format="%.3f"),
            "high": cc.NumberColumn("95 % to", format="%.3f"),
            "coverage": _percent("Has data"),
            "raised": cc.NumberColumn(
                "Raised", format="%d", help="A signal: the account-snapshots where it was raised"
            ),
            "raised_churned": cc.NumberColumn(
                "Of which churned", format="%d", help="… and churned within the horizon"
            ),
            "lift": cc.NumberColumn(
                "Lift",
                format="%.2fx",
                help="A signal: churn where it was raised ÷ churn where it was known",
            ),
        },
    )


def reliability() -> TableSpec:
    return TableSpec(
        [
            "decile",
            "predicted",
            "observed",
            "low",
            "high",
            "n",
            "accounts",
            "churned_accounts",
            "judged",
        ],
        {
            "decile": cc.NumberColumn(
                "Decile", help="1 = the tenth with the lowest predicted risk"
            ),
            "predicted": cc.NumberColumn("Predicted churn", format="percent"),
            "observed": cc.NumberColumn("Observed churn", format="percent"),
            "low": cc.NumberColumn("Observed, 95 % from", format="percent"),
            "high": cc.NumberColumn("Observed, 95 % to", format="percent"),
            "n": cc.NumberColumn("Account-snapshots", format="localized"),
            "accounts": cc.NumberColumn("Accounts", format="localized"),
            "churned_accounts": cc.NumberColumn("Churned accounts", format="localized"),
            "judged": cc.CheckboxColumn(
                "Judged",
                help="the observed churn is known to ±5 points (its 95 % interval spans at most "
                "10): only then is the decile held to the 5-point rule",
            ),
        },
    )


def band_moves() -> TableSpec:
    return TableSpec(
        ["band_before", "band_after", "accounts", "arr"],
        {
            "band_before": cc.TextColumn("From band"),
            "band_after": cc.TextColumn("To band"),
            "accounts": cc.NumberColumn("Accounts"),
            "arr": money_column("ARR"),
        },
    )


def scorecard_audit() -> TableSpec:
    return TableSpec(
        ["logged_at", "actor", "action", "subject", "changes"],
        {
            "logged_at": cc.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
            "actor": cc.TextColumn("Who"),
            "action": cc.TextColumn("What"),
            "subject": cc.TextColumn("Scorecard"),
            "changes": cc.TextColumn("Changes", width="large"),
        },
    )


# -- Data ----------------------------------------------------------------------------------------
def table_overview() -> TableSpec:
    return TableSpec(
        [
            "table_name",
            "row_count",
            "first_date",
            "last_date",
            "days_since_last",
            "source",
            "loaded_at",
        ],
        {
            "table_name": cc.TextColumn("Table"),
            "row_count": cc.NumberColumn("Rows", format="localized"),
            "first_date": cc.DateColumn("First", format="YYYY-MM-DD"),
            "last_date": cc.DateColumn("Last", format="YYYY-MM-DD"),
            "days_since_last": cc.NumberColumn(
                "Days since last", format="%d", help="Freshness: days from the newest row to today"
            ),
            "source": cc.TextColumn("Source"),
            "loaded_at": cc.DatetimeColumn("Loaded at (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )


def load_history() -> TableSpec:
    return TableSpec(
        ["table_name", "source", "loaded_at", "row_count", "mapping"],
        {
            "table_name": cc.TextColumn("Table"),
            "source": cc.TextColumn("Source", width="medium"),
            "loaded_at": cc.DatetimeColumn("Loaded at (UTC)", format="YYYY-MM-DD HH:mm"),
            "row_count": cc.NumberColumn("Rows", format="localized"),
            "mapping": cc.JsonColumn("Mapping"),
        },
    )


def deliveries() -> TableSpec:
    """The delivery log: when, which digest, to whom, by which channel, and the result."""
    labels = {
        "delivered_at": "When",
        "day": "Digest of",
        "owner": "Owner",
        "role": "Role",
        "channel": "Channel",
        "target": "Sent to",
        "status": "Result",
        "attempts": "Attempts",
        "error": "Error",
    }
    config = {name: cc.TextColumn(label) for name, label in labels.items()}
    config.update(
        delivered_at=cc.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
        day=cc.DateColumn("Digest of", format="YYYY-MM-DD"),
        attempts=cc.NumberColumn("Attempts"),
        error=cc.TextColumn("Error", width="large"),
    )
    return TableSpec(list(labels), config)


# -- the renewal call ------------------------------------------------------------------------------
def _call_columns() -> dict[str, object]:
    return {
        "call": cc.TextColumn("Call"),
        "expected_arr": money_column("Call's expected ARR"),
        "reason": cc.TextColumn("Reason", width="medium"),
        "caller": cc.TextColumn("Called by"),
        "called_at": cc.DatetimeColumn("Called", format="YYYY-MM-DD HH:mm"),
        "call_frozen": cc.CheckboxColumn(
            "Frozen", help=f"{days(CALL_FREEZE_DAYS)} or fewer to the renewal"
        ),
        "calls": cc.NumberColumn("Calls made", format="%d"),
        "disagrees": cc.CheckboxColumn("Model disagrees"),
        "frozen_change_reason": cc.TextColumn("Why changed after the freeze", width="medium"),
    }


def renewal_calls() -> TableSpec:
    return _accounts(
        "account_name",
        "renewal_date",
        "days_to_renewal",
        "arr",
        "churn_probability",
        "call",
        "expected_arr",
        "disagrees",
        "call_frozen",
        "caller",
        "reason",
        "calls",
        "am_owner",
        "csm_owner",
        **_call_columns(),
    )


def call_disagreements() -> TableSpec:
    return _accounts(
        "account_name",
        "renewal_date",
        "arr",
        "churn_probability",
        "call",
        "expected_arr",
        "reason",
        "caller",
        "band",
        "top_cause",
        **_call_columns(),
    )


def call_history() -> TableSpec:
    return TableSpec(
        [
            "seq",
            "called_at",
            "category",
            "expected_arr",
            "reason",
            "frozen_change_reason",
            "caller",
        ],
        {**_call_columns(), "seq": cc.NumberColumn("#"), "category": cc.TextColumn("Call")},
    )


def call_rollup() -> TableSpec:
    return TableSpec(
        [
            "call",
            "renewals",
            "arr",
            "call_expected_arr",
            "model_expected_arr",
            "without_probability",
        ],
        {
            "call": cc.TextColumn("Call"),
            "renewals": cc.NumberColumn("Renewals"),
            "arr": money_column("ARR up"),
            "call_expected_arr": money_column(
                "Callers' expected ARR",
                help="Σ the expected ARR of each call (— where nobody called)",
            ),
            "model_expected_arr": money_column(
                "Model's expected ARR",
                help="Σ ARR × (1 − churn probability), over the renewals that have a probability",
            ),
            "without_probability": cc.NumberColumn(
                "No probability", help="Renewals with no churn probability (low coverage): left out"
            ),
        },
    )
