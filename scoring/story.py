"""What changed and why: for accounts and two dates, three to five plain sentences built from
the data (no language model), each typed (``kind``), with the size that ranks it
(``magnitude``).

Pure Polars, on two dates handed in: ``since`` (A) and ``until`` (B, the scoring date). The
two sides are score rows: ``before`` the snapshot kept on or before A, ``after`` the scores of
B (with the features, when a cause is to be said). The facts between them are rows of
tickets, invoices, champions who left (``scoring.people.champion_left``) and risk handoffs.

The sentences, and how each is ranked (``magnitude``; the largest first, at most
``STORY_MAX`` per account):

- **scorecard**: the active scorecard differs between the two sides. Said as such, first
  (magnitude ``SCORECARD_FIRST``), and then no health, band or component move is said: the
  two sides were scored by different weights and ranges, so a move would be the scorecard's,
  not the account's;
- **component**: a component moved by ``COMPONENT_MOVE`` points or more (magnitude: the points),
  with its cause in the data of B when it fell (``scoring.drivers.cause``); at most
  ``COMPONENTS_SAID`` of them;
- **band**: the band changed (magnitude: the health points moved + ``BAND_BONUS``);
- **risk**: a risk handoff flagged, or ended (saved or lost), between the dates;
- **renewal**: the renewal entered the ``RENEWAL_WINDOW_DAYS``-day window between the dates;
- **owner**: the CSM or the AM changed (only where both sides carry the owners);
- **champion**: a champion left between the dates (a dated ``left_on``, or gone from the CRM
  by a load between them: "gone from the CRM by …, last listed …", never a known day);
- **tickets**: a ticket spike: ``SPIKE_TICKETS`` or more opened between the dates and at least
  ``SPIKE_RATIO`` times as many as in as many days before;
- **payments**: invoices fell due between the dates and were unpaid at B.

Unknown is unknown: an account missing on either side has one sentence, ``unavailable``
("the comparison is not available"); a component unknown on either side says nothing;
"nothing in the data changed" (``nothing``) only when both sides exist and no sentence fired.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from scoring.drivers import cause
from scoring.glossary import COMPONENTS, RENEWAL_WINDOW_DAYS, RISK_ENDS, days
from scoring.people import gone_words

col = pl.col

STORY_MAX = 5  # sentences per account, at most
COMPONENT_MOVE = 10.0  # points a component moves to be said
COMPONENTS_SAID = 3  # component sentences per account, at most
BAND_BONUS = 25.0  # a band change ranks above a component move of the same points
SCORECARD_FIRST = 1000.0  # the scorecard's change frames every other sentence: first
RISK_RAISED = 60.0
RISK_ENDED = 55.0
CHAMPION_LEFT = 70.0
OWNER_CHANGED = 50.0
RENEWAL_ENTERED = 45.0
PAYMENTS_LATE = 40.0  # + 5 per invoice
SPIKE_TICKETS = 3  # tickets opened between the dates that can be a spike
SPIKE_RATIO = 2.0  # times the tickets of as many days before
TICKETS_SPIKE = 30.0  # + 1 per ticket

KINDS = (
    "scorecard",
    "component",
    "band",
    "risk",
    "renewal",
    "owner",
    "champion",
    "tickets",
    "payments",
    "nothing",
    "unavailable",
)
SENTENCE_SCHEMA = {
    "account_id": pl.String,
    "kind": pl.String,
    "text": pl.String,
    "magnitude": pl.Float64,
}
OWNER_ROLES = {"csm_owner": "CSM", "am_owner": "AM"}


@dataclass(frozen=True)
class Sentence:
    kind: str  # one of KINDS
    text: str
    magnitude: float  # what ranks it: the largest first


def _empty(frame: pl.DataFrame | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame if frame is not None else pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class StoryFacts:
    """The facts between the two dates, each a frame of rows (empty: none loaded)."""

    tickets: pl.DataFrame = field(  # account_id, created_at, priority
        default_factory=lambda: pl.DataFrame(
            schema={"account_id": pl.String, "created_at": pl.Datetime, "priority": pl.String}
        )
    )
    invoices: pl.DataFrame = field(  # account_id, due_on, paid_on, amount
        default_factory=lambda: pl.DataFrame(
            schema={
                "account_id": pl.String,
                "due_on": pl.Date,
                "paid_on": pl.Date,
                "amount": pl.Float64,
            }
        )
    )
    # scoring.people.champion_left: account_id, name, left_on (and gone_by, listed_on)
    champions_left: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"account_id": pl.String, "name": pl.String, "left_on": pl.Date}
        )
    )
    risks: pl.DataFrame = field(  # account_id, created_at, state, updated_at (risk handoffs)
        default_factory=lambda: pl.DataFrame(
            schema={
                "account_id": pl.String,
                "created_at": pl.Datetime,
                "state": pl.String,
                "updated_at": pl.Datetime,
            }
        )
    )


def _label(component: str) -> str:
    return component.replace("_", " ").capitalize()


def whole_number(expr: pl.Expr) -> pl.Expr:
    """A number rounded whole with thousands separators: ``12,400``."""
    n = expr.round(0).cast(pl.Int64)
    three = (n % 1000).cast(pl.String).str.zfill(3)
    return (
        pl.when(n >= 1_000_000)
        .then(
            pl.format(
                "{},{},{}", n // 1_000_000, ((n // 1000) % 1000).cast(pl.String).str.zfill(3), three
            )
        )
        .when(n >= 1000)
        .then(pl.format("{},{}", n // 1000, three))
        .otherwise(n.cast(pl.String))
    )


def _sentences(frame: pl.LazyFrame, kind: str, text: pl.Expr, size: pl.Expr) -> pl.LazyFrame:
    return frame.select(
        "account_id",
        pl.lit(kind).alias("kind"),
        text.alias("text"),
        size.cast(pl.Float64).alias("magnitude"),
    )


def _both(before: pl.DataFrame, after: pl.DataFrame) -> pl.LazyFrame:
    """One row per account on both sides: the before's columns suffixed ``_before``."""
    b = before.lazy().rename({c: f"{c}_before" for c in before.columns if c != "account_id"})
    return after.lazy().join(b, on="account_id", how="inner")


def _cause_or_null(after: pl.DataFrame, component: str) -> pl.Expr:
    """The component's cause in B's data (``scoring.drivers.cause``), or null where B's row
    lacks a feature it reads (a kept snapshot holds no features)."""
    said = cause(component).alias(f"cause_{component}")
    try:
        after.lazy().select(said).collect_schema()
    except pl.exceptions.ColumnNotFoundError:
        return pl.lit(None, pl.String).alias(f"cause_{component}")
    return said


def _with_causes(after: pl.DataFrame) -> pl.DataFrame:
    """``cause_<component>`` for every component (amounts in ``money_sign``, "$" without)."""
    if "money_sign" not in after.columns:
        after = after.with_columns(money_sign=pl.lit("$"))
    return after.with_columns(_cause_or_null(after, c) for c in COMPONENTS)


def _component_moves(both: pl.LazyFrame) -> pl.LazyFrame:
    parts = []
    for c in COMPONENTS:
        now, was = col(c).round(0).cast(pl.Int64), col(f"{c}_before").round(0).cast(pl.Int64)
        move = now - was  # of the points said, so the sentence's numbers add up
        verb = pl.when(move < 0).then(pl.lit("fell")).otherwise(pl.lit("rose"))
        why = pl.when((move < 0) & col(f"cause_{c}").is_not_null()).then(
            pl.format(": {}", col(f"cause_{c}"))
        )
        text = pl.format(
            "{} {} {} points ({} → {}){}.",
            pl.lit(_label(c)),
            verb,
            move.abs(),
            was,
            now,
            why.fill_null(""),
        )
        parts.append(
            _sentences(both.filter(move.abs() >= COMPONENT_MOVE), "component", text, move.abs())
        )
    return (
        pl.concat(parts)
        .sort(["account_id", "magnitude"], descending=[False, True], maintain_order=True)
        .filter(pl.int_range(pl.len()).over("account_id") < COMPONENTS_SAID)
    )


def _band_changes(both: pl.LazyFrame) -> pl.LazyFrame:
    changed = both.filter(
        col("band").is_not_null(),
        col("band_before").is_not_null(),
        col("band") != col("band_before"),
        col("health").is_not_null(),
        col("health_before").is_not_null(),
    )
    move = col("health") - col("health_before")
    text = pl.format(
        "Health {} from {} to {}: the band went from {} to {}.",
        pl.when(move < 0).then(pl.lit("fell")).otherwise(pl.lit("rose")),
        col("health_before").round(0).cast(pl.Int64),
        col("health").round(0).cast(pl.Int64),
        col("band_before"),
        col("band"),
    )
    return _sentences(changed, "band", text, move.abs() + BAND_BONUS)


def _scorecard_changes(both: pl.LazyFrame) -> pl.LazyFrame:
    changed = both.filter(
        col("scorecard").is_not_null(),
        col("scorecard_before").is_not_null(),
        col("scorecard") != col("scorecard_before"),
    )
    text = pl.format(
        "The scorecard changed from '{}' to '{}': health, bands and components are scored by "
        "other weights and ranges, so their moves are the scorecard's, not the account's.",
        col("scorecard_before"),
        col("scorecard"),
    )
    return _sentences(changed, "scorecard", text, pl.lit(SCORECARD_FIRST))


def _owner_changes(both: pl.LazyFrame, names: list[str]) -> list[pl.LazyFrame]:
    parts = []
    for owner, role in OWNER_ROLES.items():
        if owner not in names or f"{owner}_before" not in names:
            continue  # a side without its owners: a change is unknown, not absent
        changed = both.filter(
            col(owner).is_not_null(),
            col(f"{owner}_before").is_not_null(),
            col(owner) != col(f"{owner}_before"),
        )
        text = pl.format(
            f"The {role} changed from {{}} to {{}}.", col(f"{owner}_before"), col(owner)
        )
        parts.append(_sentences(changed, "owner", text, pl.lit(OWNER_CHANGED)))
    return parts


def _renewal_entered(both: pl.LazyFrame, since: dt.date, until: dt.date) -> pl.LazyFrame:
    left = (col("renewal_date") - pl.lit(until)).dt.total_days()
    was = (col("renewal_date") - pl.lit(since)).dt.total_days()
    entered = both.filter(left >= 0, left <= RENEWAL_WINDOW_DAYS, was > RENEWAL_WINDOW_DAYS)
    text = pl.format(
        f"It entered the {RENEWAL_WINDOW_DAYS}-day renewal window: it renews on {{}}, in {{}} days.",
        col("renewal_date"),
        left,
    )
    return _sentences(entered, "renewal", text, pl.lit(RENEWAL_ENTERED))


def _ticket_spikes(tickets: pl.DataFrame, since: dt.date, until: dt.date) -> pl.LazyFrame:
    span = (until - since).days
    start = dt.datetime.combine(since, dt.time())
    end = dt.datetime.combine(until, dt.time())
    prior = dt.datetime.combine(since - dt.timedelta(days=span), dt.time())
    at = col("created_at").cast(pl.Datetime)
    high = col("priority").str.to_lowercase().is_in(["high", "urgent"])
    counts = (
        tickets.lazy()
        .group_by("account_id")
        .agg(
            now=((at >= start) & (at < end)).sum(),
            high=((at >= start) & (at < end) & high.fill_null(False)).sum(),
            before=((at >= prior) & (at < start)).sum(),
        )
        .filter(col("now") >= SPIKE_TICKETS, col("now") >= SPIKE_RATIO * col("before"))
    )
    text = pl.format(
        f"A ticket spike: {{}} tickets opened ({{}} high/urgent), against {{}} in the "
        f"{days(span)} before.",
        col("now"),
        col("high"),
        col("before"),
    )
    return _sentences(counts, "tickets", text, TICKETS_SPIKE + col("now"))


def _payments_late(
    invoices: pl.DataFrame, after: pl.LazyFrame, since: dt.date, until: dt.date
) -> pl.LazyFrame:
    late = (
        invoices.lazy()
        .filter(
            col("due_on") >= since,
            col("due_on") < until,
            col("paid_on").is_null() | (col("paid_on") >= until),
        )
        .group_by("account_id")
        .agg(
            invoices=pl.len(),
            amount=col("amount").sum(),
            unknown=col("amount").is_null().any(),
            first_due=col("due_on").min(),
        )
        .join(after.select("account_id", "money_sign"), on="account_id", how="left")
    )
    amount = (
        pl.when(col("unknown"))
        .then(pl.lit("amount unknown"))
        .otherwise(pl.format("{}{}", col("money_sign").fill_null("$"), whole_number(col("amount"))))
    )
    text = pl.format(
        "Payments went late: {} {} fell due and {} unpaid ({}), the first due {}.",
        col("invoices"),
        pl.when(col("invoices") == 1).then(pl.lit("invoice")).otherwise(pl.lit("invoices")),
        pl.when(col("invoices") == 1).then(pl.lit("is")).otherwise(pl.lit("are")),
        amount,
        col("first_due"),
    )
    return _sentences(late, "payments", text, PAYMENTS_LATE + 5 * col("invoices"))


def _champions_left(left: pl.DataFrame, since: dt.date, until: dt.date) -> pl.LazyFrame:
    if "gone_by" not in left.columns:  # dated departures only
        left = left.with_columns(gone_by=pl.lit(None, pl.Date), listed_on=pl.lit(None, pl.Date))
    day = pl.coalesce("left_on", "gone_by")  # gone from the CRM: the upper bound, said so
    when = (
        pl.when(col("left_on").is_not_null())
        .then(pl.format("on {}", col("left_on")))
        .otherwise(gone_words())
    )
    gone = (
        left.lazy()
        .filter(day > since, day <= until)
        .sort(day, "name")
        .group_by("account_id")
        .agg(
            people=pl.format("{} ({})", col("name").fill_null("a champion"), when),
            n=pl.len(),
        )
    )
    text = pl.format(
        "{} left: {}.",
        pl.when(col("n") == 1).then(pl.lit("The champion")).otherwise(pl.lit("Champions")),
        col("people").list.join(", "),
    )
    return _sentences(gone, "champion", text, CHAMPION_LEFT + col("n"))


def _risk_flags(risks: pl.DataFrame, since: dt.date, until: dt.date) -> list[pl.LazyFrame]:
    frame = risks.lazy().with_columns(
        flagged_on=col("created_at").cast(pl.Datetime).dt.date(),
        ended_on=col("updated_at").cast(pl.Datetime).dt.date(),
    )
    raised = frame.filter(col("flagged_on") >= since, col("flagged_on") <= until)
    ended = frame.filter(
        col("state").is_in(RISK_ENDS), col("ended_on") >= since, col("ended_on") <= until
    )
    return [
        _sentences(
            raised,
            "risk",
            pl.format("A risk was flagged on {} (now {}).", col("flagged_on"), col("state")),
            pl.lit(RISK_RAISED),
        ),
        _sentences(
            ended,
            "risk",
            pl.format(
                "The risk flagged on {} was closed as {} on {}.",
                col("flagged_on"),
                col("state"),
                col("ended_on"),
            ),
            pl.lit(RISK_ENDED),
        ),
    ]


def story_frame(
    before: pl.DataFrame,
    after: pl.DataFrame,
    facts: StoryFacts,
    since: dt.date,
    until: dt.date,
    top: int = STORY_MAX,
) -> pl.DataFrame:
    """Per account of ``before`` or ``after``: up to ``top`` sentences (account_id, kind,
    text, magnitude, rank), the largest first; ``nothing`` for an account on both sides
    where none fired, ``unavailable`` for one missing on either side."""
    after = _with_causes(after)
    both = _both(before, after)
    names = both.collect_schema().names()
    scorecard = _scorecard_changes(both)
    same_card = both.join(scorecard.select("account_id"), on="account_id", how="anti")
    parts = [
        scorecard,
        _component_moves(same_card),
        _band_changes(same_card),
        *_owner_changes(both, names),
        _ticket_spikes(facts.tickets, since, until),
        _payments_late(facts.invoices, after.lazy(), since, until),
        _champions_left(facts.champions_left, since, until),
        *_risk_flags(facts.risks, since, until),
    ]
    if "renewal_date" in names:
        parts.append(_renewal_entered(both, since, until))
    ids = pl.concat([before.lazy().select("account_id"), after.lazy().select("account_id")])
    known = both.select("account_id")
    said = (
        pl.concat(parts)
        .join(known, on="account_id", how="semi")  # facts of accounts on both sides only
        .sort(["account_id", "magnitude", "kind"], descending=[False, True, False])
        .filter(pl.int_range(pl.len()).over("account_id") < top)
    )
    nothing = known.join(said, on="account_id", how="anti").select(
        "account_id",
        kind=pl.lit("nothing"),
        text=pl.lit(f"Nothing in the data changed between {since} and {until}."),
        magnitude=pl.lit(0.0),
    )
    missing = (
        ids.unique()
        .join(known, on="account_id", how="anti")
        .select(
            "account_id",
            kind=pl.lit("unavailable"),
            text=pl.lit(
                f"The comparison between {since} and {until} is not available: no scores "
                "were kept for this account on one of the two dates."
            ),
            magnitude=pl.lit(0.0),
        )
    )
    return (
        pl.concat([said, nothing, missing])
        .sort(["account_id", "magnitude", "kind"], descending=[False, True, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("account_id"))
        .collect()
    )


def unavailable(since: dt.date, until: dt.date, why: str) -> list[Sentence]:
    """The one sentence of a comparison that cannot be made (no snapshot on or before
    ``since``, no scores at ``until``), saying why."""
    return [
        Sentence(
            "unavailable", f"The comparison between {since} and {until} is not available: {why}.", 0
        )
    ]


def sentences_of(frame: pl.DataFrame, account_id: str) -> list[Sentence]:
    """One account's sentences from ``story_frame``'s output, the largest first."""
    rows = frame.filter(col("account_id") == account_id).sort("rank")
    return [
        Sentence(r["kind"], r["text"], float(r["magnitude"])) for r in rows.iter_rows(named=True)
    ]
