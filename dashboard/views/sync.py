"""The weekly sync of a CSM+AM pair: its agenda from the store and the app store, and the
agenda's exports (Markdown, and print-ready HTML)."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import polars as pl

from dashboard.store import Stores
from dashboard.store.pairs import changes_since, pair_accounts, pairs, split_pair
from dashboard.store.sources import SourceStore
from dashboard.text import IN_WINDOW, RISK_TERMS, SCORE_LAB, WITHIN_WINDOW, format_value, md
from dashboard.views.common import Card, score_verdict
from dashboard.views.exports import Column, html_table, markdown_table
from dashboard.views.renewals import call_disagreements, with_calls, with_plans
from dashboard.views.stakeholders import stakeholder_lines
from dashboard.views.what_changed import joined_sentences, story_rows
from dashboard.workflows import decisions as sync_notes
from dashboard.workflows import handoffs as h
from dashboard.workflows import renewal_calls, tasks
from dashboard.workflows.scorecards import active_scorecard
from scoring.forecast import value_validation


@dataclass(frozen=True)
class Agenda:
    pair: str
    csm: str
    am: str
    as_of: dt.date
    since: dt.date
    since_last_sync: bool  # False: no earlier sync, so the last 7 days
    accounts: pl.DataFrame
    changes: pl.DataFrame
    renewals: pl.DataFrame
    waiting: pl.DataFrame  # open handoffs with the side they wait on
    signals: pl.DataFrame  # expansion-ready, not flagged
    risks: pl.DataFrame
    decisions: pl.DataFrame  # every decision of the pair
    last_decisions: pl.DataFrame  # those of the last sync
    todays: pl.DataFrame  # recorded today
    cards: list[Card]
    since_text: str  # "Changes since the last sync on …"
    verdict: str | None = None  # the line saying the score does not predict churn here
    verdict_plain: str | None = None  # the same line for the exports, without Markdown
    # the renewal calls of the pair's accounts that the model disagrees with (views.renewals)
    disagreements: pl.DataFrame = field(default_factory=pl.DataFrame)
    # what changed and why on each account since ``since`` (views.what_changed): account_id,
    # account_name, changes (the sentences, largest first); accounts where nothing did are left out
    stories: pl.DataFrame = field(default_factory=pl.DataFrame)
    stories_note: str | None = None  # why there are none: no scores kept on or before ``since``
    # the stakeholder signals raised on the pair's accounts, one line each (views.stakeholders)
    stakeholders: pl.DataFrame = field(default_factory=pl.DataFrame)


def waiting_sides() -> pl.DataFrame:
    """Which side a handoff waits on in each open state: the role(s) of its next steps."""
    rows = []
    for kind, states in h.FLOW.items():
        for state, steps in states.items():
            roles = sorted({h.ROLES[r] for r in steps.values()})
            rows.append({"kind": kind, "state": state, "waiting_on": " or ".join(roles)})
    return pl.DataFrame(rows)


def build_agenda(stores: Stores, pair: str, today: dt.date, unmask: bool = False) -> Agenda:
    """Everything the sync walks through, since the pair's last sync (or the last 7 days)."""
    red = active_scorecard(stores.app).thresholds.red
    csm, am = split_pair(pair)
    accounts = pair_accounts(stores.sources, csm, am)
    ids = accounts["account_id"].to_list()
    notes = sync_notes.decisions(stores.app, pair, unmask)
    last = sync_notes.last_sync(notes, today)
    since = last or today - dt.timedelta(days=7)
    names = accounts.select("account_id", "account_name")
    open_handoffs = h.handoffs(stores.app, ids).filter(pl.col("state").is_in(h.ANY_OPEN_STATE))
    waiting = open_handoffs.join(waiting_sides(), on=["kind", "state"], how="left").join(
        names, on="account_id", how="left"
    )
    flagged = set(h.handoffs(stores.app, ids).filter(pl.col("kind") == "expansion")["account_id"])
    validation = with_plans(value_validation(accounts), tasks.tasks(stores.app, ids, unmask=unmask))
    as_of = accounts["as_of"].max() if accounts.height else today
    decisions = notes.join(names, on="account_id", how="left").with_columns(
        due_state=sync_notes.due_state(today)
    )
    last_decisions = decisions.filter(pl.col("sync_on") == last) if last else decisions.clear()
    risks = accounts.filter(pl.col("risk_before_deadline")).sort("arr", descending=True)
    changes = changes_since(stores.sources, ids, since, red).join(names, on="account_id")
    signals = accounts.filter(  # a signal worth nothing by the potential model is no signal
        pl.col("expansion_ready"),
        pl.col("expansion_potential") > 0,
        ~pl.col("account_id").is_in(list(flagged)),
    ).sort("expansion_potential", descending=True)
    blind = accounts.height > 0 and accounts["health"].is_null().all()  # at risk: unknown
    calls = renewal_calls.current_calls(stores.app, unmask)
    disagreements = call_disagreements(with_calls(accounts, calls))
    kept, story = story_rows(stores, ids, since, as_of)
    stories = joined_sentences(story.filter(pl.col("kind") != "nothing") if story.height else story)
    stories = names.join(stories, on="account_id")  # the pair's order: weakest first
    cards = [
        Card("Shared accounts", accounts.height, "count"),
        Card("ARR", accounts["arr"].sum(), "money"),
        Card("Changes", changes.height, "count"),
        Card(f"Renewals {IN_WINDOW}", validation.height, "count"),
        Card("Handoffs waiting", waiting.height, "count"),
        Card(
            "At risk",
            None if blind else risks.height,
            "count",
            lower_is_better=True,
            help=RISK_TERMS["at_risk"],
            note="no health: no source has data for these accounts" if blind else None,
        ),
    ]
    since_text = (
        f"Changes since {'the last sync on ' if last else ''}{since}"
        f"{'' if last else ' (no earlier sync: the last 7 days)'}"
    )
    return Agenda(
        pair=pair,
        csm=csm,
        am=am,
        as_of=as_of,
        since=since,
        since_last_sync=last is not None,
        accounts=accounts,
        changes=changes,
        renewals=validation,
        waiting=waiting,
        signals=signals,
        risks=risks,
        decisions=decisions,
        last_decisions=last_decisions,
        todays=decisions.filter(pl.col("sync_on") == today),
        cards=cards,
        since_text=since_text,
        verdict=score_verdict(stores.sources),
        verdict_plain=score_verdict(stores.sources, SCORE_LAB, markdown=False),
        disagreements=disagreements,
        stories=stories,
        stories_note=None
        if kept or not ids
        else f"What changed and why is not available: no scores were kept on or before {since}.",
        stakeholders=stakeholder_lines(stores.sources, accounts, as_of, unmask),
    )


@dataclass(frozen=True)
class PairChoices:
    keys: list[str]
    labels: dict[str, str]


def pair_choices(store: SourceStore, scope: list[str] | None) -> PairChoices:
    """The pairs (and combined owners) a viewer may open, with their labels."""
    found = pairs(store, scope)
    labels = {
        r["key"]: f"{r['key']} — {r['accounts']} accounts, {format_value(r['arr'], 'money')}"
        + (" (combined role)" if r["model"] == "combined" else "")
        for r in found.iter_rows(named=True)
    }
    return PairChoices(found["key"].to_list(), labels)


ACCOUNT = Column("account_name", "Account")
DECISION_COLUMNS = [
    ACCOUNT,
    Column("decision", "Decision"),
    Column("owner", "Who"),
    Column("due_state", "Due"),
    Column("due_on", "By", "date"),
    Column("status", "Status"),
]
# (section title, frame attribute, columns with the page's labels): the agenda's order
SECTIONS: list[tuple[str, str, list[Column]]] = [
    ("What changed and why", "stories", [ACCOUNT, Column("changes", "What changed and why")]),
    (
        "Since last sync",
        "changes",
        [
            ACCOUNT,
            Column("change", "Change"),
            Column("detail", "Detail"),
            Column("on_date", "On", "date"),
        ],
    ),
    (
        f"Renewals {IN_WINDOW}",
        "renewals",
        [
            ACCOUNT,
            Column("renewal_date", "Renewal", "date"),
            Column("renewal_basis", "Renewal from"),
            Column("arr", "ARR", "money"),
            Column("checks_passed", "Value validated", "progress4"),
            Column("checks_missing", "Missing"),
            Column("value_review", "CSM review"),
            Column("commercial_plan", "AM plan"),
        ],
    ),
    (
        "Handoffs waiting",
        "waiting",
        [
            ACCOUNT,
            Column("kind", "Kind"),
            Column("state", "State"),
            Column("waiting_on", "Waiting on"),
            Column("created_by", "Flagged by"),
            Column("created_at", "Flagged", "date"),
        ],
    ),
    (
        "Expansion signals not yet flagged",
        "signals",
        [
            ACCOUNT,
            Column("triggers_fired", "Triggers"),
            Column("expansion_potential", "Potential (estimated)", "money"),
            Column("expansion_window", "Window"),
        ],
    ),
    (
        f"At risk (renewing {WITHIN_WINDOW}, red or falling)",
        "risks",
        [
            ACCOUNT,
            Column("arr", "ARR", "money"),
            Column("health", "Health", "score"),
            Column("band", "Band"),
            Column("top_cause", "Cause"),
            Column("csm_next", "CSM does"),
            Column("am_next", "AM does"),
        ],
    ),
    (
        "Renewal calls the model disagrees with",
        "disagreements",
        [
            ACCOUNT,
            Column("renewal_date", "Renewal", "date"),
            Column("arr", "ARR", "money"),
            Column("churn_probability", "Model's churn probability", "percent"),
            Column("call", "Call"),
            Column("expected_arr", "Call's expected ARR", "money"),
            Column("reason", "Reason"),
            Column("caller", "Called by"),
        ],
    ),
    (
        "Stakeholder signals",
        "stakeholders",
        [
            Column("line", "Signal"),
            Column("csm_action", "CSM does"),
            Column("am_action", "AM does"),
        ],
    ),
    ("Last sync's decisions", "last_decisions", DECISION_COLUMNS),
]


def _sections(
    agenda: Agenda, decisions: pl.DataFrame | None
) -> list[tuple[str, pl.DataFrame, list[Column]]]:
    out = [(title, getattr(agenda, attr), cols) for title, attr, cols in SECTIONS]
    if decisions is not None:
        out.append(
            ("Decisions", decisions, [*DECISION_COLUMNS[:-1], Column("author", "Written by")])
        )
    return out


def _title(agenda: Agenda) -> tuple[str, str]:
    who = agenda.csm if agenda.csm == agenda.am else f"{agenda.csm} (CSM) and {agenda.am} (AM)"
    since = (
        f"since the last sync on {agenda.since}"
        if agenda.since_last_sync
        else f"since {agenda.since} (no earlier sync: the last 7 days)"
    )
    return f"Weekly sync — {who}", (
        f"{agenda.accounts.height} shared accounts, "
        f"{format_value(agenda.accounts['arr'].sum(), 'money')} ARR; scored as of {agenda.as_of}; "
        f"changes {since}."
    )


def agenda_markdown(agenda: Agenda, today_decisions: pl.DataFrame | None = None) -> str:
    """The agenda and the decisions as the pair would send them after the meeting: the
    page's labels, whole dollars, dates, no internal ids; every value escaped."""
    title, intro = _title(agenda)
    parts = [f"# {md(title)}", "", md(intro), ""]
    if agenda.verdict_plain:
        parts += [f"> {md(agenda.verdict_plain)}", ""]
    for name, frame, cols in _sections(agenda, today_decisions):
        parts += [f"## {name}", "", markdown_table(frame, cols), ""]
    return "\n".join(parts)


PRINT_CSS = """
body { font: 11pt/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 18pt; } h2 { font-size: 13pt; margin-top: 1.4em; break-after: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; } tr { break-inside: avoid; }
@page { size: A4 landscape; margin: 12mm; }
"""


def agenda_html(agenda: Agenda, today_decisions: pl.DataFrame | None = None) -> str:
    """The same agenda as a self-contained, print-ready HTML page (print it to PDF)."""
    title, intro = _title(agenda)
    body = "".join(
        f"<h2>{html.escape(n)}</h2>{html_table(f, cols)}"
        for n, f, cols in _sections(agenda, today_decisions)
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{PRINT_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(intro)}</p>"
        + (
            f"<p><strong>{html.escape(agenda.verdict_plain)}</strong></p>"
            if agenda.verdict_plain
            else ""
        )
        + f"{body}</body></html>"
    )
