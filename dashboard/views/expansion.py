"""The Expansion windows page's numbers: accounts with a trigger, ranked, with the state of
their expansion handoff, what fell between the chairs, and the AM's opportunity tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.store import Stores, marts
from dashboard.store.commercial import expansion_candidates, usage_loaded
from dashboard.store.filters import AccountFilter
from dashboard.views.common import Card, score_verdict
from dashboard.workflows import handoffs as h
from dashboard.workflows import tasks

POTENTIAL_HELP = (
    "Per ready account: the seats its users need to run at the target utilisation after "
    "the scorecard's growth months (3 by default) of their own growth, × its price per "
    "seat; plus, where it uses the "
    "product broadly and this portfolio has a plan up, its seats × the price difference to "
    "that plan (the median ARR per seat of its accounts). $0 where neither grows."
)


@dataclass(frozen=True)
class ExpansionView:
    as_of: dt.date | None
    cards: list[Card]
    ranked: pl.DataFrame  # accounts with a trigger, most ready first, with ``handoff`` state
    ready: int  # expansion-ready accounts
    potential: float  # their estimated potential (POTENTIAL_HELP)
    stalled: pl.DataFrame  # flagged more than 14 days ago, no AM step
    unflagged: pl.DataFrame  # ready for 30 days, never flagged
    opportunities: pl.DataFrame  # the AM's open expansion-opportunity tasks
    verdict: str | None = None  # the line saying the score does not predict churn here


def expansion_view(
    stores: Stores, f: AccountFilter, today: dt.date, unmask: bool = False
) -> ExpansionView:
    candidates = expansion_candidates(stores.sources, f)
    ids = candidates["account_id"].to_list()
    all_handoffs = h.handoffs(stores.app, ids)
    state = all_handoffs.filter(pl.col("kind") == "expansion").unique("account_id", keep="first")
    ranked = candidates.join(
        state.select("account_id", pl.col("state").alias("handoff")), on="account_id", how="left"
    )
    ready = ranked.filter(pl.col("expansion_ready"))
    stalled, unflagged = h.between_the_chairs(
        marts.account_table(stores.sources, f, None), candidates, all_handoffs, today
    )
    unflagged = unflagged.filter(pl.col("expansion_potential") > 0)  # no $0 signal
    open_flags = state.filter(pl.col("state").is_in(h.OPEN_STATES["expansion"])).height
    opportunities = (
        tasks.tasks(stores.app, ids, status="open", unmask=unmask)
        .filter(pl.col("kind") == "expansion_opportunity")
        .join(candidates.select("account_id", "account_name"), on="account_id", how="left")
    )
    potential = float(ready["expansion_potential"].sum())
    # readiness and potential rest on usage: with none loaded they are unknown, not 0 and $0
    usage = usage_loaded(stores.sources)
    unknown = None if usage else "no product usage loaded"
    cards = [
        Card("Expansion-ready accounts", ready.height if usage else None, "count", note=unknown),
        Card(
            "Estimated potential",
            potential if usage else None,
            "money",
            help=POTENTIAL_HELP,
            note=unknown,
        ),
        Card("Open expansion handoffs", open_flags, "count"),
        Card(
            "Fallen between the chairs",
            stalled.height + unflagged.height,
            "count",
            lower_is_better=True,
        ),
    ]
    return ExpansionView(
        as_of=marts.scores_as_of(stores.sources),
        cards=cards,
        ranked=ranked,
        ready=ready.height,
        potential=potential,
        stalled=stalled,
        unflagged=unflagged,
        opportunities=opportunities,
        verdict=score_verdict(stores.sources),
    )
