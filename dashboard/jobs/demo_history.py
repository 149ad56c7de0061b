"""The demo's people and their history: handoffs at every stage, risks flagged by CSMs and
last week's sync decisions, written through the same workflows people use (so the pages
that show them are not empty on a first start). Apart from the demo's tables
(``ingest/demo.py``), which a load writes."""

from __future__ import annotations

import datetime as dt

from dashboard.store import Stores, handoff_log, marts
from dashboard.workflows import decisions as sync_notes
from dashboard.workflows import handoffs


def seed_demo_handoffs(stores: Stores, anchor: dt.date, seed: int) -> int:
    """Give the demo's people some history: expansion handoffs at every stage (a few flagged
    three weeks ago with no AM step, so "fallen between the chairs" has content), risks
    flagged by CSMs, and last week's sync decisions of the largest pairs. Only on an app store
    with no handoff yet; returns how many handoffs and decisions were made."""
    if handoff_log.handoff_count(stores.app):
        return 0
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
    return made
