"""What speaks for each kind of file, and what against it: one short function per kind over
the profiled columns (``ingest/profile.py``), every point named so the import can show why.

The kinds are Tandem's canonical tables and ``not_customer``: data Tandem does not load as
customers or their use — people (contacts, leads, product users), a sales pipeline (open
and lost deals), product catalogues and price lists, marketing lists and campaign figures,
website analytics. Evidence comes from values first (a ticket's statuses and priorities, an
event stream's many rows per user with times of day, a survey's 0-10 scores, a list of
people's e-mails across many domains, a team's e-mails in one domain) and from header words
second; a vendor's exact header is the presets' business (``presets/``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from dashboard.ingest.profile import ColumnProfile

NOT_CUSTOMER = "not_customer"


def _w(text: str) -> frozenset[str]:
    """A vocabulary written as one string: ``|`` between values."""
    return frozenset(v.strip() for v in text.split("|") if v.strip())


def _n(text: str) -> tuple[str, ...]:
    """Header words (or word pairs joined by ``_``) written as one string."""
    return tuple(text.split())


# ---- vocabularies of values -----------------------------------------------------------

TICKET_STATUSES = _w(
    "new|open|pending|hold|on-hold|on hold|solved|closed|resolved|waiting on customer|"
    "waiting on third party|snoozed|in progress|escalated|awaiting customer|waiting|reopened|"
    "waiting for customer|waiting for support|done|to do|archived|assigned|unassigned|"
    "answered|awaiting reply|spam"
)
PRIORITIES = _w(
    "low|normal|medium|high|urgent|critical|p1|p2|p3|p4|blocker|major|minor|highest|lowest|"
    "none|1|2|3|4"
)
SUB_STATUSES = _w(
    "active|canceled|cancelled|past_due|trialing|unpaid|incomplete|incomplete_expired|paused|"
    "non_renewing|in_trial|future|expired|live|suspended|pending|trial|ended|soft_failure|"
    "on_hold|trial_ended|assessing"
)
INVOICE_STATUSES = _w(
    "paid|open|void|draft|uncollectible|posted|payment_due|not_paid|pending|overdue|sent|"
    "voided|authorised|authorized|partially_paid|past_due|failed|closed|refunded|collected|"
    "unpaid|due"
)
ACTIVITY_KINDS = _w(
    "call|email|meeting|note|task|qbr|ebr|demo|visit|lunch|follow-up|follow up|outcome|"
    "milestone|other|sms|deadline|phone call|e-mail|todo"
)
OUTCOME_EVENTS = _w(
    "renewed|renewal|churned|churn|expanded|expansion|contracted|contraction|downgrade|"
    "upgrade|cancellation|cancelled|canceled|reactivation|new|won|lost|new_biz|new business|"
    "new biz"
)
DEAL_STAGES = _w(
    "prospecting|qualification|needs analysis|value proposition|id. decision makers|"
    "perception analysis|proposal/price quote|negotiation/review|closed won|closed lost|"
    "closedwon|closedlost|appointment scheduled|appointmentscheduled|qualified to buy|"
    "qualifiedtobuy|presentation scheduled|presentationscheduled|decision maker bought-in|"
    "decisionmakerboughtin|contract sent|contractsent|discovery|proposal|negotiation|won|lost|"
    "open|qualified|demo scheduled|engaging|prospect|engaged|commit|best case|pipeline|develop|"
    "propose|close|qualify|lead in|contact made|proposal made|negotiations started"
)
LEAD_STAGES = _w(
    "lead|subscriber|marketingqualifiedlead|salesqualifiedlead|marketing qualified lead|"
    "sales qualified lead|mql|sql|prospect|opportunity|open - not contacted|"
    "working - contacted|closed - converted|closed - not converted|new|nurture|unqualified|"
    "qualified|contacted|attempted to contact|in progress|open deal|bad timing|connected|"
    "unsubscribed|cold|warm|hot|not contacted|junk lead|lost lead|pre-qualified"
)
CUSTOMER_STAGES = _w(
    "customer|active|churned|paying|client|former customer|evangelist|live|inactive|"
    "cancelled|canceled|active customer"
)
OWNER_ROLES = _w(
    "csm|am|both|leader|admin|account manager|account executive|customer success manager|"
    "customer success|sales|manager|sales manager|cs|ae|standard|standard user|"
    "system administrator|director|vp sales|head of cs|support agent|agent|owner|member|"
    "light agent|team lead|administrator|user|sales rep|sales representative"
)
NPS_GROUPS = _w("promoter|passive|detractor|promoters|passives|detractors")
# a product's permission roles (a user list), not a customer's stakeholders
PRODUCT_ROLES = _w(
    "viewer|member|editor|guest|collaborator|read-only|read only|readonly|end-user|end user|"
    "light agent|agent|owner|billing|contributor|analyst"
)

# ---- header words ---------------------------------------------------------------------

ACCOUNT_WORDS = _n(
    "account company customer organization organisation org group client tenant workspace"
)
ID_WORDS = _n("id key number no uuid guid ref code num")
PERSON_WORDS = _n(
    "first_name last_name firstname lastname full_name given_name family_name "
    "surname job_title title phone mobile salutation birthday linkedin"
)
COMPANY_ATTRIBUTES = _n(
    "segment industry region country city address plan tier employees "
    "seats licenses domain website csm renewal contract owner revenue "
    "won_deals customer_since lifecycle account_type"
)
SUPPORT_WORDS = _n(
    "ticket conversation issue case requester assignee solved resolved sla "
    "satisfaction helpdesk agent first_response escalation waiting_since "
    "teammate incident"
)
STAFF_WORDS = _n(
    "owner owners user_role profile_id role_id is_admin username team_id "
    "sales_agent manager permission permission_set business_unit access_mode "
    "is_disabled last_login activated active_flag ticket_scope occasional "
    "available agent teammate admin"
)
MARKETING_WORDS = _n(
    "unsubscribed subscribed opt_in optin opens clicks open_rate click_rate "
    "bounces campaign marketing newsletter emails_sent send_time recipients "
    "deliveries forwarded unsubscribes list_id track_opens member_rating "
    "confirm_time"
)
WEB_METRICS = _n(
    "sessions pageviews page_views bounce_rate engaged_sessions new_users "
    "session_duration engagement_rate views_per_session"
)
WEB_SOURCES = _n(
    "landing_page referrer utm medium source_medium traffic_source channel_group "
    "page_location page_referrer"
)
DEAL_WORDS = _n(
    "probability forecast_category pipeline expected_revenue close_date "
    "deal_name deal_stage opportunity stage_name sales_stage deal_value "
    "estimated_value"
)
USER_ACCOUNT_WORDS = _n(
    "last_seen last_login signed_up signup invited invitation last_visit first_visit "
    "is_identified initial last_active sessions_count browser"
)
NAME_WORDS = _n("name first_name last_name firstname lastname full_name given_name family_name")
SURVEY_WORDS = _n(
    "nps survey response response_id recommend csat feedback comment question "
    "answer recorded_date finished progress respondent"
)
SUBSCRIPTION_WORDS = _n(
    "subscription current_period period_start period_end trial cancel_at "
    "renews next_billing billing_period billing_cycle current_term term "
    "auto_renew interval plan_quantity plan_id expires_at "
    "next_assessment"
)
INVOICE_STRONG = _n("invoice amount_due amount_paid due_date dunning balance_due")
INVOICE_WORDS = _n(
    "invoice due due_date amount_due amount_paid balance paid total subtotal "
    "sub_total tax dunning net_term"
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
    """The profiled columns of one file, with the look-ups the kinds share."""

    all: list[ColumnProfile]
    rows: int
    sample: pl.DataFrame | None = None  # the profiled rows, for what needs rows together

    def repeats(self, names: list[str]) -> bool | None:
        """Whether two sampled rows share these columns' values (None: no sample)."""
        if self.sample is None or not names:
            return None
        return bool(self.sample.select(names).is_duplicated().any())

    def find(self, test: Callable[[ColumnProfile], bool]) -> ColumnProfile | None:
        return next((c for c in self.all if test(c)), None)

    def count(self, test: Callable[[ColumnProfile], bool]) -> int:
        return sum(1 for c in self.all if test(c))

    def named(self, *options: str) -> ColumnProfile | None:
        return self.find(lambda c: c.named(*options))

    def names(self, options: tuple[str, ...]) -> list[str]:
        """Every column whose header holds one of these words."""
        return [c.name for c in self.all if c.named(*options)]

    def vocab(self, vocabulary: frozenset[str], at_least: float = 0.6) -> ColumnProfile | None:
        return self.find(lambda c: len(c.vocabulary) >= 2 and c.vocab_share(vocabulary) >= at_least)

    def account_ref(self) -> ColumnProfile | None:
        """A column naming the customer: an account/company/organisation id or name."""
        return self.find(
            lambda c: (
                c.named(*ACCOUNT_WORDS)
                and not c.named("email", "domain", "role", "type", "status", "rating")
            )
        )

    def own_key(self) -> ColumnProfile | None:
        """The file's own id: an ``id``-like name first, else any unique id column."""
        named = self.find(lambda c: c.is_key and c.words in (("id",), ("record", "id"), ("key",)))
        return named or self.find(
            lambda c: c.is_key and c.named(*ID_WORDS) and not c.named(*ACCOUNT_WORDS)
        )

    def times(self) -> list[ColumnProfile]:
        return [c for c in self.all if c.is_time]

    def person_columns(self) -> int:
        return self.count(lambda c: c.named(*PERSON_WORDS))

    def people_emails(self) -> ColumnProfile | None:
        """A unique e-mail per row across many domains: a list of the customers' people."""
        return self.find(lambda p: p.emails >= 0.8 and p.is_unique and p.email_domains > 2)

    def staff_emails(self) -> ColumnProfile | None:
        """E-mails in one or two domains: a company's own team."""
        return self.find(lambda p: p.emails >= 0.8 and p.email_domains <= 2)


def _words(
    c: Columns, e: Evidence, options: tuple[str, ...], what: str, each: float, most: float
) -> int:
    """Points for each column whose header holds one of ``options``, up to ``most``."""
    found = c.names(options)
    if found:
        e.add(min(most, each * len(found)), f"{what} ({', '.join(found[:3])})")
    return len(found)


def _timestamp(c: Columns, e: Evidence, *names: str) -> ColumnProfile | None:
    found = [t for t in c.times() if t.named(*names)] or c.times()
    if found:
        e.add(2, f"dates in {found[0].name!r}")
        return found[0]
    return None


def score_column(c: Columns) -> ColumnProfile | None:
    """A 0-10 (NPS) or 1-5 (CSAT) answer: whole numbers in range, under a survey's word or a
    question's number (``Q1``)."""
    return c.find(
        lambda p: (
            p.ints >= 0.95
            and p.low is not None
            and p.high is not None
            and p.low >= 0
            and 5 <= p.high <= 10
            and p.distinct >= 3
            and (
                p.named(
                    "score",
                    "nps",
                    "rating",
                    "csat",
                    "answer",
                    "recommend",
                    "likely",
                    "likelihood",
                    "satisfaction",
                    "value",
                )
                or bool(p.question)
            )
            and not p.named(
                "health",
                "lead",
                "id",
                "priority",
                "employees",
                "member",
                "ref",
                "term",
                "code",
                "count",
                "quantity",
            )
        )
    )


def _accounts(c: Columns) -> Evidence:
    e = Evidence("accounts")
    not_a_name = _n(
        "owner manager csm rep contact user first last email domain website url "
        "industry type segment stage status product plan deal event ticket subject "
        "source campaign full"
    )
    name = c.find(
        lambda p: (
            p.named(
                "name", "company", "account", "organization", "organisation", "customer", "client"
            )
            and not p.named(*ID_WORDS, *not_a_name)
            and p.letters >= 0.9
            and p.emails < 0.2
        )
    )
    if name is None:
        e.add(-6, "no company name column")
        return e
    if name.is_unique and name.named(*ACCOUNT_WORDS):
        e.add(4, f"company names in {name.name!r}, each once")
    elif name.is_unique:
        e.add(2, f"names in {name.name!r}, each once")
    else:
        e.add(
            -4, f"{name.name!r} repeats names ({name.unique:.0%} distinct): rows are not accounts"
        )
    key = c.find(
        lambda p: p.is_key and (p.named(*ACCOUNT_WORDS) or p.words in (("id",), ("record", "id")))
    )
    if key is not None:
        e.add(2, f"unique key {key.name!r}")
    money = c.find(
        lambda p: (
            p.is_money and p.named(*_n("arr mrr revenue acv contract_value annual amount value"))
        )
    )
    if money is not None:
        e.add(2, f"money in {money.name!r}")
    _words(c, e, COMPANY_ATTRIBUTES, "company attributes", 1, 4)
    stage = c.vocab(CUSTOMER_STAGES | LEAD_STAGES | {"other"}, 0.5)
    if stage is not None and stage.vocab_share(LEAD_STAGES - CUSTOMER_STAGES) > 0.7:
        e.add(-6, f"{stage.name!r} holds lead stages ({', '.join(sorted(stage.vocabulary)[:4])})")
    people = c.person_columns()
    if people >= 2 and c.people_emails() is not None:
        e.add(-2 * people, f"{people} person columns and a unique e-mail each (people)")
    for vocab, what in (
        (TICKET_STATUSES - {"active"}, "ticket statuses"),
        (DEAL_STAGES, "deal stages"),
    ):
        hit = c.vocab(vocab, 0.7)
        if hit is not None and hit.named("status", "stage", "state", "deal"):
            e.add(-5, f"{what} in {hit.name!r}")
    if c.find(lambda p: p.named("event", "action") and p.unique < 0.2):
        e.add(-4, "event names")
    if score_column(c) is not None:
        e.add(-4, "a 0-10 score (a survey)")
    terms = c.names(SUBSCRIPTION_WORDS)
    if len(terms) >= 2:
        e.add(-3, f"subscription terms ({', '.join(terms[:3])})")
    if c.staff_emails() is not None and c.rows >= 3:
        e.add(-3, "e-mails in one company domain (a team, not customers)")
    return e


def _surveys(c: Columns) -> Evidence:
    e = Evidence("surveys")
    score = score_column(c)
    groups = c.vocab(NPS_GROUPS, 0.6)
    long_form = c.names(_n("question question_id answer response_id"))
    if score is None and groups is None and len(long_form) < 2:
        e.add(-6, "no 0-10 or 1-5 score column")
        return e
    if score is not None:
        e.add(5, f"{score.name!r} holds scores {score.low:g}-{score.high:g}")
    if groups is not None:
        e.add(4, f"NPS groups in {groups.name!r}")
    _words(c, e, SURVEY_WORDS, "survey words", 1, 3)
    if (
        _timestamp(
            c, e, "responded", "response", "submitted", "created", "date", "answered", "recorded"
        )
        is None
    ):
        e.add(-3, "no response date")
    support = c.names(SUPPORT_WORDS + _n("priority severity subject resolution state"))
    if support:
        e.add(-2 * min(len(support), 4), f"support columns ({', '.join(support[:3])})")
    if c.names(MARKETING_WORDS):
        e.add(-4, "marketing columns")
    return e


def _tickets(c: Columns) -> Evidence:
    e = Evidence("tickets")
    strong = _w("open|pending|solved|closed|resolved|new|hold|on-hold|waiting on customer|snoozed")
    status = c.find(
        lambda p: (
            len(p.vocabulary) >= 2
            and p.vocab_share(TICKET_STATUSES) >= 0.6
            and bool(p.vocabulary & strong)
            and p.named("status", "state", "stage")
        )
    )
    if status is not None:
        e.add(3, f"ticket statuses in {status.name!r}")
    priority = c.find(
        lambda p: (
            p.named("priority", "severity", "urgency")
            and (p.vocab_share(PRIORITIES) >= 0.6 or p.ints >= 0.9)
        )
    )
    if priority is not None:
        e.add(3, f"priorities in {priority.name!r}")
    subject = c.named("subject", "title", "summary", "description")
    if subject is not None and subject.letters > 0.9 and subject.mean_length > 8:
        e.add(1, f"text in {subject.name!r}")
    _words(c, e, SUPPORT_WORDS, "support words", 1, 4)
    if _timestamp(c, e, "created", "opened", "submitted", "started") is None:
        e.add(-4, "no creation date")
    if c.names(DEAL_WORDS):
        e.add(-3, "deal words")
    if c.vocab(_w("call|email|meeting"), 0.6) or c.vocab(_w("not started|completed|deferred"), 0.5):
        e.add(-4, "CRM task vocabulary")
    if c.names(MARKETING_WORDS):
        e.add(-3, "marketing words")
    return e


def _event_names(c: Columns) -> ColumnProfile | None:
    return c.find(
        lambda p: (
            p.named(*_n("event action feature event_name event_type activity"))
            and p.unique < 0.5
            and p.distinct >= 2
            and p.letters > 0.8
            and not p.named("id", "time", "date", "user", "person")
        )
    )


def _users(c: Columns) -> ColumnProfile | None:
    return c.find(
        lambda p: (
            p.named(*_n("user distinct visitor anonymous member person device"))
            and p.unique < 0.9
            and not p.named("name", "agent")
        )
    )


def _event_counts(c: Columns) -> ColumnProfile | None:
    return c.find(
        lambda p: (
            p.named(*_n("count quantity events usage total minutes duration events_count"))
            and p.ints >= 0.9
        )
    )


def _timed(c: Columns) -> ColumnProfile | None:
    """A column of times of day (or unix times): rows that are events, not days."""
    return next((t for t in c.times() if t.times >= 0.8 or t.epochs >= 0.9), None)


def _days(c: Columns) -> ColumnProfile | None:
    """A column of dates without a time of day."""
    return c.find(lambda p: p.dates >= 0.8 and p.times < 0.1)


def _day_keys(c: Columns) -> tuple[list[str], bool | None]:
    """The columns a roll-up's row is one of (account, user, feature, day) and whether two
    sampled rows share them (None: no day without times, or neither users nor features)."""
    day, user, feature = _days(c), _users(c), _event_names(c)
    if day is None or _timed(c) is not None or (user is None and feature is None):
        return [], None
    ref = c.account_ref() or c.find(lambda p: p.named("domain", "groups", "group"))
    keys = [p.name for p in (ref, user, feature, day) if p is not None]
    return keys, c.repeats(keys)


def _usage(c: Columns) -> Evidence:
    e = Evidence("usage_events")
    event = _event_names(c)
    user = _users(c)
    when = _timed(c)
    quantity = _event_counts(c)
    if event is not None:
        e.add(3, f"event names in {event.name!r} ({event.distinct} distinct)")
    if user is not None:
        e.add(2, f"users repeat in {user.name!r}")
    if when is not None:
        e.add(3, f"times of day in {when.name!r}")
    elif c.times() and quantity is not None:
        e.add(2, f"daily counts in {quantity.name!r}")
        if _day_keys(c)[1] is False:
            e.add(-3, "one row per user or feature and day, no times (a daily roll-up)")
    else:
        e.add(-4, "no event times")
    if event is None and quantity is None:
        e.add(-4, "no event name or count")
    elif event is None and when is not None:
        e.add(-3, "timed rows without event names")
    ref = c.account_ref() or c.find(lambda p: p.named("domain", "groups", "group"))
    if ref is not None and ref.unique < 0.5:
        e.add(1, f"many rows per account in {ref.name!r}")
    elif ref is None:
        e.add(-2, "no account, group or domain column")
    web = c.names(WEB_METRICS)
    if len(web) >= 2:
        e.add(-4, f"website analytics ({', '.join(web[:3])})")
    if c.names(_n("subject priority requester assignee")):
        e.add(-3, "support words")
    if c.names(DEAL_WORDS):
        e.add(-4, "deal words")
    if c.names(MARKETING_WORDS):
        e.add(-4, "e-mail campaign words")
    if score_column(c) is not None or c.names(SURVEY_WORDS):
        e.add(-3, "survey words")
    return e


def _usage_daily(c: Columns) -> Evidence:
    """The daily roll-up: a day column (no times of day), a count, users and features, one
    row per account, user, feature and day."""
    e = Evidence("usage_daily")
    day, count, timed = _days(c), _event_counts(c), _timed(c)
    user, feature = _users(c), _event_names(c)
    if timed is not None:
        e.add(-6, f"times of day in {timed.name!r} (events, not days)")
    elif day is not None:
        e.add(3, f"days without a time in {day.name!r}")
    else:
        e.add(-6, "no day column")
    if count is None:
        e.add(-6, "no count of events")
        return e
    e.add(2, f"counts in {count.name!r}")
    if user is not None:
        e.add(2, f"users repeat in {user.name!r}")
    if feature is not None:
        e.add(2, f"feature names in {feature.name!r} ({feature.distinct} distinct)")
    if user is None and feature is None:
        e.add(-3, "neither users nor features")
    if c.find(lambda p: p.named("active_users", "dau", "wau", "mau") and p.ints >= 0.9):
        e.add(-4, "active users counted per day (usage_events' daily rows)")
    ref = c.account_ref() or c.find(lambda p: p.named("domain", "groups", "group"))
    if ref is None:
        e.add(-2, "no account, group or domain column")
    keys, repeated = _day_keys(c)
    if repeated is False:
        e.add(2, f"one row per {', '.join(keys)}")
    elif repeated:
        e.add(-5, f"several rows share {', '.join(keys)} (not one row per day)")
    if len(c.names(WEB_METRICS)) >= 2:
        e.add(-4, "website analytics")
    if c.names(_n("subject priority requester assignee")):
        e.add(-3, "support words")
    if c.names(DEAL_WORDS):
        e.add(-4, "deal words")
    if c.names(MARKETING_WORDS):
        e.add(-4, "e-mail campaign words")
    if score_column(c) is not None or c.names(SURVEY_WORDS):
        e.add(-3, "survey words")
    return e


def _subscriptions(c: Columns) -> Evidence:
    e = Evidence("subscriptions")
    key = c.own_key()
    if key is not None and (key.prefix == "sub" or key.named("subscription")):
        e.add(4, f"subscription ids in {key.name!r}")
    status = c.vocab(SUB_STATUSES, 0.6)
    if status is not None and status.named("status", "state"):
        e.add(2, f"subscription statuses in {status.name!r}")
    _words(c, e, SUBSCRIPTION_WORDS, "subscription terms", 1, 4)
    if c.find(lambda p: p.prefix == "cus" or (p.is_ref and p.named("customer", "account"))):
        e.add(1, "a customer reference")
    invoice = c.names(INVOICE_STRONG)
    if invoice:
        e.add(-min(2 * len(invoice), 4), f"invoice words ({', '.join(invoice[:3])})")
    if c.vocab(OUTCOME_EVENTS, 0.6) and c.named("type", "event", "movement", "activity"):
        e.add(-3, "movement events")
    return e


def _invoices(c: Columns) -> Evidence:
    e = Evidence("invoices")
    key = c.own_key()
    if key is not None and (
        key.prefix == "in"
        or key.named("invoice", "doc_number")
        or key.words in (("number",), ("no",), ("id",))
    ):
        e.add(2 if key.words == ("id",) else 4, f"invoice numbers in {key.name!r}")
    _words(c, e, INVOICE_WORDS, "invoice words", 1, 5)
    status = c.vocab(INVOICE_STATUSES, 0.6)
    if status is not None and status.named("status", "state", "paid"):
        e.add(1, f"invoice statuses in {status.name!r}")
    money = c.find(
        lambda p: p.is_money and p.named("amount", "total", "balance", "due", "paid", "subtotal")
    )
    if money is None:
        e.add(-3, "no amount")
    if not c.times():
        e.add(-3, "no dates")
    if c.names(SUBSCRIPTION_WORDS + _n("started_at activated_at")) and not c.named("invoice"):
        e.add(-2, "subscription terms")
    if c.names(MARKETING_WORDS):
        e.add(-4, "marketing words")
    if c.names(_n("unit_price list_price sku")) and c.account_ref() is None:
        e.add(-4, "a price list")
    return e


def _activities(c: Columns) -> Evidence:
    e = Evidence("activities")
    kind = c.vocab(ACTIVITY_KINDS, 0.6)
    if kind is not None and kind.named("type", "kind", "activity", "subtype", "channel", "task"):
        e.add(4, f"activity kinds in {kind.name!r}")
    _words(
        c,
        e,
        _n(
            "activity_type task_subtype call_type call_duration meeting who_id what_id "
            "call_disposition disposition direction done recording call"
        ),
        "activity words",
        1,
        3,
    )
    if c.vocab(_w("not started|completed|deferred|in progress|waiting on someone else"), 0.5):
        e.add(2, "task statuses")
    if c.named("subject", "summary", "description", "body", "notes", "note"):
        e.add(1, "a summary")
    if _timestamp(c, e, "activity", "occurred", "date", "created", "due", "start") is None:
        e.add(-4, "no dates")
    if c.names(SUPPORT_WORDS):
        e.add(-3, "support words")
    if c.names(WEB_METRICS + WEB_SOURCES) or c.names(MARKETING_WORDS):
        e.add(-3, "analytics or marketing words")
    return e


def _outcomes(c: Columns) -> Evidence:
    e = Evidence("outcomes")
    event = c.vocab(OUTCOME_EVENTS, 0.6)
    if event is not None and event.named(
        "event", "type", "outcome", "kind", "change", "movement", "activity"
    ):
        e.add(4, f"renewal and churn events in {event.name!r}")
    _words(
        c,
        e,
        _n(
            "movement mrr_movement arr_change mrr_change delta churn_reason cancel_reason "
            "reason_code"
        ),
        "changes of revenue",
        1,
        2,
    )
    dated = c.find(
        lambda p: (
            p.is_time
            and p.named(
                *_n("churn churned cancel cancellation canceled cancelled renewed event occurred")
            )
        )
    )
    if dated is not None:
        e.add(2, f"churn or renewal dates in {dated.name!r}")
    if _timestamp(c, e, "churn", "occurred", "event", "date", "cancel") is None:
        e.add(-3, "no dates")
    if c.account_ref() is None:
        e.add(-2, "no account column")
    if c.names(DEAL_WORDS):
        e.add(-3, "deal words")
    own = c.names(SUBSCRIPTION_WORDS)
    status = c.vocab(SUB_STATUSES, 0.6)
    if len(own) >= 2 or (status is not None and status.named("status", "state")):
        e.add(-4, "a subscription's own terms and status (a subscription, not an event)")
    return e


def _owners(c: Columns) -> Evidence:
    e = Evidence("owners")
    _words(c, e, STAFF_WORDS, "staff words", 1, 3)
    role = c.find(
        lambda p: (
            p.named(*_n("role profile user_role team department title user_type"))
            and p.vocab_share(OWNER_ROLES) >= 0.3
        )
    )
    if role is not None:
        e.add(3, f"staff roles in {role.name!r}")
    staff = c.staff_emails()
    people = c.people_emails() or c.find(lambda p: p.emails >= 0.8 and p.email_domains > 2)
    if staff is not None and c.rows >= 3:
        e.add(3, f"e-mails in {staff.email_domains} company domain(s)")
    elif people is not None:
        e.add(-5, f"e-mails from {people.email_domains} domains (customers' people)")
    else:
        e.add(-2, "no e-mail column")
    if c.account_ref() is not None and not c.named("sales_agent", "manager"):
        e.add(-4, "a customer company per row")
    if c.names(_n("lifecycle lead stage lead_status lead_source")):
        e.add(-3, "lead words")
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


def company_of_people(c: Columns) -> ColumnProfile | None:
    """The column naming each person's company (an account, company or organisation id or
    name), filled on most rows and naming more than one company."""
    return c.find(
        lambda p: (
            p.named(*ACCOUNT_WORDS)
            and not p.named(
                "email", "domain", "role", "type", "status", "rating", "size", "industry", "owner"
            )
            and p.emails < 0.2
            and p.distinct >= 2
            and p.filled >= 0.5
        )
    )


def _contacts(c: Columns) -> Evidence:
    """A customer's people, as a CRM keeps them: a person per row (a unique e-mail across
    many domains, a name), the company each works for (several people per company), a title
    or role; never a lead list, a marketing audience or a product's users."""
    e = Evidence("contacts")
    emails = c.people_emails()
    if emails is None:
        e.add(-6, "no unique e-mail per person")
        return e
    e.add(4, f"a person per row: a unique e-mail across {emails.email_domains} domains")
    names = c.names(NAME_WORDS)
    if names:
        e.add(min(2, len(names)), f"names ({', '.join(names[:2])})")
    company = company_of_people(c)
    if company is None:
        e.add(-6, "no company or account column: a list of people, not an account's contacts")
    elif company.unique < 0.9:
        e.add(4, f"{company.name!r} names {company.distinct} companies, several people each")
    else:
        e.add(1, f"a company per person in {company.name!r}")
    title = c.find(
        lambda p: (
            p.named("title", "job_title", "jobtitle", "position", "role", "stakeholder")
            and p.letters >= 0.8
            and p.vocab_share(PRODUCT_ROLES) < 0.5
        )
    )
    if title is not None:
        e.add(1, f"titles or roles in {title.name!r}")
    stage = c.vocab(LEAD_STAGES, 0.5)
    if stage is not None and stage.named("lifecycle", "lead", "status", "stage", "lifecyclestage"):
        e.add(-6, f"lead stages in {stage.name!r} (a lead list)")
    # a lead's status, conversion or score say a lead list; a lead *source* is kept on
    # contacts too (Salesforce and Zoho contacts have one)
    lead = c.names(_n("lead_status converted is_converted mql lead_score"))
    if lead:
        e.add(-min(6, 3 * len(lead)), f"lead words ({', '.join(lead[:3])})")
    marketing = c.names(MARKETING_WORDS)
    if marketing:
        e.add(-4, f"marketing columns ({', '.join(marketing[:3])}): an audience")
    users = c.names(USER_ACCOUNT_WORDS)
    roles = c.find(lambda p: p.named("role") and p.vocab_share(PRODUCT_ROLES) >= 0.5)
    if users or roles is not None:
        what = ", ".join([*users[:2], *([roles.name] if roles is not None else [])])
        e.add(-4, f"a product's users ({what})")
    if c.find(lambda p: p.words == ("plan",) or p.named("plan_name", "subscription")):
        e.add(-2, "a plan per person (a product's users)")
    user_key = c.find(
        lambda p: p.named(*_n("user_id visitor distinct_id member_id anonymous")) and p.is_unique
    )
    if user_key is not None:
        e.add(-3, f"a product's user ids in {user_key.name!r}")
    if c.names(DEAL_WORDS):
        e.add(-4, "deal words")
    if score_column(c) is not None:
        e.add(-4, "a 0-10 score (a survey)")
    if c.find(lambda p: p.named("event", "action") and p.unique < 0.5):
        e.add(-4, "event names")
    return e


def _not_customer(c: Columns) -> Evidence:
    e = Evidence(NOT_CUSTOMER)
    people = c.person_columns()
    emails = c.people_emails()
    if emails is not None:
        e.add(
            4 + min(people, 3),
            f"a person per row: a unique e-mail across {emails.email_domains} domains in {emails.name!r}, {people} person columns",
        )
    stage = c.vocab(LEAD_STAGES, 0.6)
    if (
        stage is not None
        and stage.named("lifecycle", "lead", "status", "stage", "lifecyclestage")
        and stage.vocab_share(LEAD_STAGES - CUSTOMER_STAGES) >= 0.6
    ):
        e.add(5, f"lead stages in {stage.name!r}")
    _words(
        c,
        e,
        _n("lead lead_source lead_status leadsource converted mql utm_campaign lead_score"),
        "lead words",
        2,
        4,
    )
    deal = c.find(
        lambda p: (
            p.named(*_n("stage deal_stage stage_name pipeline_stage step_name sales_stage"))
            and p.vocab_share(DEAL_STAGES) >= 0.5
        )
    )
    if deal is not None:
        e.add(4, f"deal stages in {deal.name!r}")
    _words(c, e, DEAL_WORDS, "a sales pipeline", 2, 6)
    if (
        c.names(_n("sku unit_price list_price price product_name product_code"))
        and c.account_ref() is None
    ):
        e.add(6, "a product catalogue (no customer column)")
    _words(c, e, MARKETING_WORDS, "marketing", 2, 8)
    web = c.names(WEB_METRICS)
    if len(web) >= 2:
        e.add(min(8, 3 * len(web)), f"website analytics ({', '.join(web[:3])})")
    sources = c.names(WEB_SOURCES)
    if len(sources) >= 3:
        e.add(6, f"website traffic sources ({', '.join(sources[:3])})")
    company = c.find(
        lambda p: (
            p.is_unique
            and p.letters >= 0.9
            and p.named("account", "company", "organization", "organisation")
            and p.named("name")
            and p.emails < 0.2
        )
    )
    if company is not None:
        e.add(-4, f"a company per row in {company.name!r}")
    roles = c.find(lambda p: p.named("role") and p.vocab_share(PRODUCT_ROLES) >= 0.5)
    if roles is not None and emails is not None:
        e.add(2, f"a product's permission roles in {roles.name!r} (a user list)")
    # a person's or contact's own id says "one row per user" only without a company per
    # person: with one (several people per company), it is a CRM's contact id
    with_company = company_of_people(c)
    person_words = (
        "user member visitor distinct"
        if with_company is not None and with_company.unique < 0.9
        else "user member person contact visitor distinct"
    )
    user_key = c.find(
        lambda p: (
            p.named(*_n(person_words)) and p.is_unique and (p.idlike >= 0.95 or p.emails >= 0.8)
        )
    )
    if user_key is not None and not c.find(lambda p: p.named("event", "action") and p.unique < 0.5):
        e.add(4, f"one row per user ({user_key.name!r} unique, no events)")
    _words(
        c,
        e,
        _n(
            "last_seen last_login signed_up signup invited invitation last_visit first_visit is_identified initial"
        ),
        "user account words",
        1,
        2,
    )
    if c.staff_emails() is not None and c.rows <= 2_000:
        e.add(-3, "e-mails in one company domain (a team)")
    return e


KINDS: tuple[Callable[[Columns], Evidence], ...] = (
    _accounts,
    _subscriptions,
    _invoices,
    _usage,
    _usage_daily,
    _tickets,
    _surveys,
    _activities,
    _outcomes,
    _owners,
    _account_keys,
    _contacts,
    _not_customer,
)
