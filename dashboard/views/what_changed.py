"""What changed and why, for the Account page, the sync agenda, the Portfolio's largest movers
and the digests: the two sides' score rows and the facts between them from the stores, the
sentences from ``scoring.story``.

The earlier side is the score snapshot kept on or before the date asked for (last week, the
pair's last sync, the last QBR); the later side is the published scores. Every sentence says
the two dates it compares. Where no snapshot was kept on or before the date asked, the
comparison is not available (never "nothing changed").

An optional hook passes the same sentences to a language model the team runs itself
(``TANDEM_STORY_MODEL_URL``): off by default, and then nothing is sent anywhere."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from dataclasses import dataclass, field

import polars as pl

from dashboard.store import Stores
from dashboard.store import story_facts as facts_q
from dashboard.store.pairs import pair_key
from dashboard.store.stakeholder_rows import gone_rows
from dashboard.text import mask_pii
from dashboard.workflows import decisions as sync_notes
from dashboard.workflows import handoffs as h
from scoring.people import champion_left
from scoring.story import Sentence, StoryFacts, sentences_of, story_frame, unavailable

LAST_WEEK_DAYS = 7
MOVERS = 10  # the Portfolio's largest movers


@dataclass(frozen=True)
class Changes:
    """One account's story between two dates."""

    label: str  # "since last week", "since the last sync", "since the last QBR"
    asked: dt.date  # the date asked for
    since: dt.date | None  # the snapshot compared with (None: none kept on or before ``asked``)
    until: dt.date | None  # the published scores' date
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def compared(self) -> str:
        """What is compared, in words."""
        if self.since is None or self.until is None:
            return f"{self.label} ({self.asked})"
        kept = "" if self.since == self.asked else f", the scores kept on or before {self.asked}"
        return f"{self.label}: the scores of {self.since}{kept} against {self.until}"


def story_rows(
    stores: Stores,
    account_ids: list[str],
    asked: dt.date,
    until: dt.date,
    after: pl.DataFrame | None = None,
) -> tuple[dt.date | None, pl.DataFrame]:
    """The snapshot date compared with, and ``scoring.story.story_frame``'s sentences for
    these accounts (masked: no e-mail or phone in a sentence); no snapshot on or before
    ``asked``: (None, an empty frame). ``after``: the scores of ``until`` when they are not
    published yet (the nightly job's digests), else the published ones."""
    store = stores.sources
    since = facts_q.snapshot_on_or_before(store, asked)
    if since is None or not account_ids:
        return since, pl.DataFrame()
    before = facts_q.snapshot_scores(store, account_ids, since)
    if after is None:
        after = facts_q.current_scores(store, account_ids)
    span = (until - since).days
    risks = h.handoffs(stores.app, account_ids).filter(pl.col("kind") == "risk")
    facts = StoryFacts(
        tickets=facts_q.tickets_between(store, account_ids, since - dt.timedelta(days=span), until),
        invoices=facts_q.invoices_due_between(store, account_ids, since, until),
        champions_left=champion_left(
            facts_q.account_contacts(store, account_ids),
            until,
            max(span, 1),
            gone=gone_rows(store, account_ids),
        ),
        risks=risks.select("account_id", "created_at", "state", "updated_at"),
    )
    frame = story_frame(before, after, facts, since, until)
    return since, mask_pii(frame, ("text",))


def changes_between(
    stores: Stores, account_id: str, asked: dt.date, until: dt.date, label: str
) -> Changes:
    """One account's sentences since ``asked`` (the snapshot on or before it)."""
    since, frame = story_rows(stores, [account_id], asked, until)
    if since is None:
        why = f"no scores were kept on or before {asked}"
        return Changes(label, asked, None, until, unavailable(asked, until, why))
    said = sentences_of(frame, account_id)
    if not said:  # scored on neither date (not live, or not scored yet)
        said = unavailable(since, until, "the account has no scores on these dates")
    return Changes(label, asked, since, until, said)


def comparison_dates(stores: Stores, profile: dict, until: dt.date) -> list[tuple[str, dt.date]]:
    """The dates an account's story can start from: last week, the last sync of its pair
    and its last QBR, each when it exists."""
    dates = [("since last week", until - dt.timedelta(days=LAST_WEEK_DAYS))]
    csm, am = profile.get("csm_owner"), profile.get("am_owner")
    if csm and am:
        last = sync_notes.last_sync(sync_notes.decisions(stores.app, pair_key(csm, am)), until)
        if last:
            dates.append(("since the pair's last sync", last))
    qbr = facts_q.last_qbr(stores.sources, profile["account_id"], until)
    if qbr:
        dates.append(("since the last QBR", qbr))
    return dates


def account_changes(stores: Stores, profile: dict, until: dt.date) -> list[Changes]:
    """The account's story from each of ``comparison_dates``."""
    return [
        changes_between(stores, profile["account_id"], asked, until, label)
        for label, asked in comparison_dates(stores, profile, until)
    ]


def first_sentences(frame: pl.DataFrame) -> pl.DataFrame:
    """Each account's largest sentence (``account_id``, ``change``, ``kind``)."""
    if frame.is_empty():
        return pl.DataFrame(
            schema={"account_id": pl.String, "change": pl.String, "kind": pl.String}
        )
    return frame.filter(pl.col("rank") == 1).select(
        "account_id", pl.col("text").alias("change"), "kind"
    )


def joined_sentences(frame: pl.DataFrame) -> pl.DataFrame:
    """Each account's sentences as one text (``account_id``, ``changes``), largest first."""
    if frame.is_empty():
        return pl.DataFrame(schema={"account_id": pl.String, "changes": pl.String})
    return (
        frame.sort("account_id", "rank")
        .group_by("account_id", maintain_order=True)
        .agg(changes=pl.col("text").str.join(" "))
    )


def largest_movers(
    stores: Stores, scored: pl.DataFrame, until: dt.date, count: int = MOVERS
) -> tuple[dt.date | None, pl.DataFrame]:
    """The snapshot compared with (the one on or before a week before ``until``; None: none
    kept) and the ``count`` accounts of ``scored`` whose health moved most since it, with
    their health then and now and their largest sentence (``change``)."""
    since = facts_q.snapshot_on_or_before(stores.sources, until - dt.timedelta(LAST_WEEK_DAYS))
    if since is None or scored.is_empty():
        return since, pl.DataFrame()
    then = facts_q.snapshot_scores(stores.sources, scored["account_id"].to_list(), since)
    moved = (
        scored.select("account_id", "account_name", "arr", "health", "band")
        .join(
            then.select("account_id", health_then="health", band_then="band"),
            on="account_id",
        )
        .with_columns(health_change=pl.col("health") - pl.col("health_then"))
        .filter(pl.col("health_change").abs() > 0)
        .sort(pl.col("health_change").abs(), "arr", descending=True, nulls_last=True)
        .head(count)
    )
    _, frame = story_rows(stores, moved["account_id"].to_list(), since, until)
    return since, moved.join(first_sentences(frame), on="account_id", how="left")


# -- the optional hook: a language model the team runs itself ------------------------------------


def model_request(account_name: str, sentences: list[Sentence]) -> dict:
    """What the hook sends: the account's name and its sentences (the facts), nothing more."""
    return {
        "account": account_name,
        "facts": [{"kind": s.kind, "text": s.text} for s in sentences],
        "instruction": "Summarise these facts in two plain sentences; add nothing.",
    }


def model_summary(
    url: str | None, account_name: str, sentences: list[Sentence], timeout: float = 5.0
) -> str | None:
    """The team's language model's summary of the sentences, when its ``url`` is set
    (``TANDEM_STORY_MODEL_URL``: a POST of ``model_request`` as JSON; the reply's
    ``summary``); None when it is not (the default: nothing is sent anywhere) or the model
    does not answer."""
    if not url:
        return None
    body = json.dumps(model_request(account_name, sentences)).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            summary = json.loads(reply.read()).get("summary")
    except (OSError, ValueError):
        return None
    return str(summary) if summary else None
