"""The demo portfolio: a seeded, realistic B2B SaaS book of accounts.

Every account has a hidden health trajectory (one value per 30-day period over 24 periods).
That trajectory drives its product usage, tickets, survey answers, payments, touches and —
at each contract anniversary — whether it renews, expands, contracts or churns. So a good
health score, computed from the observable tables only, predicts churn. Everything is
vectorised over accounts and periods with NumPy and Polars; no loop runs over rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from dashboard.store.sources import SourceStore

PERIODS = 24  # 30-day periods of history before the anchor date
PERIOD_DAYS = 30
EPOCH = dt.date(1970, 1, 1)

SEGMENTS = np.array(["Enterprise", "Mid-Market", "SMB"])
SEGMENT_SHARE = [0.12, 0.33, 0.55]
ARR_MEDIAN = np.array([150_000.0, 35_000.0, 7_000.0])
ARR_SIGMA = np.array([0.6, 0.5, 0.6])
PRICE_PER_SEAT = np.array([500.0, 700.0, 900.0])
REGIONS = np.array(["North America", "EMEA", "APAC", "LATAM"])
REGION_SHARE = [0.45, 0.30, 0.15, 0.10]
INDUSTRIES = np.array(
    [
        "Software",
        "Financial Services",
        "Healthcare",
        "Retail",
        "Manufacturing",
        "Media",
        "Education",
        "Logistics",
    ]
)
FEATURES = np.array(
    [
        "dashboards",
        "reports",
        "alerts",
        "integrations",
        "api",
        "workflows",
        "sso",
        "exports",
        "mobile",
        "forecasting",
        "playbooks",
        "data_sync",
    ]
)
TICKET_CATEGORIES = np.array(["bug", "how-to", "billing", "integration", "performance", "access"])
FIRST = [
    "Avery",
    "Jordan",
    "Riley",
    "Morgan",
    "Casey",
    "Quinn",
    "Skyler",
    "Reese",
    "Rowan",
    "Emery",
    "Harper",
    "Sawyer",
    "Parker",
    "Hayden",
    "Dakota",
    "Finley",
    "Kendall",
    "Logan",
    "Marlow",
    "Noel",
    "Oakley",
    "Peyton",
    "Remy",
    "Sage",
    "Tatum",
    "Wren",
]
LAST = [
    "Chen",
    "Okafor",
    "Silva",
    "Novak",
    "Haddad",
    "Larsen",
    "Moreau",
    "Tanaka",
    "Kowalski",
    "Mensah",
    "Rossi",
    "Iyer",
    "Schmidt",
    "Murphy",
    "Duarte",
    "Nakamura",
    "Berg",
    "Costa",
    "Walsh",
    "Petrov",
    "Aziz",
    "Lindqvist",
]
NAME_A = [
    "Blue",
    "North",
    "Bright",
    "Iron",
    "Silver",
    "Clear",
    "Swift",
    "Cedar",
    "Harbor",
    "Summit",
    "Granite",
    "Lumen",
    "Atlas",
    "Nova",
    "Pine",
    "River",
    "Stone",
    "Vector",
    "Aurora",
    "Beacon",
    "Crest",
    "Delta",
    "Echo",
    "Falcon",
    "Golden",
    "Horizon",
    "Keystone",
    "Maple",
    "Orbit",
    "Prairie",
]
NAME_B = [
    "field",
    "point",
    "wave",
    "path",
    "bridge",
    "forge",
    "light",
    "works",
    "gate",
    "line",
    "stack",
    "peak",
    "hub",
    "leaf",
    "sight",
    "mark",
    "core",
    "grid",
    "loop",
    "port",
]
NAME_SUFFIX = [
    "Analytics",
    "Health",
    "Logistics",
    "Systems",
    "Labs",
    "Partners",
    "Retail",
    "Financial",
]
CSM_ACTIONS = [
    "Check-in call on adoption",
    "Enablement session for new users",
    "Reviewed success plan",
    "Walked through new dashboards feature",
    "Followed up on open support tickets",
]
AM_ACTIONS = [
    "Discussed renewal timeline",
    "Shared pricing for additional seats",
    "Customer asked about contract terms",
    "Sent renewal quote",
    "Price increase conversation",
]
CSM_HEARD_COMMERCIAL = [
    "Customer asked about pricing for more seats",
    "Champion asked about contract terms at renewal",
    "Asked for a quote to add a team",
]
OUTCOME_TEXT = [
    "Customer reports 20% faster month-end close",
    "Rolled out to a second department",
    "Executive sponsor confirmed ROI target met",
    "Replaced legacy reporting tool",
]
MILESTONES = ["Kickoff held", "Integration live", "First value reached"]


@dataclass(frozen=True)
class DemoSpec:
    """What to build: ``accounts`` accounts from ``seed``, with history ending at ``anchor``."""

    accounts: int = 2000
    seed: int = 7
    anchor: dt.date = dt.date(2026, 1, 1)
    user_rows_per_month: float = 2.0  # mean usage rows per active user per period
    events_target: int | None = None  # if set, scale usage rows to about this many
    # Other shapes of portfolio, for checking the score on data unlike the demo (the demo
    # keeps the defaults): how much usage follows the hidden health (0 = not at all, the
    # signal then sits in support, billing and surveys), and utilisation added to every
    # account (licences nearly full everywhere: seats saturate).
    usage_signal: float = 1.0
    seat_fill: float = 0.0
    # churn that drifts: the log-odds of churning at an anniversary move by this much per year
    # towards the anchor (> 0: churn rises over time, so a model fitted on earlier snapshots
    # under-predicts the later ones; the demo keeps 0)
    churn_drift: float = 0.0


def _day(d: dt.date) -> int:
    return (d - EPOCH).days


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def _timestamps(seconds: np.ndarray) -> pl.Series:
    return pl.from_epoch(pl.Series(seconds.astype(np.int64)), time_unit="s")


def _ids(prefix: str, n: int, width: int) -> pl.Series:
    """``n`` ids such as ``T-0000042``, built as one Polars expression."""
    return pl.select(
        pl.lit(prefix) + pl.int_range(n, dtype=pl.Int64).cast(pl.String).str.zfill(width)
    ).to_series()


def _owners(n_accounts: int) -> pl.DataFrame:
    n_csm = max(8, -(-n_accounts // 150))
    n_am = max(4, -(-n_accounts // 450))
    n_both = max(2, -(-n_accounts // 1000))
    roles = ["csm"] * n_csm + ["am"] * n_am + ["both"] * n_both + ["leader"] * 2
    combos = len(FIRST) * len(LAST)
    names = [  # unique: a number is added once every first/last pair is taken
        f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"
        + (f" {i // combos + 1}" if i >= combos else "")
        for i in range(len(roles))
    ]
    teams = {
        "csm": "Customer Success",
        "am": "Account Management",
        "both": "Account Management",
        "leader": "Leadership",
    }
    return pl.DataFrame(
        {
            "owner": names,
            "role": roles,
            "email": [n.lower().replace(" ", ".") + "@tandem.example" for n in names],
            "team": [teams[r] for r in roles],
        }
    )


def _trajectories(rng: np.random.Generator, n: int) -> np.ndarray:
    """Hidden health per account and period, in [0, 1]: a noisy walk, some with a decline."""
    h0 = rng.beta(4.0, 2.2, n)
    drift = rng.normal(0.0, 0.012, n)
    steps = np.repeat(drift[:, None], PERIODS, axis=1) + rng.normal(0.0, 0.035, (n, PERIODS))
    declining = rng.random(n) < 0.3
    onset = rng.integers(0, PERIODS, n)
    slope = rng.uniform(0.06, 0.15, n)
    periods = np.arange(PERIODS)[None, :]
    steps -= (declining[:, None] & (periods >= onset[:, None])) * slope[:, None]
    recovering = rng.random(n) < 0.15
    steps += (recovering[:, None] & (periods >= onset[:, None])) * 0.02
    return np.clip(h0[:, None] + np.cumsum(steps, axis=1), 0.02, 0.98)


@dataclass
class _Book:
    """The accounts as the generator knows them (hidden health included): every table is
    drawn from it, each by a step of its own, in a fixed order (one seeded generator)."""

    rng: np.random.Generator
    n: int
    anchor: int
    window_start: int
    period_start: np.ndarray
    seg: np.ndarray
    arr0: np.ndarray
    price: np.ndarray
    seats: np.ndarray
    plan: np.ndarray
    model: np.ndarray  # 0 = pair, 1 = combined, 2 = CSM only
    csm_owner: np.ndarray
    am_owner: np.ndarray
    start: np.ndarray
    ids: np.ndarray
    health: np.ndarray = field(default_factory=lambda: np.empty(0))
    arr: np.ndarray = field(default_factory=lambda: np.empty(0))
    churn_day: np.ndarray = field(default_factory=lambda: np.empty(0))
    is_churned: np.ndarray = field(default_factory=lambda: np.empty(0))
    renewal: np.ndarray = field(default_factory=lambda: np.empty(0))
    licensed: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass
class _Grid:
    """The account-periods with activity: which account (``ai``), which period (``pi``), its
    health, and the stretch of the period the account was alive."""

    ai: np.ndarray
    pi: np.ndarray
    h: np.ndarray
    lo_s: np.ndarray
    span_s: np.ndarray
    frac: np.ndarray

    def times_in(self, rng: np.random.Generator, cells: np.ndarray) -> np.ndarray:
        return self.lo_s[cells] + (rng.random(len(cells)) * self.span_s[cells]).astype(np.int64)


def _firmographics(spec: DemoSpec, rng: np.random.Generator, owners: pl.DataFrame) -> _Book:
    """Segments, ARR, seats, plans and the coverage model that picks each account's owners."""
    n = spec.accounts
    anchor = _day(spec.anchor)
    window_start = anchor - PERIODS * PERIOD_DAYS
    csms = owners.filter(pl.col("role") == "csm")["owner"].to_numpy()
    ams = owners.filter(pl.col("role") == "am")["owner"].to_numpy()
    both = owners.filter(pl.col("role") == "both")["owner"].to_numpy()
    seg = rng.choice(3, n, p=SEGMENT_SHARE)
    arr0 = np.round(np.exp(np.log(ARR_MEDIAN[seg]) + rng.normal(0, 1, n) * ARR_SIGMA[seg]), -2)
    price = PRICE_PER_SEAT[seg] * rng.uniform(0.8, 1.2, n)
    seats = np.maximum(3, np.round(arr0 / price)).astype(np.int64)
    plan = np.where(
        seg == 0,
        "Enterprise",
        np.where(
            seg == 1,
            np.where(rng.random(n) < 0.8, "Business", "Enterprise"),
            np.where(rng.random(n) < 0.6, "Starter", "Business"),
        ),
    )
    seg_median = np.array([np.median(arr0[seg == s]) if (seg == s).any() else 0 for s in range(3)])
    u = rng.random(n)
    model = np.select(
        [seg == 0, (seg == 1) & (arr0 >= seg_median[1]), seg == 1],
        [
            np.where(u < 0.85, 0, 1),
            np.select([u < 0.6, u < 0.8], [0, 1], 2),
            np.where(u < 0.3, 1, 2),
        ],
        np.where(u < 0.25, 1, 2),
    )
    combined_owner = both[rng.integers(0, len(both), n)]
    csm_owner = np.where(model == 1, combined_owner, csms[rng.integers(0, len(csms), n)])
    am_owner = np.where(
        model == 0, ams[rng.integers(0, len(ams), n)], np.where(model == 1, combined_owner, "")
    )
    start = anchor - rng.integers(45, 1800, n)
    return _Book(
        rng=rng,
        n=n,
        anchor=anchor,
        window_start=window_start,
        period_start=window_start + PERIOD_DAYS * np.arange(PERIODS),
        seg=seg,
        arr0=arr0,
        price=price,
        seats=seats,
        plan=plan,
        model=model,
        csm_owner=csm_owner,
        am_owner=am_owner,
        start=start,
        ids=_ids("ACC-", n, 6).to_numpy().astype(str),
    )


def _renewal_history(book: _Book, churn_drift: float = 0.0) -> pl.DataFrame:
    """The hidden health trajectories, then each anniversary decided by the health: renewed,
    expanded, contracted or churned. Returns the outcomes; fills the book's ARR and dates."""
    rng, n, anchor, window_start = book.rng, book.n, book.anchor, book.window_start
    health = _trajectories(rng, n)
    arr = book.arr0.copy()
    churn_day = np.full(n, np.iinfo(np.int64).max)
    outcome_parts = []
    for k in range(1, 6):
        ann = book.start + 365 * k
        due = (ann > window_start) & (ann <= anchor) & (churn_day > ann)
        p = np.clip((ann - window_start) // PERIOD_DAYS, 0, PERIODS - 1)
        lo = np.clip(p - 3, 0, PERIODS - 1)
        level = (health[np.arange(n), lo] + health[np.arange(n), np.clip(p - 1, 0, None)]) / 2
        slope = health[np.arange(n), np.clip(p - 1, 0, None)] - health[np.arange(n), lo]
        drift = churn_drift * (ann - anchor) / 365
        p_churn = 1 / (1 + np.exp(-(-0.4 + drift - 6.0 * level - 18.0 * slope)))
        draw = rng.random(n)
        churned = due & (draw < p_churn)
        expanded = due & ~churned & (level > 0.65) & (rng.random(n) < 0.4)
        contracted = due & ~churned & ~expanded & (level < 0.5) & (rng.random(n) < 0.35)
        change = np.select(
            [churned, expanded, contracted],
            [
                -arr,
                np.round(arr * rng.uniform(0.1, 0.4, n), -2),
                -np.round(arr * rng.uniform(0.1, 0.3, n), -2),
            ],
            0.0,
        )
        event = np.select(
            [churned, expanded, contracted], ["churned", "expanded", "contracted"], "renewed"
        )
        idx = np.flatnonzero(due)
        outcome_parts.append(
            pl.DataFrame(
                {
                    "account_id": book.ids[idx],
                    "occurred_on": _dates(ann[idx]),
                    "event": event[idx],
                    "arr_change": change[idx],
                }
            )
        )
        arr = np.where(due & ~churned, arr + change, arr)
        churn_day = np.where(churned, ann, churn_day)
    book.health, book.arr, book.churn_day = health, arr, churn_day
    book.is_churned = churn_day <= anchor
    years = np.floor((anchor - book.start) / 365).astype(np.int64) + 1
    book.renewal = np.where(book.is_churned, churn_day, book.start + 365 * years)
    book.licensed = np.maximum(3, np.round(arr / book.price)).astype(np.int64)
    return pl.concat(outcome_parts).sort("occurred_on", "account_id")


def _account_table(book: _Book) -> pl.DataFrame:
    rng, n = book.rng, book.n
    perm = rng.permutation(max(n, 1))
    names = [
        f"{NAME_A[j % 30]}{NAME_B[(j // 30) % 20]} {NAME_SUFFIX[(j // 600) % 8]}"
        + (f" {j // 4800 + 1}" if j >= 4800 else "")
        for j in perm[:n]
    ]
    return pl.DataFrame(
        {
            "account_id": book.ids,
            "account_name": names,
            "segment": SEGMENTS[book.seg],
            "industry": INDUSTRIES[rng.integers(0, len(INDUSTRIES), n)],
            "region": rng.choice(REGIONS, n, p=REGION_SHARE),
            "plan": book.plan,
            "csm_owner": book.csm_owner,
            "am_owner": pl.Series(book.am_owner).replace("", None),
            "arr": book.arr,
            "currency": "USD",
            "licensed_seats": book.licensed,
            "contract_start": _dates(book.start),
            "renewal_date": _dates(book.renewal),
            "status": np.where(book.is_churned, "churned", "active"),
        }
    ).with_columns(  # the company's web domain, as a CRM keeps it (no draw: no change above)
        domain=pl.col("account_name")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", "-")
        .str.strip_chars("-")
        + ".com"
    )


def _billing_keys(accounts: pl.DataFrame) -> pl.DataFrame:
    """Billing's own id for each account (a Stripe customer id), as a billing export keys it."""
    return accounts.select(
        key="cus_" + pl.col("account_id").str.replace("ACC-", ""),
        system=pl.lit("stripe"),
        account_id="account_id",
        account_name=pl.col("account_name").str.to_uppercase(),
        domain="domain",
    )


def _alive_grid(book: _Book) -> _Grid:
    p_lo = np.maximum(book.period_start[None, :], book.start[:, None])
    p_hi = np.minimum(
        book.period_start[None, :] + PERIOD_DAYS, np.minimum(book.churn_day, book.anchor)[:, None]
    )
    ai, pi = np.nonzero(p_hi > p_lo)
    span_s = (p_hi[ai, pi] - p_lo[ai, pi]) * 86400
    return _Grid(
        ai=ai,
        pi=pi,
        h=book.health[ai, pi],
        lo_s=p_lo[ai, pi] * 86400,
        span_s=span_s,
        frac=span_s / (PERIOD_DAYS * 86400),  # share of the period the account was alive
    )


def _usage(book: _Book, g: _Grid, spec: DemoSpec) -> pl.DataFrame:
    """Active users follow health; each active user leaves a few rows."""
    rng, ids = book.rng, book.ids
    h = spec.usage_signal * g.h + (1 - spec.usage_signal) * 0.6
    util = np.clip(0.08 + spec.seat_fill + 0.85 * h + rng.normal(0, 0.05, len(h)), 0.02, 1.0)
    active = rng.binomial(book.seats[g.ai], util)
    rate = spec.user_rows_per_month
    if spec.events_target:
        rate = spec.events_target / max(1, active.sum())
    rows_per_user = rng.poisson(rate * np.repeat(g.frac, active))
    user_cell = np.repeat(np.arange(len(g.ai)), active)
    user_index = np.arange(active.sum()) - np.repeat(np.cumsum(active) - active, active)
    ev_cell = np.repeat(user_cell, rows_per_user)
    ev_user = np.repeat(user_index, rows_per_user)
    n_features = np.clip(np.round(2 + 10 * h + rng.normal(0, 1, len(h))), 1, len(FEATURES))
    ev_feature = (rng.random(len(ev_cell)) * n_features[ev_cell]).astype(np.int64)
    return pl.DataFrame(
        {
            "account_id": pl.Series(ids).gather(g.ai[ev_cell]),
            "occurred_at": _timestamps(g.times_in(rng, ev_cell)),
            "user_id": pl.Series(ev_user).cast(pl.String),
            "feature": pl.Series(FEATURES).gather(ev_feature),
            "quantity": 1 + rng.poisson(3, len(ev_cell)),
        }
    ).with_columns(user_id=pl.lit("u") + pl.col("user_id"))


def _tickets(book: _Book, g: _Grid) -> pl.DataFrame:
    """More tickets, and more severe ones, when health is low."""
    rng = book.rng
    t_rate = 0.15 * np.sqrt(book.seats[g.ai]) * (0.4 + 1.6 * (1 - g.h)) * g.frac
    t_cell = np.repeat(np.arange(len(g.ai)), rng.poisson(t_rate))
    th = g.h[t_cell]
    created = g.times_in(rng, t_cell)
    resolve_s = (rng.exponential(1.5 + 6 * (1 - th)) * 86400).astype(np.int64) + 3600
    resolved = created + resolve_s
    is_open = resolved > book.anchor * 86400
    pr = rng.random(len(t_cell))
    priority = np.select(
        [pr < 0.02 + 0.10 * (1 - th), pr < 0.12 + 0.25 * (1 - th), pr < 0.75],
        ["urgent", "high", "normal"],
        "low",
    )
    csat = np.clip(np.round(1 + 4 * th + rng.normal(0, 0.8, len(t_cell))), 1, 5)
    return pl.DataFrame(
        {
            "ticket_id": _ids("T-", len(t_cell), 7),
            "account_id": pl.Series(book.ids).gather(g.ai[t_cell]),
            "created_at": _timestamps(created),
            "resolved_at": _timestamps(resolved),
            "priority": priority,
            "status": np.where(is_open, "open", "solved"),
            "csat": np.where(~is_open & (rng.random(len(t_cell)) < 0.4), csat, np.nan),
            "category": TICKET_CATEGORIES[rng.integers(0, len(TICKET_CATEGORIES), len(t_cell))],
        }
    ).with_columns(
        resolved_at=pl.when(pl.col("status") == "open").then(None).otherwise(pl.col("resolved_at")),
        csat=pl.col("csat").fill_nan(None).cast(pl.Int64),
    )


def _invoices(book: _Book) -> pl.DataFrame:
    """Annual (Enterprise), quarterly (Mid-Market) or monthly (SMB) billing; late when sick."""
    rng, start = book.rng, book.start
    interval = np.array([365, 91, 30])[book.seg]
    first_k = np.maximum(0, -(-(book.window_start - start) // interval))
    last_k = (np.minimum(book.churn_day - 1, book.anchor) - start) // interval
    count = np.maximum(0, last_k - first_k + 1)
    inv_acc = np.repeat(np.arange(book.n), count)
    inv_k = np.repeat(first_k, count) + (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    issued = start[inv_acc] + inv_k * interval[inv_acc]
    inv_p = np.clip((issued - book.window_start) // PERIOD_DAYS, 0, PERIODS - 1)
    ih = book.health[inv_acc, inv_p]
    late = rng.random(len(inv_acc)) < 0.05 + 0.6 * (1 - ih) ** 2
    delay = np.where(late, 30 + rng.exponential(10 + 60 * (1 - ih)), rng.uniform(3, 28, len(ih)))
    paid = issued + np.round(delay).astype(np.int64)
    unpaid = paid > book.anchor
    return pl.DataFrame(
        {
            "invoice_id": _ids("INV-", len(inv_acc), 7),
            "account_id": pl.Series(book.ids).gather(inv_acc),
            "issued_on": _dates(issued),
            "due_on": _dates(issued + 30),
            "paid_on": _dates(paid),
            "amount": np.round(book.arr0[inv_acc] * interval[inv_acc] / 365, 2),
            "status": np.where(unpaid, "open", "paid"),
        }
    ).with_columns(paid_on=pl.when(pl.col("status") == "open").then(None).otherwise("paid_on"))


def _surveys(book: _Book, g: _Grid) -> pl.DataFrame:
    """Quarterly NPS answered by some, occasional CSAT."""
    rng, ai, pi = book.rng, g.ai, g.pi
    quarter = (pi % 3 == (ai % 3)) & (rng.random(len(ai)) < 0.55)
    csat_cell = rng.random(len(ai)) < 0.08
    s_cells = np.concatenate([np.flatnonzero(quarter), np.flatnonzero(csat_cell)])
    s_kind = np.array(["nps"] * int(quarter.sum()) + ["csat"] * int(csat_cell.sum()))
    sh = g.h[s_cells]
    score = np.where(
        s_kind == "nps",
        np.clip(np.round(1 + 9.5 * sh + rng.normal(0, 1.3, len(s_cells))), 0, 10),
        np.clip(np.round(1 + 4 * sh + rng.normal(0, 0.7, len(s_cells))), 1, 5),
    )
    return pl.DataFrame(
        {
            "account_id": pl.Series(book.ids).gather(ai[s_cells]),
            "responded_at": _timestamps(g.times_in(rng, s_cells)),
            "score": score,
            "kind": s_kind,
            "respondent": np.array(["champion", "admin", "end user"])[
                rng.integers(0, 3, len(s_cells))
            ],
        }
    ).sort("responded_at", "account_id")


def _activities(book: _Book, g: _Grid) -> pl.DataFrame:
    """Touches by each role, QBRs, logged outcomes and onboarding milestones."""
    rng, ai, pi, h = book.rng, g.ai, g.pi, g.h
    csm_owner, am_owner, start = book.csm_owner, book.am_owner, book.start
    segc = book.seg[ai]
    has_am = book.model[ai] != 2
    csm_n = rng.poisson(np.array([3.0, 1.6, 0.6])[segc] * (0.4 + h) * g.frac)
    am_n = rng.poisson(np.array([1.2, 0.7, 0.3])[segc] * has_am * g.frac)
    qbr = (segc == 0) & (pi % 3 == ai % 3) | (segc == 1) & (pi % 6 == ai % 6)
    qbr &= rng.random(len(ai)) < 0.2 + 0.7 * h
    logged = rng.random(len(ai)) < np.array([0.12, 0.07, 0.03])[segc] * h * 2
    c_cell = np.repeat(np.arange(len(ai)), csm_n)
    a_cell = np.repeat(np.arange(len(ai)), am_n)
    q_cell, o_cell = np.flatnonzero(qbr), np.flatnonzero(logged)
    cells = np.concatenate([c_cell, a_cell, q_cell, o_cell])
    roles = np.array(
        ["csm"] * len(c_cell) + ["am"] * len(a_cell) + ["csm"] * len(q_cell) + ["csm"] * len(o_cell)
    )
    kinds = np.concatenate(
        [
            np.array(["call", "email", "meeting"])[rng.integers(0, 3, len(c_cell))],
            np.array(["call", "email", "meeting"])[rng.integers(0, 3, len(a_cell))],
            np.full(len(q_cell), "qbr"),
            np.full(len(o_cell), "outcome"),
        ]
    )
    summaries = np.concatenate(
        [
            np.array(CSM_ACTIONS)[rng.integers(0, len(CSM_ACTIONS), len(c_cell))],
            np.array(AM_ACTIONS)[rng.integers(0, len(AM_ACTIONS), len(a_cell))],
            np.full(len(q_cell), "Quarterly business review"),
            np.array(OUTCOME_TEXT)[rng.integers(0, len(OUTCOME_TEXT), len(o_cell))],
        ]
    )
    acc_of = ai[cells]
    authors = np.where(roles == "am", am_owner[acc_of], csm_owner[acc_of])
    # without an AM, the customer's commercial questions land in the CSM's notes (and stay there)
    asks = np.random.default_rng(rng.integers(0, 2**32))
    heard = (roles == "csm") & (am_owner[acc_of] == "") & (asks.random(len(cells)) < 0.08)
    summaries = np.where(
        heard, np.array(CSM_HEARD_COMMERCIAL)[asks.integers(0, 3, len(cells))], summaries
    )
    # onboarding milestones for accounts that started inside the window, slower when unhealthy
    new = np.flatnonzero(start > book.window_start)
    m_acc = np.repeat(new, 3)
    m_step = np.tile(np.arange(3), len(new))
    first_h = book.health[
        m_acc, np.clip((start[m_acc] - book.window_start) // PERIOD_DAYS, 0, PERIODS - 1)
    ]
    m_day = start[m_acc] + np.round(np.array([7, 30, 60])[m_step] * (1.6 - first_h)).astype(int)
    m_keep = (m_day < np.minimum(book.anchor, book.churn_day[m_acc])) & (m_day > book.window_start)
    m_acc, m_step, m_day = m_acc[m_keep], m_step[m_keep], m_day[m_keep]
    return pl.concat(
        [
            pl.DataFrame(
                {
                    "account_id": pl.Series(book.ids).gather(acc_of),
                    "occurred_at": _timestamps(g.times_in(rng, cells)),
                    "kind": kinds,
                    "author": authors,
                    "role": roles,
                    "summary": summaries,
                }
            ),
            pl.DataFrame(
                {
                    "account_id": pl.Series(book.ids).gather(m_acc),
                    "occurred_at": _timestamps(m_day * 86400 + 36000),
                    "kind": np.full(len(m_acc), "milestone"),
                    "author": csm_owner[m_acc],
                    "role": np.full(len(m_acc), "csm"),
                    "summary": np.array(MILESTONES)[m_step],
                }
            ),
        ]
    ).sort("occurred_at", "account_id")


def _subscriptions(book: _Book) -> pl.DataFrame:
    """The billing view, with a few honest mismatches against the CRM."""
    rng, n, arr, licensed, renewal = book.rng, book.n, book.arr, book.licensed, book.renewal
    mismatch = rng.random((3, n)) < np.array([[0.04], [0.03], [0.03]])
    addon = (book.seg < 2) & (rng.random(n) < 0.3)
    core_arr = np.where(addon, np.round(arr * 0.85, -2), arr)
    last_start = renewal - 365  # the current (or last) contract year
    core = pl.DataFrame(
        {
            "subscription_id": [f"SUB-{i:06d}-1" for i in range(n)],
            "account_id": book.ids,
            "product": "Tandem Platform",
            "arr": np.where(mismatch[0], np.round(core_arr * 1.1, -2), core_arr),
            "seats": np.where(mismatch[1], licensed + np.maximum(1, licensed // 10), licensed),
            "start_date": _dates(np.maximum(last_start, book.start)),
            "end_date": _dates(np.where(mismatch[2], renewal + 30, renewal)),
            "status": np.where(book.is_churned, "canceled", "active"),
            "auto_renew": rng.random(n) < 0.7,
        }
    )
    ad = np.flatnonzero(addon)
    addons = pl.DataFrame(
        {
            "subscription_id": [f"SUB-{i:06d}-2" for i in ad],
            "account_id": book.ids[ad],
            "product": "Advanced Analytics",
            "arr": arr[ad] - core_arr[ad],
            "seats": licensed[ad],
            "start_date": _dates(np.maximum(last_start, book.start)[ad]),
            "end_date": _dates(renewal[ad]),
            "status": np.where(book.is_churned[ad], "canceled", "active"),
            "auto_renew": rng.random(len(ad)) < 0.7,
        }
    )
    return pl.concat([core, addons]).sort("subscription_id")


FIRST_NAMES = np.array(
    [
        "Ana",
        "Ben",
        "Chloe",
        "Dev",
        "Emma",
        "Femi",
        "Grace",
        "Hugo",
        "Ines",
        "Jon",
        "Kai",
        "Lena",
        "Maya",
        "Nils",
        "Omar",
        "Priya",
        "Quinn",
        "Rosa",
        "Sam",
        "Tariq",
        "Uma",
        "Vera",
        "Wen",
    ]
)
LAST_NAMES = np.array(
    [
        "Adams",
        "Berg",
        "Costa",
        "Dubois",
        "Eze",
        "Fischer",
        "Garcia",
        "Haddad",
        "Ito",
        "Jensen",
        "Khan",
        "Larsen",
        "Moreau",
        "Novak",
        "Okafor",
        "Park",
        "Rossi",
        "Silva",
        "Tanaka",
        "Weber",
    ]
)
CONTACT_TITLES = {
    "champion": "Head of Customer Operations",
    "economic buyer": "VP Finance",
    "admin": "Systems Administrator",
    "user": "Operations Analyst",
}


def _contacts(book: _Book, accounts: pl.DataFrame) -> pl.DataFrame:
    """The customer's people, drawn last (every other table stays as it was): two to five
    per account, the first its champion, the second its economic buyer (a quarter of the
    accounts have none on file), then an admin and users. Each carries the product's user id
    of its seat (``u0`` is the champion), so the usage shows when they were last active. The
    champion leaves by the same hidden trajectory that drives churn: before half of the
    churns (30 to 150 days before), and elsewhere more often the lower the health was in the
    last year; a few users leave too. Nobody leaves after the anchor date."""
    rng, n = book.rng, book.n
    per = 2 + rng.binomial(3, 0.4, n)
    ai = np.repeat(np.arange(n), per)
    pos = np.arange(len(ai)) - np.repeat(np.cumsum(per) - per, per)
    no_buyer = rng.random(n) < 0.25
    role = np.where(
        pos == 0,
        "champion",
        np.where((pos == 1) & ~no_buyer[ai], "economic buyer", np.where(pos == 2, "admin", "user")),
    )
    first = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), len(ai))]
    last = LAST_NAMES[rng.integers(0, len(LAST_NAMES), len(ai))]
    # the champion: before half of the churns; elsewhere by the last year's hidden health
    churned = book.is_churned & (rng.random(n) < 0.5)
    year_health = book.health[:, -12:].mean(axis=1)
    quits = ~book.is_churned & (rng.random(n) < 0.04 + 0.3 * (1 - year_health) ** 2)
    churn_day = np.where(book.is_churned, book.churn_day, book.anchor)
    champion_left = np.where(
        churned,
        churn_day - rng.integers(30, 151, n),
        np.where(quits, book.anchor - rng.integers(1, 366, n), -1),
    )
    champion_left = np.where(champion_left >= book.start, champion_left, -1)
    user_left = np.where(
        rng.random(len(ai)) < 0.05, book.anchor - rng.integers(1, 366, len(ai)), -1
    )
    left = np.where(pos == 0, champion_left[ai], np.where(role == "user", user_left, -1))
    left = np.where(left >= book.start[ai], left, -1)
    domain = accounts["domain"].gather(ai)
    # two people of one account with the same name get distinct addresses (one row per person)
    again = pl.int_range(pl.len()).over("account_id", "email") > 0
    numbered = pl.col("email").str.replace(
        "@", pl.col("contact_id").str.slice(1) + "@", literal=True
    )
    return pl.DataFrame(
        {
            "account_id": pl.Series(book.ids).gather(ai),
            "name": pl.Series(first) + " " + pl.Series(last),
            "email": (pl.Series(first) + "." + pl.Series(last)).str.to_lowercase() + "@" + domain,
            "title": pl.Series(role).replace_strict(CONTACT_TITLES),
            "role": role,
            "left_on": _dates(np.where(left >= 0, left, 0)).set(pl.Series(left < 0), None),
            "contact_id": pl.Series(pos).cast(pl.String).str.replace(r"^", "u"),
        }
    ).with_columns(email=pl.when(again).then(numbered).otherwise("email"))


def build_demo(spec: DemoSpec) -> dict[str, pl.DataFrame]:
    """Build every canonical table of the demo portfolio, deterministic for ``spec``: one
    seeded generator, each table drawn by its step in this order."""
    rng = np.random.default_rng(spec.seed)
    owners = _owners(spec.accounts)
    book = _firmographics(spec, rng, owners)
    outcomes = _renewal_history(book, spec.churn_drift)
    accounts = _account_table(book)
    grid = _alive_grid(book)
    usage_events = _usage(book, grid, spec)
    tickets = _tickets(book, grid)
    invoices = _invoices(book)
    surveys = _surveys(book, grid)
    activities = _activities(book, grid)
    subscriptions = _subscriptions(book)
    contacts = _contacts(book, accounts)
    return {
        "accounts": accounts,
        "subscriptions": subscriptions,
        "invoices": invoices,
        "usage_events": usage_events,
        "tickets": tickets,
        "surveys": surveys,
        "activities": activities,
        "outcomes": outcomes,
        "owners": owners,
        "account_keys": _billing_keys(accounts),
        "contacts": contacts,
    }


Progress = Callable[[float, str], None]


def load_demo(
    store: SourceStore, spec: DemoSpec, progress: Progress | None = None
) -> dict[str, int]:
    """Build the demo portfolio and load every canonical table in one published generation."""
    report = progress or (lambda fraction, message: None)
    report(0.05, f"Generating {spec.accounts:,} accounts (seed {spec.seed})")
    tables = build_demo(spec)
    counts: dict[str, int] = {}
    source = f"demo (seed {spec.seed}, {spec.accounts} accounts, as of {spec.anchor})"
    with store.writer() as writer:
        for i, (table, frame) in enumerate(tables.items()):
            report(0.2 + 0.75 * i / len(tables), f"Loading {table} ({frame.height:,} rows)")
            counts[table] = writer.replace_table(table, frame)
            writer.record_load(table, source, counts[table])
        writer.execute("DELETE FROM score_snapshots")
        writer.set_meta("workspace", "demo")  # an import never writes into the demo's store
    report(1.0, "Demo portfolio ready")
    return counts
