"""The nightly diagnostic: score every account as of a date, keep the day's snapshot, and
write per-owner digests. ``tandem refresh`` and the app's first start both call ``refresh``."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard import clock
from dashboard.config import get_settings
from dashboard.jobs.currency import FxRatesError, money_plan
from dashboard.jobs.delivery import DeliverySettings, DeliverySummary, deliver_digests
from dashboard.jobs.digests import Digest, build_digests, write_digest_files
from dashboard.jobs.work_files import control_character_notes, write_work_files
from dashboard.store import Stores
from dashboard.store.commercial import expansion_candidates
from dashboard.store.ddl import COMPONENTS
from dashboard.store.features import FEATURES_VERSION, features_at
from dashboard.store.filters import AccountFilter
from dashboard.store.imports import account_domains, stored_account_keys
from dashboard.store.marts import (
    SCORES_VERSION,
    days_scored_by_another,
    owner_rows,
    snapshot_health,
)
from dashboard.store.snapshots import (
    backtest_dates,
    backtest_dates_until,
    backtest_features,
    band_renewal_snapshots,
    history_end,
    kept_snapshot_dates,
    undated_churn_count,
    with_churn_labels,
)
from dashboard.store.sources import StaleDataError
from dashboard.text import CHURN_HORIZON_DAYS, in_currency, money_symbol, verdict_line
from dashboard.views.onboarding import onboarding_digest_rows, value_rule
from dashboard.views.risks import overdue_risks
from dashboard.views.stakeholders import stakeholder_digest_rows
from dashboard.views.what_changed import LAST_WEEK_DAYS, story_rows
from dashboard.workflows.covers import active_covers
from dashboard.workflows.handoffs import between_the_chairs, handoffs
from dashboard.workflows.scorecards import active_scorecard, save_scorecard, saved_scorecards
from dashboard.workflows.tasks import create_rule_tasks
from scoring.backtest import Check, check
from scoring.churn_risk import ChurnModel, fit_churn_model, too_thin
from scoring.currency import MoneyBasis, figures_currency, to_reporting
from scoring.digests import chairs_rows, with_lens_actions
from scoring.forecast import renewal_probabilities
from scoring.lab_analysis import Calibrated, Snapshots, snapshot_columns
from scoring.lab_analysis import calibrate as fit_calibrated
from scoring.pipeline import (
    health_at,
    health_only,
    health_scores,
    score_portfolio,
    snapshot_scores,
)
from scoring.scorecard import Scorecard
from scoring.survival import CoxModel, fit_time_to_churn, p_churn_before
from scoring.task_rules import rule_tasks

Progress = Callable[[float, str], None]
SNAPSHOT_COLUMNS = [
    "account_id",
    "as_of",
    *COMPONENTS,
    "health",
    "coverage",
    "band",
    "scorecard",
    "arr",
    "expansion_ready",
    "csm_owner",  # the day's owners: what changed and why says an owner change
    "am_owner",
]


@dataclass
class RefreshResult:
    as_of: dt.date
    accounts: int
    snapshots_written: int
    history_rescored: int = 0  # kept snapshot days another scorecard had scored
    tasks_created: int = 0
    digests: list[Path] = field(default_factory=list)
    work_files: list[Path] = field(default_factory=list)  # CRM task imports, calendar feeds
    seconds: dict[str, float] = field(default_factory=dict)
    delivery: DeliverySummary | None = None  # with a delivery: what was sent, skipped, failed
    calibrated: str | None = None  # with --calibrate: the scorecard saved, or why none was
    # values written as one line (a line break in a name) and files skipped (one owner's
    # file that could not be written): said, never a stopped refresh
    problems: list[str] = field(default_factory=list)


def snapshot_rows(scored: pl.DataFrame, past: bool = False) -> pl.DataFrame:
    """The ``score_snapshots`` rows of a scored frame (its features carry ``as_of``). A
    ``past`` day scored from today's CRM (a backfill, a rescore) does not know that day's
    owners: they are null, never today's owners said of that day."""
    owners = ("csm_owner", "am_owner")
    return scored.select(
        pl.lit(None, pl.String).alias(c)
        if c in owners and (past or c not in scored.columns)
        else pl.col(c)
        for c in SNAPSHOT_COLUMNS
    )


@dataclass
class _Scored:
    """Everything one scoring pass computed, before anything is published."""

    data_version: str | None
    marts: pl.DataFrame
    drivers: pl.DataFrame
    rates: pl.DataFrame
    kept: pl.DataFrame | None
    snapshot: pl.DataFrame
    accounts: int
    churn_model: pl.DataFrame
    rescored_days: int
    money: MoneyBasis
    verdict: str | None = None  # the digests' verdict line (``dashboard.text.verdict_line``)


class RefreshError(RuntimeError):
    """The refresh could not publish; the message says why. The served data is unchanged."""


REFRESH_ATTEMPTS = 3  # a refresh whose data changed meanwhile scores again, this many times


CHURN_HORIZON = CHURN_HORIZON_DAYS  # the churn probability shown beside health


NOT_PREDICTIVE = {  # why no churn probability is offered, by the active scorecard's verdict
    "inverse": "the health score ranks churn backwards on this history (Score lab)",
    "no_evidence": "the health score shows no evidence of predicting churn on this history "
    "(Score lab)",
    "no_outcomes": "the health score cannot be checked on this history: no churn, or no "
    "account that stayed, after its snapshots",
}


def _churn_model(
    stores: Stores,
    card: Scorecard,
    kept: pl.DataFrame | None,
    end: dt.date | None,
    timings: dict[str, float] | None = None,
) -> tuple[ChurnModel | str, Check | None, CoxModel | None]:
    """The active scorecard's verdict on the 12 past snapshots whose 90 days of outcome are
    known (the Score lab's backtest of it, kept beside the scores so no page computes it),
    and the churn curve of its health fitted on them, or why there is none: none either
    when the verdict is not ``predictive`` (a probability drawn from a score that does not
    rank churn would look calibrated and be wrong). With the curve, the Cox model of time to
    churn fitted on the same snapshots (churns known until ``end``)."""
    if kept is None or end is None:
        return "there is no outcome history to calibrate on", None, None
    dates = backtest_dates_until(end, CHURN_HORIZON)
    past = with_churn_labels(
        stores.sources, kept.filter(pl.col("as_of").is_in(dates)), CHURN_HORIZON
    )
    started = time.perf_counter()
    scored = health_scores(past, card)
    checked = check(scored.select("account_id", "as_of", "churned", "health", "band"))
    if timings is not None:
        timings["verdict"] = time.perf_counter() - started
    if checked.verdict != "predictive":
        return NOT_PREDICTIVE[checked.verdict], checked, None
    thin = too_thin(past)
    if thin:
        return thin, checked, None
    return fit_churn_model(scored, CHURN_HORIZON), checked, fit_time_to_churn(scored, end)


def churn_model_row(
    model: ChurnModel | str, card: Scorecard | None = None, checked: Check | None = None
) -> pl.DataFrame:
    """The ``churn_model`` mart: the fitted curve, or (``note``) why there is none, and the
    verdict of the scorecard (``card``) it was checked for."""
    fitted = isinstance(model, ChurnModel)
    lo, hi = checked.interval if checked else (None, None)
    return pl.DataFrame(
        {
            "horizon_days": [CHURN_HORIZON],
            "intercept": [model.intercept if fitted else None],
            "slope": [model.slope if fitted else None],
            "churn_events": [model.churn_events if fitted else None],
            "observations": [model.observations if fitted else None],
            "note": [None if fitted else model],
            "scorecard": [card.name if card else None],
            "verdict": [checked.verdict if checked else "no_outcomes" if card else None],
            "auc": [checked.auc if checked else None],
            "auc_low": [lo if checked and checked.auc is not None else None],
            "auc_high": [hi if checked and checked.auc is not None else None],
            "verdict_churn_events": [checked.churn_events if checked else None],
        },
        schema={
            "horizon_days": pl.Int32,
            "intercept": pl.Float64,
            "slope": pl.Float64,
            "churn_events": pl.Int64,
            "observations": pl.Int64,
            "note": pl.String,
            "scorecard": pl.String,
            "verdict": pl.String,
            "auc": pl.Float64,
            "auc_low": pl.Float64,
            "auc_high": pl.Float64,
            "verdict_churn_events": pl.Int64,
        },
    )


def history_snapshots(stores: Stores, horizon: int = CHURN_HORIZON, count: int = 12) -> Snapshots:
    """The Score lab's ``count`` past snapshots, 30 days apart, labelled with churn within
    ``horizon`` days (the same store queries and columns as the lab's)."""
    started = time.perf_counter()
    dates = backtest_dates(stores.sources, horizon, count)
    labelled = backtest_features(stores.sources, dates, horizon).select(snapshot_columns())
    seconds = round(time.perf_counter() - started, 3)
    return Snapshots(horizon, dates, labelled, seconds, undated_churn_count(stores.sources))


JUDGED = {  # the calibrated scorecard against the active one, by the interval of the difference
    "better": "it predicts churn better",
    "worse": "it predicts churn worse",
    "no_difference": "the difference is within noise",
    "no_outcomes": "there is no AUC to compare",
}


def calibrated_summary(fitted: Calibrated, active_name: str) -> str:
    """What the calibrated scorecard did on the later snapshots, against the active one, in
    plain text (the run's summary and log)."""
    if fitted.auc_calibrated is None or fitted.auc_active is None:
        return fitted.refused or "no calibrated scorecard"
    train, test = fitted.train_dates, fitted.test_dates
    (alo, ahi), (clo, chi), (dlo, dhi) = (
        fitted.interval_active,
        fitted.interval_calibrated,
        fitted.interval_difference,
    )
    return (
        f"fitted on {len(train)} snapshots ({train[0]} to {train[-1]}, "
        f"{fitted.churn_events:,} churn events), checked on the later {len(test)} "
        f"({test[0]} to {test[-1]}): AUC {fitted.auc_calibrated:.3f} ({clo:.3f}-{chi:.3f}) "
        f"calibrated vs {fitted.auc_active:.3f} ({alo:.3f}-{ahi:.3f}) {active_name!r}; "
        f"difference {fitted.auc_calibrated - fitted.auc_active:+.3f} ({dlo:+.3f} to "
        f"{dhi:+.3f}): {JUDGED[fitted.judgement]}"
    )


def offer_calibrated(stores: Stores, card: Scorecard, as_of: dt.date) -> str:
    """Fit a scorecard on the organisation's history (``scoring.lab_analysis.calibrate``:
    earlier snapshots fitted, later ones checked) and, when it predicts churn there, save it
    for a person to review and activate (never activated here). Returns what happened, in
    words."""
    fitted = fit_calibrated(history_snapshots(stores), card)
    if fitted.scorecard is None or fitted.refused:
        return fitted.refused or "no calibrated scorecard"
    name = f"calibrated {as_of.isoformat()}"
    if name in saved_scorecards(stores.app)["name"].to_list():
        return f"{name!r} is saved already"
    saved = fitted.scorecard.model_copy(update={"name": name})
    save_scorecard(stores.app, saved, "Tandem (nightly calibration)", clock.now())
    return f"saved {name!r} for review in the Score lab: {calibrated_summary(fitted, card.name)}"


def _days_of(features: pl.DataFrame) -> Callable[..., pl.DataFrame]:
    """The rows of some dates of one feature query over many: each date's rows are those
    ``features_at`` gives for it alone (every row reads only data before its own date), in
    the same order (by date, then account)."""

    def on(*days: dt.date) -> pl.DataFrame:
        return features.filter(pl.col("as_of").is_in(list(days)))

    return on


def _score(
    stores: Stores,
    as_of: dt.date,
    card: Scorecard,
    backfill_weeks: int,
    report: Progress,
    timings: dict[str, float],
    money: tuple[str, Path | None],
) -> _Scored:
    """Features, scores, past snapshots and renewal rates of the data published now, money
    in the data's currency (converted to the reporting one when the accounts are in several
    and there is a rate for each: ``scoring.currency``)."""
    version = stores.sources.data_version()
    try:
        basis, currencies = money_plan(stores.sources, *money)
    except FxRatesError as exc:
        raise RefreshError(f"the exchange rates cannot be used: {exc}") from exc

    def in_reporting(frame: pl.DataFrame) -> pl.DataFrame:
        return to_reporting(frame, currencies, basis)

    started = time.perf_counter()
    report(0.1, f"Computing features as of {as_of}")
    figures = figures_currency(currencies, basis)  # causes name amounts with their sign
    sign_of = {code: money_symbol(code) for code in figures["currency"].unique().to_list()}
    signs = figures.select(
        "account_id", money_sign=pl.col("currency").replace_strict(sign_of, return_dtype=pl.String)
    )
    month_ago = as_of - dt.timedelta(days=30)
    earlier = snapshot_health(stores.sources, month_ago, card.name)
    end = history_end(stores.sources, as_of)
    kept_dates = kept_snapshot_dates(end, as_of) if end else []
    past = {as_of - dt.timedelta(days=7 * week) for week in range(1, backfill_weeks + 1)}
    # the kept history another scorecard scored is scored again, each day from its own data:
    # a trend or a delta then never shows a change of scorecard as a change of accounts
    rescored = set(days_scored_by_another(stores.sources, as_of, card.name)) - past
    # every date this pass reads, in one feature query (one scan of the events, not four)
    wanted = {as_of, *kept_dates, *past, *rescored, *([month_ago] if earlier is None else [])}
    every = _days_of(features_at(stores.sources, sorted(wanted)))
    features = in_reporting(every(as_of)).join(signs, on="account_id", how="left")
    if earlier is None:  # no snapshot that day: rebuild the health of 30 days ago
        earlier = health_only(every(month_ago), card)
    timings["features"] = time.perf_counter() - started

    started = time.perf_counter()
    report(0.4, f"Scoring {features.height:,} accounts with scorecard {card.name!r}")
    scored = score_portfolio(features, card, health_30d_ago=earlier)
    timings["scoring"] = time.perf_counter() - started

    started = time.perf_counter()
    report(0.45, "Rebuilding past snapshots: the renewal history and the lab's backtests")
    kept = in_reporting(every(*kept_dates)) if end else None
    timings["past_snapshots"] = time.perf_counter() - started
    started = time.perf_counter()
    report(0.5, "Estimating renewal rates per band from the last year's renewals")
    history = band_renewal_snapshots(stores.sources, as_of, kept)
    rates = renewal_probabilities(health_at(history.events, history.features, card))
    timings["renewal_rates"] = time.perf_counter() - started

    started = time.perf_counter()
    report(0.52, "Checking the score on the past snapshots, calibrating the churn probability")
    churn_model, checked, to_churn = _churn_model(stores, card, kept, end, timings)
    if isinstance(churn_model, ChurnModel):
        # no probability beside a health read from too little data (low coverage): it
        # would rest on the sources that are missing
        accounts = scored.accounts.with_columns(
            churn_probability=pl.when(~pl.col("low_coverage").fill_null(True)).then(
                churn_model.probability()
            )
        )
    else:
        accounts = scored.accounts.with_columns(churn_probability=pl.lit(None, pl.Float64))
    accounts = accounts.with_columns(  # the time-to-churn model: before the renewal date
        p_churn_before_renewal=p_churn_before(to_churn, accounts, "days_to_renewal")
        if to_churn is not None
        else pl.lit(None, pl.Float64)
    )
    timings["churn_model"] = time.perf_counter() - started

    history: list[pl.DataFrame] = []
    if backfill_weeks:
        report(0.55, f"Backfilling {backfill_weeks} weekly snapshots")
    if rescored:
        report(0.56, f"Scoring {len(rescored)} kept snapshots again with scorecard {card.name!r}")
    if past | rescored:
        started = time.perf_counter()
        history.append(
            snapshot_rows(
                snapshot_scores(in_reporting(every(*sorted(past | rescored))), card), past=True
            )
        )
        timings["history"] = time.perf_counter() - started
    return _Scored(
        data_version=version,
        marts=with_lens_actions(accounts, scored.drivers).join(
            figures_currency(currencies, basis), on="account_id", how="left"
        ),
        money=basis,
        churn_model=churn_model_row(churn_model, card, checked),
        verdict=verdict_line(
            checked.verdict if checked else "no_outcomes",
            card.name,
            checked.auc if checked else None,
            checked.interval if checked else (None, None),
        ),
        rescored_days=len(rescored),
        drivers=scored.drivers,
        rates=rates,
        kept=kept,
        snapshot=pl.concat([snapshot_rows(scored.accounts), *history]),
        accounts=scored.accounts.height,
    )


def _publish(
    stores: Stores,
    scored: _Scored,
    as_of: dt.date,
    card: Scorecard,
    data_dir: Path,
    digests: bool,
    report: Progress,
    timings: dict[str, float],
    problems: list[str],
) -> tuple[int, list[Path], list[Digest], list[Path]]:
    """Publish the scores, then create the rule tasks and write the digests, all while
    holding the store's write lock and only if the source data is still the data scored
    (``StaleDataError`` otherwise): an erasure or an import that won the race is never
    undone by scores, tasks or digests computed before it."""
    started = time.perf_counter()
    report(0.75, "Publishing scores and the snapshot")
    written: list[Path] = []
    work: list[Path] = []
    built: list[Digest] = []
    with (
        stores.sources.writer(expect_data_version=scored.data_version) as writer,
        in_currency(scored.money.shown),  # the digests in the data's currency
    ):
        writer.replace_mart("account_scores", scored.marts)
        writer.replace_mart("account_drivers", scored.drivers)
        writer.replace_mart("renewal_rates", scored.rates)
        writer.replace_mart("churn_model", scored.churn_model)
        writer.set_meta("scores_version", SCORES_VERSION)
        writer.set_meta("money_currency", scored.money.shown)  # what the pages show money in
        writer.set_meta("money_note", scored.money.note() or "")
        writer.set_meta("money_rates", scored.money.rates_json())  # for the retention KPIs
        if scored.kept is not None:
            writer.replace_mart("snapshot_features", scored.kept)
            writer.set_meta("snapshot_features_version", FEATURES_VERSION)
        writer.replace_snapshot_days(scored.snapshot)
        timings["publish"] = time.perf_counter() - started
        tasks_created = create_rule_tasks(stores.app, rule_tasks(scored.marts, as_of, card), as_of)
        if digests:
            started = time.perf_counter()
            report(0.9, "Writing per-owner digests")
            owners = owner_rows(writer)
            chairs = chairs_rows(
                *between_the_chairs(
                    scored.marts,
                    expansion_candidates(writer, AccountFilter()),
                    handoffs(stores.app),
                    as_of,
                )
            )
            chairs = pl.concat(
                [
                    chairs,
                    overdue_risks(stores.app, scored.marts, as_of),
                    # the CSM's accounts stuck in onboarding, by the configured rule
                    onboarding_digest_rows(writer, scored.marts, as_of, value_rule(get_settings())),
                    stakeholder_digest_rows(writer, scored.marts, as_of),  # champion left, …
                ],
                how="vertical_relaxed",
            )
            folder = data_dir / "digests" / as_of.isoformat()
            covering = active_covers(stores.app, as_of)  # owners on leave: to who covers
            week = as_of - dt.timedelta(days=LAST_WEEK_DAYS)  # what changed since, on movers
            kept, stories = story_rows(
                stores, scored.marts["account_id"].to_list(), week, as_of, scored.marts
            )
            built = build_digests(
                scored.marts,
                owners,
                as_of,
                chairs,
                scored.verdict,
                covering,
                stories,
                None if kept else f"Not available: no scores were kept on or before {week}.",
            )
            problems += control_character_notes(scored.marts, owners)
            written = write_digest_files(built, folder, problems)
            work = write_work_files(
                stores.app,
                scored.marts,
                owners,
                stored_account_keys(writer),
                account_domains(writer),
                as_of,
                folder,
                data_dir,
                clock.now(),
                problems,
                covering,
            )
            timings["digests"] = time.perf_counter() - started
    return tasks_created, written, built, work


def refresh(
    stores: Stores,
    as_of: dt.date,
    data_dir: Path,
    *,
    scorecard: Scorecard | None = None,
    backfill_weeks: int = 0,
    digests: bool = True,
    progress: Progress | None = None,
    delivery: DeliverySettings | None = None,
    calibrate: bool = False,
    currency: str | None = None,
    fx_rates: Path | None = None,
) -> RefreshResult:
    """Score every live account as of ``as_of`` and publish the scores and the day's snapshot.

    A rerun on the same day replaces that day's snapshot. ``backfill_weeks`` also writes
    point-in-time snapshots for each of the N weeks before (same code, data before each date).
    The scores are published as a new generation, so the app keeps serving the old ones while
    this runs. When the source data changes while scoring (an import or an erasure published
    meanwhile), nothing computed from the old data is published: the refresh scores again,
    up to ``REFRESH_ATTEMPTS`` times, then stops with ``RefreshError``.

    Money is in the data's currency: ``currency`` (the reporting currency,
    ``TANDEM_CURRENCY``) and ``fx_rates`` (``TANDEM_FX_RATES``) default to the settings.
    """
    report = progress or (lambda fraction, message: None)
    card = scorecard or active_scorecard(stores.app)
    settings = get_settings()
    money = (currency or settings.currency, fx_rates or settings.fx_rates)
    for attempt in range(1, REFRESH_ATTEMPTS + 1):
        timings: dict[str, float] = {}
        problems: list[str] = []
        scored = _score(stores, as_of, card, backfill_weeks, report, timings, money)
        try:
            tasks_created, written, built, work = _publish(
                stores,
                scored,
                as_of,
                card,
                data_dir,
                digests or delivery is not None,
                report,
                timings,
                problems,
            )
        except StaleDataError:
            report(0.1, f"The data changed while scoring (attempt {attempt}): scoring again")
            continue
        offered = offer_calibrated(stores, card, as_of) if calibrate else None
        delivered = None
        if delivery is not None:  # after the write lock: a slow mail server holds up nobody
            started = time.perf_counter()
            report(0.95, f"Delivering {len(built)} digests")
            with in_currency(scored.money.shown):  # the messages in the data's currency
                delivered = deliver_digests(
                    stores.app, built, owner_rows(stores.sources), delivery, clock.now
                )
            timings["delivery"] = time.perf_counter() - started
        report(1.0, "Scores up to date")
        return RefreshResult(
            as_of=as_of,
            accounts=scored.accounts,
            snapshots_written=scored.snapshot.height,
            history_rescored=scored.rescored_days,
            tasks_created=tasks_created,
            digests=written,
            work_files=work,
            seconds={k: round(v, 3) for k, v in timings.items()},
            delivery=delivered,
            calibrated=offered,
            problems=problems,
        )
    raise RefreshError(
        f"the source data changed while scoring, {REFRESH_ATTEMPTS} times in a row; nothing "
        "was published and the previous scores keep serving. Run the refresh again."
    )
