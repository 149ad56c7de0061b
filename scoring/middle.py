"""Coverage and team design (pure Polars): the unmanaged middle of the portfolio, owner load,
the organisation model per segment with its known failure, what to change next, and suggested
AM assignments.

Input is the scored accounts (``account_scores``) with ``commercial_questions_90d`` (activities
that mention price, quotes or contract terms) added by the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from scoring.glossary import (
    FIRST_BUCKET_DAYS,
    MIDDLE_HIGH,
    MIDDLE_LOW,
    NO_DATA,
    RENEWAL_WINDOW_DAYS,
    TOUCH_DAYS,
    days,
    renewing_within,
)

col = pl.col

SIGNALS = {
    "sig_expansion": "expansion-ready",
    "sig_renewal": f"renewal inside {days(RENEWAL_WINDOW_DAYS)}",
    "sig_questions": "price or contract questions in activities",
    "sig_no_touch": f"no commercial touch in {days(TOUCH_DAYS)}",
}
MODELS = {
    "pair": "CSM + AM pair",
    "combined": "combined role",
    "csm_only": "CSM only",
    "none": "no CSM named",
}


def middle_of(
    accounts: pl.DataFrame,
    low: float = MIDDLE_LOW,
    high: float = MIDDLE_HIGH,
    segments: list[str] | None = None,
) -> pl.DataFrame:
    """Mark ``in_middle``: ARR between the ``low`` and ``high`` quantiles of the accounts'
    ARR (both ends included), or, when ``segments`` is given, membership of those segments."""
    if segments is not None:
        return accounts.with_columns(in_middle=col("segment").is_in(segments).fill_null(False))
    arr = col("arr")
    return accounts.with_columns(
        in_middle=arr.is_between(
            arr.quantile(low, "linear"), arr.quantile(high, "linear")
        ).fill_null(False),
        middle_from=arr.quantile(low, "linear"),
        middle_to=arr.quantile(high, "linear"),
    )


def middle_summary(accounts: pl.DataFrame) -> pl.DataFrame:
    """Accounts and ARR of the middle, with an AM and without (two rows, always present)."""
    grid = pl.DataFrame({"has_am": [True, False]})
    summary = (
        accounts.filter(col("in_middle"))
        .group_by(has_am=col("am_owner").is_not_null())
        .agg(accounts=pl.len(), arr=col("arr").fill_null(0).sum())
    )
    return (
        grid.join(summary, on="has_am", how="left")
        .with_columns(col("accounts").fill_null(0), col("arr").fill_null(0.0))
        .with_columns(
            coverage=pl.when(col("has_am")).then(pl.lit("with an AM")).otherwise(pl.lit("no AM"))
        )
    )


def with_signals(accounts: pl.DataFrame, touch_days: int = TOUCH_DAYS) -> pl.DataFrame:
    """The commercial signals of every account (booleans), their count and their words."""
    flagged = accounts.with_columns(
        sig_expansion=col("expansion_ready").fill_null(False),
        sig_renewal=renewing_within(),
        sig_questions=(col("commercial_questions_90d") > 0).fill_null(False),
        sig_no_touch=(col("days_since_am_touch") > touch_days).fill_null(True) & touches_known(),
    )
    return flagged.with_columns(
        signals=pl.sum_horizontal([col(s).cast(pl.Int8) for s in SIGNALS]),
        signals_text=pl.concat_str(
            [pl.when(col(s)).then(pl.lit(label)) for s, label in SIGNALS.items()],
            separator=", ",
            ignore_nulls=True,
        ),
    )


def unmanaged(accounts: pl.DataFrame) -> pl.DataFrame:
    """Middle accounts without an AM that show a commercial signal someone should work
    (beyond the absence of AM touches, which all of them share), most signals then most ARR
    first. ``arr_exposed`` is their ARR."""
    return (
        with_signals(accounts)
        .filter(
            col("in_middle"),
            col("am_owner").is_null(),
            col("sig_expansion") | col("sig_renewal") | col("sig_questions"),
        )
        .with_columns(arr_exposed=col("arr").fill_null(0))
        .sort(["signals", "arr"], descending=True, nulls_last=True)
    )


def owner_load(
    accounts: pl.DataFrame,
    work: pl.DataFrame,
    max_accounts: int,
    max_arr: float,
) -> pl.DataFrame:
    """Accounts and ARR per owner and role, the split of their logged work between value and
    commercial activities (``work``: owner, value_acts, commercial_acts), and ``too_large``
    when the book is over either limit."""
    books = pl.concat(
        [
            accounts.filter(col("csm_owner").is_not_null()).select(
                col("csm_owner").alias("owner"),
                pl.lit("csm").alias("role"),
                "arr",
                (col("csm_owner") == col("am_owner")).fill_null(False).alias("combined"),
            ),
            accounts.filter(col("am_owner").is_not_null()).select(
                col("am_owner").alias("owner"),
                pl.lit("am").alias("role"),
                "arr",
                (col("csm_owner") == col("am_owner")).fill_null(False).alias("combined"),
            ),
        ]
    )
    load = (
        books.group_by("owner", "role")
        .agg(accounts=pl.len(), arr=col("arr").fill_null(0).sum(), combined=col("combined").any())
        .with_columns(role=pl.when(col("combined")).then(pl.lit("both")).otherwise(col("role")))
        .sort("accounts", descending=True)
        .unique(["owner", "role"], keep="first")
        .drop("combined")
    )
    # no logged work at all (no activities, or none naming who logged it) is unknown, not 0
    known = 0 if work.height else None
    return (
        load.join(work, on="owner", how="left")
        .with_columns(
            col("value_acts").fill_null(pl.lit(known, pl.Int64)),
            col("commercial_acts").fill_null(pl.lit(known, pl.Int64)),
        )
        .with_columns(
            commercial_share=pl.when(col("value_acts") + col("commercial_acts") > 0).then(
                col("commercial_acts") / (col("value_acts") + col("commercial_acts"))
            ),
            too_large=(col("accounts") > max_accounts) | (col("arr") > max_arr),
        )
        .sort(["too_large", "accounts"], descending=True)
    )


def touches_known() -> pl.Expr:
    """True where the account's touches (calls, meetings, QBRs) are loaded: no activity
    source means "no touch" is unknown, never "untouched for 60 days"."""
    return col("has_activities").fill_null(False)


def org_models(
    accounts: pl.DataFrame, stalled_ids: list[str], missed_ids: list[str]
) -> pl.DataFrame:
    """Per segment: the share of accounts in each model (pair, combined, CSM-only), the main
    model, and the known failure of each model measured on its accounts:

    - pairs: expansion handoffs that stall (flagged > 14 days, no AM step);
    - combined: renewals discovered late (inside 30 days, no touch in the 60 days before) and
      expansions missed (ready 30+ days, never flagged);
    - CSM-only: the blind spot (commercial signals with nobody commercial on the account).
    """
    signalled = with_signals(accounts).with_columns(
        stalled=col("account_id").is_in(stalled_ids),
        missed=col("account_id").is_in(missed_ids),
        late_renewal=col("days_to_renewal").is_between(0, FIRST_BUCKET_DAYS)
        & (col("days_since_last_touch") > 60).fill_null(True)
        & touches_known(),
        blind=col("sig_expansion") | col("sig_renewal") | col("sig_questions"),
        segment=col("segment").fill_null("(none)"),
    )
    model = col("coverage_class")
    return (
        signalled.group_by("segment")
        .agg(
            accounts=pl.len(),
            arr=col("arr").fill_null(0).sum(),
            share_pair=(model == "pair").mean(),
            share_combined=(model == "combined").mean(),
            share_csm_only=(model == "csm_only").mean(),
            pair_stalled=((model == "pair") & col("stalled")).sum(),
            combined_late_renewals=pl.when(touches_known().any()).then(
                ((model == "combined") & col("late_renewal")).sum()
            ),
            combined_missed_expansions=((model == "combined") & col("missed")).sum(),
            csm_only_blind_spot=((model == "csm_only") & col("blind")).sum(),
            csm_only_blind_arr=col("arr").filter((model == "csm_only") & col("blind")).sum(),
        )
        .with_columns(
            main_model=pl.when(
                col("share_pair") + col("share_combined") + col("share_csm_only") == 0
            )
            .then(pl.lit("none"))  # no account names a CSM: no model to read, not "pair"
            .when(
                (col("share_pair") >= col("share_combined"))
                & (col("share_pair") >= col("share_csm_only"))
            )
            .then(pl.lit("pair"))
            .when(col("share_combined") >= col("share_csm_only"))
            .then(pl.lit("combined"))
            .otherwise(pl.lit("csm_only"))
        )
        .sort("arr", descending=True)
    )


@dataclass(frozen=True)
class Symptoms:
    """The measured pains the recommendation weighs (each a number with its threshold)."""

    blind_spot_accounts: int
    blind_spot_arr: float
    overloaded_owners: list[str]
    median_days_to_first_milestone: float | None  # accounts started in the last year
    early_adoption_dropoff: float | None  # share of accounts < 180 days old under 40 % seats
    late_renewal_share: float | None  # renewals inside 30 days with no touch in 60 days
    unflagged_ready_share: float | None  # ready accounts never flagged, or with no AM
    thresholds: dict[str, float] = field(
        default_factory=lambda: {
            "ttv_days": 45.0,
            "dropoff": 0.25,
            "late_renewals": 0.2,
            "unflagged": 0.3,
        }
    )


def symptoms(
    accounts: pl.DataFrame, unmanaged_frame: pl.DataFrame, load: pl.DataFrame, missed_ids: list[str]
) -> Symptoms:
    """Measure the symptoms on the filtered portfolio."""
    started = accounts.filter(col("days_since_start") <= 365)
    young = accounts.filter(col("days_since_start") <= 180, col("seat_utilisation").is_not_null())
    # "untouched" is read only where touches are loaded: without activities it is unknown
    renewing = accounts.filter(
        col("days_to_renewal").is_between(0, FIRST_BUCKET_DAYS), touches_known()
    )
    ready = accounts.filter(col("expansion_ready").fill_null(False))
    return Symptoms(
        blind_spot_accounts=unmanaged_frame.height,
        blind_spot_arr=float(unmanaged_frame["arr_exposed"].sum()),
        overloaded_owners=load.filter(col("too_large"))["owner"].unique().sort().to_list(),
        median_days_to_first_milestone=started["days_to_first_milestone"].median(),
        early_adoption_dropoff=(young["seat_utilisation"] < 0.4).mean() if young.height else None,
        late_renewal_share=(
            renewing.select((col("days_since_last_touch") > 60).fill_null(True).mean()).item()
            if renewing.height
            else None
        ),
        unflagged_ready_share=(
            ready.select(
                (col("account_id").is_in(missed_ids) | col("am_owner").is_null()).mean()
            ).item()
            if ready.height
            else None
        ),
    )


def recommendations(s: Symptoms, money_sign: str = "$") -> pl.DataFrame:
    """What to change next, each with its reasons and the evidence numbers beside them
    (amounts with ``money_sign``, the sign of the data's currency)."""
    t = s.thresholds
    rows: list[dict[str, str]] = []
    if s.blind_spot_accounts:
        rows.append(
            {
                "change": f"Assign an AM to the {s.blind_spot_accounts} uncovered middle accounts "
                "with commercial signals",
                "reason": "expansion, renewals and price questions on these accounts have no owner",
                "evidence": f"{s.blind_spot_accounts} accounts, {money_sign}{s.blind_spot_arr:,.0f} ARR exposed",
            }
        )
    if s.overloaded_owners:
        rows.append(
            {
                "change": "Rebalance these books: "
                + ", ".join(s.overloaded_owners[:8])
                + ("…" if len(s.overloaded_owners) > 8 else ""),
                "reason": "one person cannot read that many accounts or that much ARR each week",
                "evidence": f"{len(s.overloaded_owners)} owners over the limit",
            }
        )

    def over(value: float | None, limit: float) -> bool:
        return value is not None and value > limit

    def fmt(value: float | None, kind: str) -> str:
        if value is None:
            return NO_DATA
        return f"{value:.0f} days" if kind == "days" else f"{value:.0%}"

    # (role, measured value, its threshold, how it reads, what it measures, what over means)
    symptoms = [
        (
            "CSM",
            s.median_days_to_first_milestone,
            "ttv_days",
            "days",
            "time to first value",
            "slow",
        ),
        (
            "CSM",
            s.early_adoption_dropoff,
            "dropoff",
            "share",
            "of new accounts under 40 % seat use",
            "a drop-off",
        ),
        (
            "AM",
            s.late_renewal_share,
            "late_renewals",
            "share",
            "of renewals inside 30 days untouched for 60 days",
            "reactive",
        ),
        (
            "AM",
            s.unflagged_ready_share,
            "unflagged",
            "share",
            "of expansion-ready accounts never flagged or without an AM",
            "unmanaged",
        ),
    ]

    def said(value: float | None, key: str, kind: str, what: str, means: str) -> str:
        limit = f"{t[key]:.0f}" if kind == "days" else f"{t[key]:.0%}"
        measured = f"{what} {fmt(value, kind)}" if kind == "days" else f"{fmt(value, kind)} {what}"
        return f"{measured} (over {limit} is {means})"

    hits = {"CSM": [], "AM": []}
    for role, value, key, kind, what, means in symptoms:
        if over(value, t[key]):
            hits[role].append(said(value, key, kind, what, means))
    csm_hits, am_hits = hits["CSM"], hits["AM"]
    if csm_hits or am_hits:
        role = "AM" if len(am_hits) >= len(csm_hits) else "CSM"
        why = (
            "renewals are reactive and expansion unmanaged"
            if role == "AM"
            else "time-to-value is slow and early adoption drops off"
        )
        rows.append(
            {
                "change": f"Hire {'an AM' if role == 'AM' else 'a CSM'} first",
                "reason": why,
                "evidence": "; ".join(am_hits if role == "AM" else csm_hits)
                + (
                    ""
                    if not (am_hits and csm_hits)
                    else " — also seen: " + "; ".join(csm_hits if role == "AM" else am_hits)
                ),
            }
        )
    return pl.DataFrame(
        rows, schema={"change": pl.String, "reason": pl.String, "evidence": pl.String}
    )


def suggest_assignments(
    uncovered: pl.DataFrame, accounts: pl.DataFrame, max_accounts: int
) -> pl.DataFrame:
    """For each uncovered account (most ARR first), the AM with the most capacity left in its
    segment, or in its region when no AM works that segment; capacity = ``max_accounts``
    minus the AM's book, used up as accounts are given (``matched_on`` says which).

    Done without a loop: each AM's spare capacity becomes numbered slots, slots are ordered by
    the capacity that remains after them (the freest AM first, ties by name), and the n-th
    account of a segment (or region) takes the n-th slot of that segment (or region).
    """
    books = (
        accounts.filter(col("am_owner").is_not_null())
        .group_by("am_owner")
        .agg(
            book=pl.len().cast(pl.Int64),
            segment=col("segment").mode().sort().first(),
            region=col("region").mode().sort().first(),
        )
        .with_columns(capacity=(pl.lit(max_accounts) - col("book")).clip(lower_bound=0))
    )
    slots = pl.concat(
        [
            books.select("am_owner", "book", "capacity", key=pl.format(f"{by} {{}}", col(by)))
            for by in ("segment", "region")
        ]
    )
    slots = (
        slots.filter(col("capacity") > 0)
        .with_columns(slot=pl.int_ranges(0, col("capacity")))
        .explode("slot")
        .with_columns(remaining=col("capacity") - col("slot"))
        .sort(["key", "remaining", "am_owner"], descending=[False, True, False])
        .with_columns(n=pl.int_range(pl.len()).over("key"))
        .select("key", "n", col("am_owner").alias("suggested_am"), "book", "capacity")
    )
    served = slots["key"].unique().implode()
    ranked = (
        uncovered.with_columns(
            key=pl.when(pl.format("segment {}", col("segment")).is_in(served))
            .then(pl.format("segment {}", col("segment")))
            .otherwise(pl.format("region {}", col("region")))
        )
        .sort("arr", descending=True, nulls_last=True)
        .with_columns(n=pl.int_range(pl.len()).over("key"))
    )
    return (
        ranked.join(slots, on=["key", "n"], how="left")
        .with_columns(
            matched_on=pl.when(col("suggested_am").is_not_null()).then(
                col("key").str.split(" ").list.first()
            )
        )
        .drop("n", "key")
    )
