"""The demo's people and their history: handoffs at every stage, risks flagged by CSMs and
last week's sync decisions, written through the same workflows people use (so the pages
that show them are not empty on a first start). Apart from the demo's tables
(``ingest/demo.py``), which a load writes."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store import Stores, handoff_log, marts
from dashboard.views.success_plan import metric_values
from dashboard.workflows import decisions as sync_notes
from dashboard.workflows import goal_edits, handoffs
from dashboard.workflows.access import LOCAL, Actor


def seed_demo_handoffs(stores: Stores, anchor: dt.date, seed: int) -> int:
    """Give the demo's people some history: expansion handoffs at every stage (a few flagged
    three weeks ago with no AM step, so "fallen between the chairs" has content), risks
    flagged by CSMs, and last week's sync decisions of the largest pairs. Only on an app store
    with no handoff yet; returns how many handoffs and decisions were made."""
    if handoff_log.handoff_count(stores.app):
        return 0
    with stores.app.held():  # one connection for the whole history, not one per step
        return _seed(stores, anchor, seed)


def _seed(stores: Stores, anchor: dt.date, seed: int) -> int:
    ready = marts.ready_pair_accounts(stores.sources).sample(fraction=1.0, shuffle=True, seed=seed)
    risky = marts.risky_pair_accounts(stores.sources).head(4)
    # (state reached, days ago it was flagged): the AM steps follow a few days apart
    plan = [("flagged", 21)] * 4 + [("flagged", 3)] * 3 + [("qualified", 30)] * 4
    plan += [("proposal", 40)] * 3 + [("won", 60)] * 2 + [("lost", 50)]
    path = {
        "qualified": ["qualified"],
        "proposal": ["qualified", "proposal"],
        "won": ["qualified", "proposal", "won"],
        "lost": ["qualified", "lost"],
    }
    made = 0
    for (state, days), row in zip(plan, ready.iter_rows(named=True), strict=False):
        at = dt.datetime.combine(anchor - dt.timedelta(days=days), dt.time(10))
        hid = handoffs.flag(
            stores.app,
            row["account_id"],
            "expansion",
            f"{row['triggers_fired']}; the champion asked about more seats",
            row["csm_owner"],
            "csm",
            now=at,
        )
        current = "flagged"
        for step, target in enumerate(path.get(state, []), start=1):
            handoffs.advance(
                stores.app,
                hid,
                target,
                row["am_owner"],
                "am",
                from_state=current,
                account_has_am=True,
                now=at + dt.timedelta(days=4 * step),
                note={
                    "qualified": "Budget confirmed with the champion",
                    "proposal": "Sent options: +20 % seats, or the next plan up",
                    "won": "Signed at list price",
                    "lost": "No budget this year",
                }[target],
            )
            current = target
        made += 1
    for i, row in enumerate(risky.iter_rows(named=True)):
        at = dt.datetime.combine(anchor - dt.timedelta(days=5 + 4 * i), dt.time(9))
        hid = handoffs.flag(
            stores.app,
            row["account_id"],
            "risk",
            row["top_cause"] or "health falling",
            row["csm_owner"],
            "csm",
            now=at,
        )
        if i % 2:
            handoffs.advance(
                stores.app,
                hid,
                "plan",
                row["am_owner"],
                "am",
                from_state="flagged",
                account_has_am=True,
                now=at + dt.timedelta(days=2),
                note="Offer a two-year term at flat price if value is shown by the QBR",
                risk={
                    "reason": "value not shown",
                    "owner": row["am_owner"],
                    "next_step": "QBR with the sponsor: show the outcomes, then the term offer",
                    "due_on": anchor + dt.timedelta(days=10),
                },
            )
        made += 1
    # last week's sync of the three largest pairs, so the next one starts where it ended
    pairs = marts.largest_pairs(stores.sources, 3)
    synced = dt.datetime.combine(anchor - dt.timedelta(days=7), dt.time(15))
    for row in pairs.iter_rows(named=True):
        key = f"{row['csm_owner']} + {row['am_owner']}"
        first, *rest = row["top"]
        sync_notes.add_decision(
            stores.app,
            key,
            first,
            "Book an ROI review with the sponsor before the renewal quote",
            row["csm_owner"],
            anchor,
            row["csm_owner"],
            "csm",
            synced,
        )
        sync_notes.add_decision(
            stores.app,
            key,
            rest[0] if rest else first,
            "Prepare two pricing options for the extra seats",
            row["am_owner"],
            anchor + dt.timedelta(days=3),
            row["am_owner"],
            "am",
            synced,
        )
        made += 2
    seed_demo_goals(stores, anchor, pairs)
    return made


def _starts(
    stores: Stores, account_ids: list[str], metric: str, on: dt.date
) -> dict[str, float | None]:
    """A data metric's value for each account on the day its demo goal was set (its start):
    one read for all the accounts, not one per goal."""
    if not account_ids:
        return {}
    wanted = pl.DataFrame(
        {
            "account_id": account_ids,
            "metric": [metric] * len(account_ids),
            "feature": [None] * len(account_ids),
        },
        schema={"account_id": pl.String, "metric": pl.String, "feature": pl.String},
    )
    read = metric_values(stores.sources, wanted, on)
    return dict(zip(read["account_id"].to_list(), read["value"].to_list(), strict=True))


def seed_demo_goals(stores: Stores, anchor: dt.date, pairs: pl.DataFrame) -> int:
    """A few success-plan goals on the top accounts of the largest pairs, written through the
    workflow (some updated since): seat utilisation and tickets per month read from the data,
    and goals entered by hand. Nothing is drawn at random (no other demo number moves);
    returns how many goals were set."""
    made = 0
    firsts = [top[0] for top in pairs["top"].to_list()]
    seats_on = anchor - dt.timedelta(days=60)
    tickets_on = anchor - dt.timedelta(days=45)
    seats_at = _starts(stores, firsts, "seat_utilisation", seats_on)
    tickets_at = _starts(stores, firsts, "tickets_per_month", tickets_on)
    for row in pairs.iter_rows(named=True):
        csm, am = Actor(row["csm_owner"], "csm"), Actor(row["am_owner"], "am")
        first, *rest = row["top"]
        account = {"account_id": first, "csm_owner": csm.name, "am_owner": am.name}
        started = seats_on
        seats = seats_at[first]
        if seats is not None:
            goal_edits.create_goal(
                stores.app,
                LOCAL,
                account,
                title="Every licensed seat in use",
                metric="seat_utilisation",
                start_value=seats,
                target_value=min(round(seats + 15.0), 95.0),
                owner=csm.name,
                due_on=anchor + dt.timedelta(days=30),
                now=dt.datetime.combine(started, dt.time(11)),
                acting_as=csm,
            )
            made += 1
        started = tickets_on
        tickets = tickets_at[first]
        if tickets:
            goal_edits.create_goal(
                stores.app,
                LOCAL,
                account,
                title="Fewer support tickets after the training",
                metric="tickets_per_month",
                start_value=tickets,
                target_value=round(tickets * 0.6, 1),
                owner=csm.name,
                due_on=anchor + dt.timedelta(days=45),
                now=dt.datetime.combine(started, dt.time(11)),
                acting_as=csm,
            )
            made += 1
        started = anchor - dt.timedelta(days=50)
        trained = goal_edits.create_goal(
            stores.app,
            LOCAL,
            account,
            title="Admins trained on the reporting workflow",
            metric="manual",
            unit="admins",
            start_value=0.0,
            current_value=1.0,
            target_value=6.0,
            owner=am.name,
            due_on=anchor + dt.timedelta(days=20),
            now=dt.datetime.combine(started, dt.time(11)),
            acting_as=am,
        )
        goal_edits.update_goal(
            stores.app,
            LOCAL,
            account,
            trained,
            seen_version=1,
            title="Admins trained on the reporting workflow",
            current_value=2.0,
            target_value=6.0,
            owner=am.name,
            due_on=anchor + dt.timedelta(days=20),
            now=dt.datetime.combine(anchor - dt.timedelta(days=10), dt.time(16)),
            acting_as=csm,
        )
        made += 1
        if rest:
            other = {**account, "account_id": rest[0]}
            started = anchor - dt.timedelta(days=80)
            goal_edits.create_goal(
                stores.app,
                LOCAL,
                other,
                title="Executive sponsor at the QBR",
                metric="manual",
                unit="QBRs",
                start_value=0.0,
                current_value=1.0,
                target_value=1.0,
                owner=am.name,
                due_on=anchor + dt.timedelta(days=10),
                now=dt.datetime.combine(started, dt.time(11)),
                acting_as=am,
            )
            made += 1
    return made
