"""What a file is, from evidence: its header *and its values*, with a confidence, the
runner-up, and a refusal when unsure.

Each column is profiled on a sample (``profile``): what its values parse as (integers,
money, dates, times, e-mails, web domains, prefixed ids such as ``cus_``/``in_``/``sub_``),
how unique and how empty it is, its vocabulary when small, its range when numeric, and
what its name says once ``customerID``, ``Company name`` and ``created_at`` are split into
words. Each kind of file — Tandem's canonical tables and the kinds that are *not customer
data* (people, leads, deals, product users, catalogues, marketing lists, web analytics) —
is a short function over those profiles that adds up what speaks for it and what against
it, every point named. A file is recognised only when its best kind scores at least
``MIN_SCORE`` and beats the runner-up by ``MIN_MARGIN``; otherwise it *needs a table* and
nothing of the import is written. A vendor layout (``presets/``) whose header fits is
strong evidence, still checked against the values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from dashboard.ingest.mapping import Mapping

SAMPLE_ROWS = 5_000
MIN_SCORE = 6.0  # the best kind's points needed to decide
MIN_MARGIN = 3.0  # ... and its lead over the runner-up
NOT_CUSTOMER = "not_customer"

Verdict = Literal["table", "not_customer", "ask"]


def words(name: str) -> tuple[str, ...]:
    """A header's words: ``customerID`` -> (customer, id); ``Company name (UTC)`` ->
    (company, name, utc); ``$insert_id`` -> (insert, id)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    return tuple(w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w)


def key_of(name: str) -> str:
    """The header as one snake_case key: ``customerID`` -> ``customer_id``."""
    return "_".join(words(name))


# ---- column profiles ------------------------------------------------------------------

_EMAIL = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$"
_DOMAIN = r"^(https?://)?(www\.)?([a-z0-9-]+\.)+[a-z]{2,}(/\S*)?$"
_INT = r"^[+-]?\d+$"
_NUMBER = r"^[+-]?[$€£¥]?\s?(\d{1,3}([,. ]\d{3})+|\d+)([.,]\d+)?\s?([A-Z]{3})?$"
_DATE = (
    r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}/\d{1,2}/\d{1,2}"
    r"|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}|\d{1,2} [A-Za-z]{3,9}\.? \d{4})"
)
_TIME = r"(\d{1,2}:\d{2}|T\d{2})"
_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_PREFIXED = r"^([a-z]{2,6})_[A-Za-z0-9]{6,}$"
_IDLIKE = r"^[A-Za-z0-9][A-Za-z0-9_\-:.]{1,63}$"


@dataclass(frozen=True)
class ColumnProfile:
    """What one column's name and sampled values say."""

    name: str
    words: tuple[str, ...]
    filled: float  # share of rows with a value
    unique: float  # distinct values / filled values
    distinct: int
    ints: float  # shares of the filled values that parse as ...
    numbers: float
    dates: float
    times: float  # dates with a time of day
    epochs: float  # unix seconds or milliseconds in 2000-2100
    emails: float
    domains: float
    uuids: float
    idlike: float
    prefix: str | None  # the common prefix of prefixed ids (cus, in, sub…)
    letters: float  # values holding a letter
    digits: float  # values holding a digit
    mean_length: float
    low: float | None  # numeric range
    high: float | None
    vocabulary: frozenset[str]  # lower-cased values when there are few (else empty)
    email_domains: int  # distinct domains of the e-mails

    def named(self, *options: str) -> bool:
        """The header holds one of these words (or word pairs joined by ``_``)."""
        joined = "_".join(self.words)
        return any(o in self.words or (("_" in o) and o in joined) for o in options)

    @property
    def is_time(self) -> bool:
        return self.dates >= 0.8 or self.epochs >= 0.9

    @property
    def is_money(self) -> bool:
        return self.numbers >= 0.9 and self.dates < 0.5 and (self.low is None or self.low >= -1e12)

    @property
    def is_unique(self) -> bool:
        """Each value once (a few repeats allowed in a small or hashed sample)."""
        return self.unique >= (0.98 if self.distinct >= 50 else 0.85)

    @property
    def is_key(self) -> bool:
        """Values like ids: short, no spaces, mostly distinct."""
        return self.idlike >= 0.95 and self.dates < 0.5 and self.emails < 0.5 and self.is_unique

    @property
    def is_ref(self) -> bool:
        """Values like ids that repeat (a foreign key)."""
        return self.idlike >= 0.9 and self.dates < 0.5 and self.emails < 0.5 and self.unique < 0.9

    def vocab_share(self, vocabulary: set[str]) -> float:
        """Share of this column's small vocabulary that is in ``vocabulary``."""
        if not self.vocabulary:
            return 0.0
        return len(self.vocabulary & vocabulary) / len(self.vocabulary)


def _share(col: pl.Expr, pattern: str) -> pl.Expr:
    return col.str.contains(pattern).mean()


def profile(frame: pl.DataFrame) -> list[ColumnProfile]:
    """Profile every column of ``frame`` (its first ``SAMPLE_ROWS`` rows) in one pass."""
    sample = frame.head(SAMPLE_ROWS)
    texts = sample.select(
        pl.col(c).cast(pl.Utf8, strict=False).str.strip_chars().replace("", None).alias(c)
        for c in sample.columns
    )
    exprs: list[pl.Expr] = []
    for i, c in enumerate(texts.columns):
        v = pl.col(c).drop_nulls()
        num = v.str.replace_all(r"[$€£¥,\s]|[A-Z]{3}$", "").cast(pl.Float64, strict=False)
        exprs += [
            pl.col(c).is_not_null().mean().alias(f"{i}.filled"),
            v.n_unique().alias(f"{i}.distinct"),
            v.len().alias(f"{i}.n"),
            _share(v, _INT).alias(f"{i}.ints"),
            _share(v, _NUMBER).alias(f"{i}.numbers"),
            _share(v, _DATE).alias(f"{i}.dates"),
            (v.str.contains(_DATE) & v.str.contains(_TIME)).mean().alias(f"{i}.times"),
            (v.str.contains(r"^\d{10}(\d{3})?$")).mean().alias(f"{i}.epochs"),
            _share(v, _EMAIL).alias(f"{i}.emails"),
            _share(v.str.to_lowercase(), _DOMAIN).alias(f"{i}.domains"),
            _share(v.str.to_lowercase(), _UUID).alias(f"{i}.uuids"),
            _share(v, _IDLIKE).alias(f"{i}.idlike"),
            _share(v, r"[A-Za-z]").alias(f"{i}.letters"),
            _share(v, r"[0-9]").alias(f"{i}.digits"),
            v.str.len_chars().mean().alias(f"{i}.length"),
            num.min().alias(f"{i}.low"),
            num.max().alias(f"{i}.high"),
            v.str.extract(_PREFIXED, 1).mode().first().alias(f"{i}.prefix"),
            _share(v, _PREFIXED).alias(f"{i}.prefixed"),
            v.str.extract(r"@(.+)$", 1).str.to_lowercase().n_unique().alias(f"{i}.edomains"),
        ]
    row = texts.select(exprs).row(0, named=True) if texts.height else {}
    small = {
        c: frozenset(
            texts.get_column(c).drop_nulls().str.to_lowercase().unique().head(41).to_list()
        )
        for c in texts.columns
    }
    profiles = []
    for i, c in enumerate(texts.columns):
        n = row.get(f"{i}.n") or 0

        def get(k: str, i: int = i) -> float:
            value = row.get(f"{i}.{k}")
            return float(value) if value is not None else 0.0

        distinct = int(get("distinct"))
        epochs = get("epochs")
        low, high = row.get(f"{i}.low"), row.get(f"{i}.high")
        if epochs and not (low is not None and low >= 946_684_800 and high < 4_102_444_800_000):
            epochs = 0.0
        profiles.append(
            ColumnProfile(
                name=c,
                words=words(c),
                filled=get("filled"),
                unique=distinct / n if n else 0.0,
                distinct=distinct,
                ints=get("ints"),
                numbers=get("numbers"),
                dates=get("dates"),
                times=get("times"),
                epochs=epochs,
                emails=get("emails"),
                domains=get("domains") if get("emails") < 0.5 else 0.0,
                uuids=get("uuids"),
                idlike=get("idlike"),
                prefix=row.get(f"{i}.prefix") if get("prefixed") >= 0.9 else None,
                letters=get("letters"),
                digits=get("digits"),
                mean_length=get("length"),
                low=float(low) if low is not None else None,
                high=float(high) if high is not None else None,
                vocabulary=small[c] if 0 < distinct <= 40 else frozenset(),
                email_domains=int(get("edomains")),
            )
        )
    return profiles


# ---- evidence -------------------------------------------------------------------------

TICKET_STATUSES = {
    "new",
    "open",
    "pending",
    "hold",
    "on-hold",
    "on hold",
    "solved",
    "closed",
    "resolved",
    "waiting on customer",
    "waiting on third party",
    "snoozed",
    "in progress",
    "escalated",
    "awaiting customer",
    "waiting",
    "reopened",
    "waiting for customer",
    "waiting for support",
    "done",
    "to do",
    "active",
}
PRIORITIES = {
    "low",
    "normal",
    "medium",
    "high",
    "urgent",
    "critical",
    "p1",
    "p2",
    "p3",
    "p4",
    "blocker",
    "major",
    "minor",
    "highest",
    "lowest",
    "none",
    "1",
    "2",
    "3",
    "4",
}
SUB_STATUSES = {
    "active",
    "canceled",
    "cancelled",
    "past_due",
    "trialing",
    "unpaid",
    "incomplete",
    "incomplete_expired",
    "paused",
    "non_renewing",
    "in_trial",
    "future",
    "expired",
    "live",
    "suspended",
    "pending",
    "trial",
    "ended",
    "soft_failure",
    "on_hold",
}
INVOICE_STATUSES = {
    "paid",
    "open",
    "void",
    "draft",
    "uncollectible",
    "posted",
    "payment_due",
    "not_paid",
    "pending",
    "overdue",
    "sent",
    "voided",
    "authorised",
    "authorized",
    "partially_paid",
    "past_due",
    "failed",
    "closed",
    "refunded",
    "collected",
}
ACTIVITY_KINDS = {
    "call",
    "email",
    "meeting",
    "note",
    "task",
    "qbr",
    "ebr",
    "demo",
    "visit",
    "lunch",
    "follow-up",
    "follow up",
    "outcome",
    "milestone",
    "other",
    "sms",
}
OUTCOME_EVENTS = {
    "renewed",
    "renewal",
    "churned",
    "churn",
    "expanded",
    "expansion",
    "contracted",
    "contraction",
    "downgrade",
    "upgrade",
    "cancellation",
    "cancelled",
    "canceled",
    "reactivation",
    "new",
    "won",
    "lost",
}
DEAL_STAGES = {
    "prospecting",
    "qualification",
    "needs analysis",
    "value proposition",
    "id. decision makers",
    "perception analysis",
    "proposal/price quote",
    "negotiation/review",
    "closed won",
    "closed lost",
    "closedwon",
    "closedlost",
    "appointment scheduled",
    "qualified to buy",
    "presentation scheduled",
    "decision maker bought-in",
    "contract sent",
    "discovery",
    "proposal",
    "negotiation",
    "won",
    "lost",
    "open",
    "qualified",
    "demo scheduled",
    "engaging",
    "prospect",
    "engaged",
    "commit",
    "best case",
    "pipeline",
}
LEAD_STAGES = {
    "lead",
    "subscriber",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "marketing qualified lead",
    "sales qualified lead",
    "mql",
    "sql",
    "prospect",
    "opportunity",
    "open - not contacted",
    "working - contacted",
    "closed - converted",
    "closed - not converted",
    "new",
    "nurture",
    "unqualified",
    "qualified",
    "contacted",
    "attempted to contact",
    "in progress",
    "open deal",
    "bad timing",
    "connected",
    "unsubscribed",
    "cold",
    "warm",
    "hot",
}
CUSTOMER_STAGES = {
    "customer",
    "active",
    "churned",
    "paying",
    "client",
    "former customer",
    "evangelist",
    "live",
    "inactive",
    "cancelled",
    "canceled",
    "active customer",
}
OWNER_ROLES = {
    "csm",
    "am",
    "both",
    "leader",
    "admin",
    "account manager",
    "account executive",
    "customer success manager",
    "customer success",
    "sales",
    "manager",
    "sales manager",
    "cs",
    "ae",
    "standard",
    "standard user",
    "system administrator",
    "director",
    "vp sales",
    "head of cs",
    "support agent",
    "agent",
}

ACCOUNT_WORDS = (
    "account",
    "company",
    "customer",
    "organization",
    "organisation",
    "org",
    "group",
    "client",
    "tenant",
    "workspace",
    "business",
)
ID_WORDS = ("id", "key", "number", "no", "uuid", "guid", "ref", "code", "num")
PERSON_WORDS = (
    "first_name",
    "last_name",
    "firstname",
    "lastname",
    "full_name",
    "given_name",
    "family_name",
    "surname",
    "job_title",
    "title",
    "phone",
    "mobile",
    "salutation",
    "birthday",
    "linkedin",
)


@dataclass
class Evidence:
    """Points for and against one kind, each named."""

    kind: str
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: float, reason: str) -> None:
        self.score += points
        self.reasons.append(f"{'+' if points >= 0 else ''}{points:g} {reason}")


@dataclass
class Columns:
    """The profiled columns with look-ups the kinds share."""

    all: list[ColumnProfile]
    rows: int

    def find(self, test: Callable[[ColumnProfile], bool]) -> ColumnProfile | None:
        return next((c for c in self.all if test(c)), None)

    def count(self, test: Callable[[ColumnProfile], bool]) -> int:
        return sum(1 for c in self.all if test(c))

    def named(self, *options: str) -> ColumnProfile | None:
        return self.find(lambda c: c.named(*options))

    def vocab(self, vocabulary: set[str], at_least: float = 0.6) -> ColumnProfile | None:
        return self.find(lambda c: len(c.vocabulary) >= 2 and c.vocab_share(vocabulary) >= at_least)

    def account_ref(self) -> ColumnProfile | None:
        """A column naming the customer: an account/company/organisation id or name."""
        return self.find(
            lambda c: c.named(*ACCOUNT_WORDS) and not c.named("email", "domain") and c.filled > 0
        )

    def own_key(self) -> ColumnProfile | None:
        """The file's own id column: ``id``-like name first, else any unique id column."""
        named = self.find(lambda c: c.is_key and (c.words in (("id",), ("record", "id"), ("key",))))
        return named or self.find(
            lambda c: c.is_key and c.named(*ID_WORDS) and not c.named(*ACCOUNT_WORDS)
        )

    def times(self) -> list[ColumnProfile]:
        return [c for c in self.all if c.is_time]

    def person_columns(self) -> int:
        return self.count(lambda c: c.named(*PERSON_WORDS))


def _timestamp(c: Columns, e: Evidence, *names: str) -> ColumnProfile | None:
    found = [t for t in c.times() if t.named(*names)] or c.times()
    if found:
        e.add(2, f"dates in {found[0].name!r}")
        return found[0]
    return None


def _accounts(c: Columns) -> Evidence:
    e = Evidence("accounts")
    name = c.find(
        lambda p: (
            p.named(
                "name", "company", "account", "organization", "organisation", "customer", "client"
            )
            and not p.named(
                *ID_WORDS,
                "owner",
                "manager",
                "csm",
                "rep",
                "contact",
                "user",
                "first",
                "last",
                "email",
                "domain",
                "website",
                "url",
                "industry",
                "type",
                "segment",
                "stage",
                "status",
                "product",
                "plan",
                "deal",
                "event",
                "ticket",
                "subject",
                "source",
                "campaign",
            )
            and p.letters >= 0.9
            and p.emails < 0.2
        )
    )
    key = c.find(
        lambda p: p.is_key and (p.named(*ACCOUNT_WORDS) or p.words in (("id",), ("record", "id")))
    )
    if name is None:
        e.add(-6, "no company name column")
        return e
    company_header = name.named(*ACCOUNT_WORDS)
    if name.is_unique and company_header:
        e.add(4, f"company names in {name.name!r}, each once ({name.unique:.0%} distinct)")
    elif name.is_unique:
        e.add(2, f"names in {name.name!r}, each once")
    else:
        e.add(
            -4, f"{name.name!r} repeats names ({name.unique:.0%} distinct): rows are not accounts"
        )
    if key is not None:
        e.add(2, f"unique key {key.name!r}")
    money = c.find(
        lambda p: (
            p.is_money
            and p.named(
                "arr",
                "mrr",
                "revenue",
                "acv",
                "arr_usd",
                "contract_value",
                "annual",
                "amount",
                "value",
            )
        )
    )
    if money is not None:
        e.add(2, f"money in {money.name!r}")
    extras = [
        p.name
        for p in c.all
        if p.named(
            "segment",
            "industry",
            "region",
            "country",
            "plan",
            "tier",
            "employees",
            "seats",
            "licenses",
            "domain",
            "website",
            "csm",
            "renewal",
            "contract",
        )
    ]
    if extras:
        e.add(min(3, len(extras)), f"company attributes ({', '.join(extras[:4])})")
    stage = c.vocab(CUSTOMER_STAGES | LEAD_STAGES | {"other"}, 0.5)
    if stage is not None and stage.vocab_share(LEAD_STAGES - CUSTOMER_STAGES) > 0.7:
        e.add(-6, f"{stage.name!r} holds lead stages ({', '.join(sorted(stage.vocabulary)[:4])})")
    people = c.person_columns()
    if people >= 2:
        e.add(-2 * people, f"{people} person columns (a list of people)")
    email = c.find(lambda p: p.emails >= 0.8 and p.unique >= 0.9)
    if email is not None:
        e.add(-3, f"a unique e-mail per row in {email.name!r} (people)")
    for vocab, what in (
        (TICKET_STATUSES - {"active"}, "ticket statuses"),
        (DEAL_STAGES, "deal stages"),
    ):
        hit = c.vocab(vocab, 0.7)
        if hit is not None and hit.named("status", "stage", "state", "deal"):
            e.add(-5, f"{what} in {hit.name!r}")
    if c.find(lambda p: p.named("event", "action") and p.unique < 0.2):
        e.add(-4, "event names")
    score = _score_column(c)
    if score is not None:
        e.add(-4, f"{score.name!r} is a 0-10 score (a survey)")
    return e


def _score_column(c: Columns) -> ColumnProfile | None:
    return c.find(
        lambda p: (
            p.ints >= 0.95
            and p.low is not None
            and p.high is not None
            and p.low >= 0
            and p.high <= 10
            and p.named(
                "score",
                "nps",
                "rating",
                "csat",
                "answer",
                "response",
                "recommend",
                "likely",
                "likelihood",
                "satisfaction",
            )
            and not p.named("health", "lead", "id", "priority", "employees")
        )
    )


def _surveys(c: Columns) -> Evidence:
    e = Evidence("surveys")
    score = _score_column(c)
    if score is None:
        e.add(-6, "no 0-10 or 1-5 score column")
        return e
    e.add(5, f"{score.name!r} holds scores {score.low:g}-{score.high:g}")
    if c.named("nps", "recommend", "survey", "response", "csat", "feedback", "comment"):
        e.add(2, "survey words in the header")
    if (
        _timestamp(c, e, "responded", "response", "submitted", "created", "date", "answered")
        is None
    ):
        e.add(-3, "no response date")
    who = c.find(lambda p: p.emails >= 0.8) or c.account_ref()
    if who is not None:
        e.add(1, f"respondent or company in {who.name!r}")
    support = [
        p.name
        for p in c.all
        if p.named(
            "priority",
            "severity",
            "ticket",
            "subject",
            "resolution",
            "first_response",
            "escalation",
            "requester",
            "assignee",
            "solved",
        )
    ]
    if support:
        e.add(-2 * min(len(support), 3), f"support columns ({', '.join(support[:3])})")
    return e


def _tickets(c: Columns) -> Evidence:
    e = Evidence("tickets")
    status = c.find(
        lambda p: (
            len(p.vocabulary) >= 2
            and p.vocab_share(TICKET_STATUSES) >= 0.6
            and p.named("status", "state", "stage")
        )
    )
    priority = c.find(
        lambda p: p.named("priority", "severity", "urgency") and p.vocab_share(PRIORITIES) >= 0.6
    )
    subject = c.named("subject", "title", "summary", "description")
    if status is not None:
        e.add(3, f"ticket statuses in {status.name!r}")
    if priority is not None:
        e.add(3, f"priorities in {priority.name!r}")
    if subject is not None and subject.letters > 0.9 and subject.mean_length > 8:
        e.add(1, f"text in {subject.name!r}")
    if c.named(
        "ticket",
        "conversation",
        "issue",
        "case",
        "requester",
        "assignee",
        "solved",
        "resolved",
        "sla",
        "satisfaction",
        "helpdesk",
        "agent",
    ):
        e.add(2, "support words in the header")
    if c.named("solved", "resolved", "closed_at", "first_response", "reply"):
        e.add(1, "a resolution time")
    if _timestamp(c, e, "created", "opened", "submitted") is None:
        e.add(-4, "no creation date")
    if c.own_key() is None and not c.named(
        "ticket_id", "ticket_number", "case_number", "issue_key"
    ):
        e.add(-2, "no ticket id")
    if c.named("deal", "pipeline", "opportunity", "probability", "amount"):
        e.add(-3, "deal words")
    if c.vocab({"call", "email", "meeting"}, 0.6) or (
        c.vocab({"not started", "completed", "deferred"}, 0.5)
    ):
        e.add(-4, "CRM task vocabulary")
    return e


def _usage(c: Columns) -> Evidence:
    e = Evidence("usage_events")
    event = c.find(
        lambda p: (
            p.named("event", "action", "feature", "event_name", "event_type", "track", "activity")
            and p.unique < 0.5
            and p.letters > 0.8
            and not p.named("id", "time", "date")
        )
    )
    user = c.find(
        lambda p: (
            p.named("user", "distinct", "visitor", "anonymous", "member", "person", "device")
            and p.unique < 0.9
            and not p.named("name", "email", "agent")
        )
    )
    when = next((t for t in c.times() if t.times >= 0.8 or t.epochs >= 0.9), None)
    quantity = c.find(
        lambda p: (
            p.named(
                "count",
                "quantity",
                "events",
                "usage",
                "total",
                "minutes",
                "duration",
                "sessions",
                "events_count",
            )
            and p.ints >= 0.9
        )
    )
    if event is not None:
        e.add(3, f"event names in {event.name!r} ({event.distinct} distinct)")
    if user is not None:
        e.add(2, f"users repeat in {user.name!r}")
    if when is not None:
        e.add(3, f"times of day in {when.name!r}")
    elif c.times() and quantity is not None:
        e.add(2, f"daily counts in {quantity.name!r}")
    else:
        e.add(-4, "no event times")
    if event is None and quantity is None:
        e.add(-4, "no event name or count")
    ref = c.account_ref()
    if ref is not None and ref.unique < 0.5:
        e.add(1, f"many rows per account in {ref.name!r}")
    if c.named("session", "pageviews", "page_views", "bounce", "medium", "utm", "landing"):
        e.add(-5, "web analytics words")
    if c.named("subject", "priority", "requester", "assignee"):
        e.add(-3, "support words")
    if c.named("stage", "pipeline", "probability", "deal", "opportunity"):
        e.add(-4, "deal words")
    if c.named(
        "open",
        "opens",
        "click",
        "clicks",
        "unsubscribe",
        "bounced",
        "sent",
        "delivered",
        "campaign",
    ):
        e.add(-4, "e-mail campaign words")
    return e


def _subscriptions(c: Columns) -> Evidence:
    e = Evidence("subscriptions")
    key = c.find(lambda p: p.is_key and (p.prefix == "sub" or p.named("subscription")))
    if key is not None:
        e.add(4, f"subscription ids in {key.name!r}")
    elif c.named("subscription", "plan", "plan_id", "billing_period", "billing_cycle"):
        e.add(1, "billing words")
    status = c.vocab(SUB_STATUSES, 0.6)
    if status is not None and status.named("status", "state"):
        e.add(2, f"subscription statuses in {status.name!r}")
    if c.named(
        "current_period",
        "period_start",
        "period_end",
        "trial",
        "cancel",
        "renews",
        "next_billing",
        "billing_period",
        "mrr",
        "term",
        "auto_renew",
        "quantity",
        "interval",
    ):
        e.add(2, "subscription terms in the header")
    if c.find(lambda p: p.prefix == "cus" or (p.is_ref and p.named("customer", "account"))):
        e.add(1, "a customer reference")
    if c.named("invoice", "due", "amount_due", "amount_paid"):
        e.add(-2, "invoice words")
    if key is None and c.own_key() is None:
        e.add(-2, "no subscription id")
    return e


def _invoices(c: Columns) -> Evidence:
    e = Evidence("invoices")
    key = c.find(
        lambda p: (
            p.is_key
            and (
                p.prefix == "in"
                or p.named("invoice", "doc_number")
                or p.words in (("number",), ("no",))
            )
        )
    )
    if key is not None:
        e.add(4, f"invoice numbers in {key.name!r}")
    if c.named(
        "invoice", "due", "due_date", "amount_due", "amount_paid", "balance", "paid", "total"
    ):
        e.add(2, "invoice words in the header")
    status = c.vocab(INVOICE_STATUSES, 0.6)
    if status is not None and status.named("status", "state", "paid"):
        e.add(1, f"invoice statuses in {status.name!r}")
    money = c.find(
        lambda p: p.is_money and p.named("amount", "total", "balance", "due", "paid", "subtotal")
    )
    if money is not None:
        e.add(1, f"money in {money.name!r}")
    else:
        e.add(-3, "no amount")
    if not c.times():
        e.add(-3, "no dates")
    if c.named("subscription_id") and not c.named("invoice"):
        e.add(-2, "a subscription file")
    return e


def _activities(c: Columns) -> Evidence:
    e = Evidence("activities")
    kind = c.vocab(ACTIVITY_KINDS, 0.6)
    if kind is not None and kind.named("type", "kind", "activity", "subtype", "channel", "task"):
        e.add(4, f"activity kinds in {kind.name!r}")
    if c.named(
        "activity_type",
        "activity_date",
        "task_subtype",
        "call_type",
        "call_duration",
        "meeting",
        "engagement",
        "interaction",
        "who_id",
        "what_id",
        "call_disposition",
    ):
        e.add(2, "activity words in the header")
    if c.vocab(
        {"not started", "completed", "deferred", "in progress", "waiting on someone else"}, 0.5
    ):
        e.add(2, "task statuses")
    if c.named("subject", "summary", "description", "body", "notes", "note"):
        e.add(1, "a summary")
    if _timestamp(c, e, "activity", "occurred", "date", "created", "due", "start") is None:
        e.add(-4, "no dates")
    if c.named("ticket", "requester", "satisfaction", "solved"):
        e.add(-3, "support words")
    return e


def _outcomes(c: Columns) -> Evidence:
    e = Evidence("outcomes")
    event = c.vocab(OUTCOME_EVENTS, 0.6)
    if event is not None and event.named("event", "type", "outcome", "kind", "change", "movement"):
        e.add(4, f"renewal and churn events in {event.name!r}")
    dated = c.find(
        lambda p: (
            p.is_time
            and p.named(
                "churn",
                "churned",
                "cancel",
                "cancellation",
                "canceled",
                "cancelled",
                "renewed",
                "event",
                "occurred",
            )
        )
    )
    if dated is not None:
        e.add(4, f"churn or renewal dates in {dated.name!r}")
    elif c.named("churn_reason", "cancel_reason", "reason_code", "cancellation_reason"):
        e.add(2, "churn reasons")
    if c.named("arr_change", "mrr_change", "delta", "refund"):
        e.add(1, "an amount of change")
    if _timestamp(c, e, "churn", "occurred", "event", "date", "cancel") is None:
        e.add(-3, "no dates")
    if c.account_ref() is None:
        e.add(-2, "no account column")
    if c.named("stage", "pipeline", "probability"):
        e.add(-3, "deal words")
    return e


def _owners(c: Columns) -> Evidence:
    e = Evidence("owners")
    email = c.find(lambda p: p.emails >= 0.8)
    role = c.find(
        lambda p: (
            p.named("role", "profile", "user_role", "team", "department", "title", "user_type")
            and p.vocab_share(OWNER_ROLES) >= 0.3
        )
    )
    if c.named(
        "owner",
        "owners",
        "user_role",
        "profile_id",
        "user_role_id",
        "is_active",
        "username",
        "team_id",
        "sales_agent",
        "manager",
    ):
        e.add(2, "staff words in the header")
    if role is not None:
        e.add(3, f"staff roles in {role.name!r}")
    if email is not None and email.email_domains <= 2 and c.rows >= 3:
        e.add(3, f"e-mails in {email.email_domains} company domain(s)")
    elif email is not None:
        e.add(-4, f"e-mails from {email.email_domains} domains (customers' people)")
    if c.account_ref() is not None and not c.named("sales_agent", "manager"):
        e.add(-4, "a customer company per row")
    if c.named("lifecycle", "lead", "stage", "phone", "lead_status", "contact"):
        e.add(-3, "contact or lead words")
    if c.rows > 2_000:
        e.add(-2, f"{c.rows:,} rows (more than a team)")
    return e


def _account_keys(c: Columns) -> Evidence:
    e = Evidence("account_keys")
    if c.find(lambda p: p.words == ("key",)) and c.find(lambda p: p.words == ("system",)):
        e.add(6, "key and system columns")
    else:
        e.add(-5, "no key and system columns")
    return e


def _not_customer(c: Columns) -> Evidence:
    """Files that are not customer data: people, leads, deals, product users, catalogues,
    marketing lists, web analytics."""
    e = Evidence(NOT_CUSTOMER)
    people = c.person_columns()
    email = c.find(lambda p: p.emails >= 0.8 and p.unique >= 0.8)
    if people >= 1 and email is not None:
        e.add(
            3 + min(people, 3),
            f"a person per row ({people} person columns, e-mails in {email.name!r})",
        )
    elif (
        email is not None and email.email_domains > 2 and _score_column(c) is None and not c.times()
    ):
        e.add(3, f"a unique e-mail per row in {email.name!r}")
    stage = c.vocab(LEAD_STAGES, 0.6)
    if stage is not None and stage.named("lifecycle", "lead", "status", "stage"):
        lead_share = stage.vocab_share(LEAD_STAGES - CUSTOMER_STAGES)
        if lead_share >= 0.6:
            e.add(5, f"lead stages in {stage.name!r}")
    if c.named(
        "lead",
        "lead_source",
        "lead_status",
        "leadsource",
        "converted",
        "mql",
        "utm_campaign",
        "lead_score",
    ):
        e.add(4, "lead words in the header")
    deal = c.find(
        lambda p: (
            p.named("stage", "deal_stage", "stage_name", "pipeline_stage")
            and p.vocab_share(DEAL_STAGES) >= 0.5
        )
    )
    if deal is not None or c.named(
        "probability",
        "forecast_category",
        "pipeline",
        "expected_revenue",
        "close_date",
        "deal_name",
        "opportunity",
    ):
        e.add(6, "a sales pipeline (deal stages, probability or close date)")
    if (
        c.named("sku", "unit_price", "list_price", "price", "product_code", "product_name")
        and c.account_ref() is None
    ):
        e.add(6, "a product catalogue (no customer column)")
    if c.named(
        "unsubscribed",
        "subscribed",
        "opt_in",
        "optin",
        "opens",
        "clicks",
        "open_rate",
        "click_rate",
        "bounces",
        "list",
        "campaign",
        "marketing",
        "newsletter",
        "emails_sent",
    ):
        e.add(5, "marketing words")
    if c.named(
        "sessions",
        "pageviews",
        "page_views",
        "bounce_rate",
        "landing_page",
        "medium",
        "source_medium",
        "users",
        "new_users",
        "session_duration",
    ):
        web = c.count(
            lambda p: p.named(
                "sessions",
                "pageviews",
                "page_views",
                "bounce_rate",
                "landing_page",
                "medium",
                "new_users",
                "session_duration",
                "source",
            )
        )
        if web >= 2:
            e.add(6, "web analytics")
    user_key = c.find(
        lambda p: p.named("user", "member", "person", "contact", "visitor", "distinct") and p.is_key
    )
    if user_key is not None and not c.find(lambda p: p.named("event", "action") and p.unique < 0.5):
        e.add(4, f"one row per user ({user_key.name!r} unique, no events)")
    if c.named(
        "last_seen", "last_login", "signed_up", "signup", "invited", "invitation", "last_active"
    ):
        e.add(2, "user account words")
    return e


KINDS: tuple[Callable[[Columns], Evidence], ...] = (
    _accounts,
    _subscriptions,
    _invoices,
    _usage,
    _tickets,
    _surveys,
    _activities,
    _outcomes,
    _owners,
    _account_keys,
    _not_customer,
)


@dataclass(frozen=True)
class Recognition:
    """What a file is. ``table`` is set only when ``verdict`` is ``table``; ``not_customer``
    means it is recognised as data Tandem does not load (people, leads, deals…); ``ask``
    means nobody should guess: a person names the table or skips the file."""

    verdict: Verdict
    table: str | None
    kind: str  # the best kind (a table or not_customer), even when asking
    confidence: float  # 0-1: the best kind's share of the two best scores
    runner_up: str | None
    evidence: tuple[str, ...]
    scores: dict[str, float]
    preset: str | None = None

    def guesses(self) -> list[str]:
        """The two best kinds, best first."""
        ranked = sorted(self.scores, key=lambda k: -self.scores[k])
        return ranked[:2]

    def as_json(self) -> dict[str, object]:
        return {
            "table": self.table,
            "verdict": self.verdict,
            "kind": self.kind,
            "confidence": round(self.confidence, 2),
            "runner_up": self.runner_up,
            "evidence": list(self.evidence),
            "preset": self.preset,
        }


def _metadata(name: str) -> bool:
    """A sync tool's bookkeeping column (``_fivetran_synced``, ``_airbyte_emitted_at``,
    ``_sdc_batched_at``): says nothing of what the file is."""
    return name.startswith("_") or key_of(name).startswith(("fivetran_", "airbyte_", "sdc_"))


def _confidence(best: float, second: float) -> float:
    if best <= 0:
        return 0.0
    return max(0.0, min(1.0, best / (best + max(second, 0.0))))


def recognise_frame(
    frame: pl.DataFrame, file_name: str = "", preset: tuple[str, str] | None = None
) -> Recognition:
    """What ``frame`` is, from its header and values. ``preset``: (name, table) of a vendor
    layout whose header fits, weighed as strong evidence for its table."""
    data = frame.select(c for c in frame.columns if not _metadata(c)) if frame.width else frame
    cols = Columns(profile(data), frame.height)
    found = {e.kind: e for e in (kind(cols) for kind in KINDS)}
    if preset is not None:
        found[preset[1]].add(8, f"the header fits the vendor layout {preset[0]}")
    hint = key_of(file_name)
    for kind, evidence in found.items():
        stem = kind.rstrip("s").split("_")[0]
        if kind != NOT_CUSTOMER and stem in hint.split("_"):
            evidence.add(1, f"the file name says {stem}")
    ranked = sorted(found.values(), key=lambda e: -e.score)
    if preset is not None:  # a vendor's own header names: its table, whatever else scores
        ranked.sort(key=lambda e: e.kind != preset[1])
    best, second = ranked[0], ranked[1]
    confidence = _confidence(best.score, second.score)
    decided = preset is not None or (
        best.score >= MIN_SCORE and best.score - second.score >= MIN_MARGIN
    )
    verdict: Verdict
    if not decided:
        verdict = "ask"
    elif best.kind == NOT_CUSTOMER:
        verdict = "not_customer"
    else:
        verdict = "table"
    return Recognition(
        verdict=verdict,
        table=best.kind if verdict == "table" else None,
        kind=best.kind,
        confidence=confidence,
        runner_up=second.kind,
        evidence=tuple(best.reasons),
        scores={e.kind: round(e.score, 1) for e in ranked},
        preset=preset[0] if preset else None,
    )


# ---- columns, by name and by value ------------------------------------------------------

TIME_COLUMNS = {
    "occurred_at",
    "created_at",
    "resolved_at",
    "responded_at",
    "issued_on",
    "due_on",
    "paid_on",
    "start_date",
    "end_date",
    "contract_start",
    "renewal_date",
    "occurred_on",
}
NUMBER_COLUMNS = {
    "arr",
    "amount",
    "seats",
    "licensed_seats",
    "quantity",
    "active_users",
    "score",
    "csat",
    "arr_change",
}


@dataclass(frozen=True)
class ColumnChoice:
    """One canonical column and the source column read into it, with how sure and why."""

    column: str
    source: str
    confidence: float
    why: str


def _fit(canonical: str, p: ColumnProfile) -> float:
    """How well the values fit the canonical column's type (0-1)."""
    if canonical in TIME_COLUMNS:
        return max(p.dates, p.epochs)
    if canonical in NUMBER_COLUMNS:
        return p.numbers
    return 1.0


def evidence_mapping(mapping: Mapping, frame: pl.DataFrame) -> tuple[Mapping, list[ColumnChoice]]:
    """``mapping`` (from header names) checked against the values, and completed from them:
    an optional column whose values are not of its type is left out (said in ``why``); a
    child table without an account id finds its account by the column naming the customer
    (an id, else a name matched across systems) or by e-mail; a required time column comes
    from the file's dates. Each choice carries a confidence: how the header matched times
    how well the values fit."""
    from dashboard.schema import CHILD_TABLES, required_columns

    cols = Columns(profile(frame), frame.height)
    by_name = {p.name: p for p in cols.all}
    required = set(required_columns(mapping.table))
    chosen: dict[str, str] = {}
    choices: list[ColumnChoice] = []
    for canonical, source in mapping.columns.items():
        p = by_name.get(source)
        if p is None:
            continue
        header = 1.0 if key_of(source) == canonical else 0.8
        fit = _fit(canonical, p) if p.filled else 0.0
        if fit < 0.5 and canonical not in required:
            choices.append(
                ColumnChoice(canonical, source, 0.0, f"left out: {fit:.0%} of its values fit")
            )
            continue
        chosen[canonical] = source
        choices.append(
            ColumnChoice(canonical, source, header * fit, f"header, {fit:.0%} of values fit")
        )
    match = dict(mapping.match)
    taken = set(chosen.values())
    if mapping.table in CHILD_TABLES and "account_id" not in chosen:
        ref = cols.find(
            lambda p: (
                p.name not in taken
                and p.named(*ACCOUNT_WORDS)
                and p.emails < 0.5
                and not p.named("domain", "email")
            )
        )
        if ref is not None and ref.idlike >= 0.95 and (ref.digits >= 0.9 or ref.uuids >= 0.9):
            chosen["account_id"] = ref.name
            choices.append(
                ColumnChoice("account_id", ref.name, 0.7, "ids of the customer's column")
            )
        elif ref is not None:
            match.setdefault("name", ref.name)
            choices.append(
                ColumnChoice("account_id", ref.name, 0.6, "matched by the customer's name")
            )
        email = cols.find(lambda p: p.emails >= 0.8 and p.name not in taken)
        if email is not None:
            match.setdefault("email", email.name)
            choices.append(ColumnChoice("account_id", email.name, 0.5, "matched by e-mail domain"))
    for canonical in sorted(required & TIME_COLUMNS - set(chosen)):
        when = next((t for t in cols.times() if t.name not in chosen.values()), None)
        if when is not None:
            chosen[canonical] = when.name
            choices.append(
                ColumnChoice(
                    canonical, when.name, 0.6 * max(when.dates, when.epochs), "the file's dates"
                )
            )
    return mapping.model_copy(update={"columns": chosen, "match": match}), choices
