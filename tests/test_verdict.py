"""One verdict everywhere: the active scorecard's verdict on the organisation's own history is
computed once, by the refresh, kept beside the scores, and every page and digest that shows
health-derived bands or money says in one line when the score does not predict churn there
(RavenStack ranks its churn backwards); the demo, whose score predicts its churn, shows none.
The Score lab judges a candidate by the interval of the AUC difference, not the point."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.jobs.messages import digest_message, slack_payload, teams_payload
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.marts import churn_model_info
from dashboard.text import verdict_line
from dashboard.views.lab import (
    BandMoves,
    backtest_snapshots,
    band_moves,
    judgement_sentence,
)
from dashboard.views.sync import agenda_html, agenda_markdown, build_agenda, pair_choices
from dashboard.workflows.scorecards import active_scorecard
from scoring.backtest import judge_candidate
from scoring.lab_analysis import compare_on_snapshots
from tests.conftest import TODAY

APP = "../dashboard/app.py"
BACKWARDS = "ranks churn backwards on your own history"
ANY_VERDICT = "on your own history"  # every verdict line says it, whatever the verdict


# -- the sentence, given and expected ------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (("predictive", "default", 0.71, (0.66, 0.75)), None),
        ((None, "default"), None),  # never checked (scores from before the check): no line
        (
            ("inverse", "default", 0.4495, (0.3975, 0.4961)),
            "Health from scorecard 'default' (AUC 0.450, 95 % interval 0.398–0.496) ranks churn "
            "backwards on your own history (red accounts churned less than green ones): read its bands "
            "and the ARR counted from them as unchecked, not as a forecast; no churn probability is "
            "shown. See the Score lab.",
        ),
        (
            ("no_evidence", "q1", 0.52, (0.47, 0.57), "[the Score lab](lab)"),
            "Health from scorecard 'q1' (AUC 0.520, 95 % interval 0.470–0.570) shows no evidence of "
            "predicting churn on your own history (a coin toss): read its bands and the ARR counted "
            "from them as unchecked, not as a forecast; no churn probability is shown. See "
            "[the Score lab](lab).",
        ),
        (
            ("no_outcomes", "default", None, (float("nan"), float("nan"))),
            "Health from scorecard 'default' cannot be checked on your own history: it holds no "
            "churn, or no account that stayed, after its snapshots: read its bands and the ARR "
            "counted from them as unchecked, not as a forecast; no churn probability is shown. See "
            "the Score lab.",
        ),
    ],
)
def test_the_verdict_sentence(given, expected):
    assert verdict_line(*given) == expected


# -- the candidate, judged by the interval of the difference -------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ((0.600, 0.604, (-0.010, 0.018)), "no_difference"),  # +0.004 is not "better"
        ((0.600, 0.640, (0.012, 0.070)), "better"),
        ((0.600, 0.560, (-0.070, -0.010)), "worse"),
        ((0.600, 0.598, (-0.030, 0.026)), "no_difference"),
        ((None, None, (float("nan"), float("nan"))), "no_outcomes"),
    ],
)
def test_a_candidate_is_judged_by_the_interval_of_the_difference(given, expected):
    assert judge_candidate(*given) == expected


def test_the_judgement_sits_beside_the_band_moves():
    migration = pl.DataFrame(
        {
            "band_before": ["green", "green", "yellow", "yellow", "red", "red"],
            "band_after": ["green", "red", "red", "green", "red", "yellow"],
            "accounts": [500, 13, 60, 12, 40, 5],
        }
    )
    moves = band_moves(migration)
    assert moves == BandMoves(to_red=73, out_of_red=5, to_green=12, out_of_green=13)
    said = judgement_sentence(0.600, 0.604, (-0.010, 0.018), moves)
    assert "**+0.004**" in said and "interval -0.010 to +0.018" in said
    assert "not better and not worse" in said and "within noise" in said
    assert "predicts churn better" not in said
    assert "73 accounts turn red and 5 leave red; 12 turn green and 13 leave green" in said
    assert "predicts churn better" in judgement_sentence(0.6, 0.64, (0.012, 0.07), moves)
    plain = judgement_sentence(0.600, 0.604, (-0.010, 0.018), moves, markdown=False)
    assert plain == said.replace("**", "") and "*" not in plain  # the command line's words


# -- RavenStack: the score ranks its churn backwards ---------------------------------------------
@pytest.fixture(scope="module")
def ravenstack(sample_bundles) -> Path:
    folder, done = sample_bundles["ravenstack"]
    assert done.returncode == 0, done.stderr
    return folder


def test_the_refresh_keeps_the_lab_s_verdict_beside_the_scores(ravenstack):
    stores = Stores.open(ravenstack)
    kept = churn_model_info(stores.sources)
    assert kept.verdict == "inverse" and kept.scorecard == active_scorecard(stores.app).name
    # the same verdict, AUC and interval as the Score lab's backtest of the active scorecard
    card = active_scorecard(stores.app)
    lab = compare_on_snapshots(backtest_snapshots(stores.sources, 90), card, card)
    assert lab.active_verdict == kept.verdict
    assert lab.active.auc == pytest.approx(kept.auc)
    assert lab.intervals.active == pytest.approx((kept.auc_low, kept.auc_high))
    # no churn probability from a score that ranks churn backwards, and the reason is kept
    assert stores.sources.scalar("SELECT count(churn_probability) FROM account_scores") == 0
    assert "backwards" in kept.note


def _warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if ANY_VERDICT in w.value]


def test_ravenstack_portfolio_and_renewals_carry_the_verdict_line(ravenstack, app_data_dir):
    app_data_dir(ravenstack)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    lines = _warnings(at)
    assert len(lines) == 1 and BACKWARDS in lines[0], lines
    assert "AUC 0.450" in lines[0] and "[the Score lab](lab)" in lines[0]
    cards = {m.label: m for m in at.metric}
    expected = cards["Expected ARR lost to churn (90 d)"]
    assert expected.value == "—" and "backwards" in expected.help  # says why, shows nothing
    assert expected.delta == "the score ranks churn backwards"
    at.switch_page("../pages/renewals.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert _warnings(at) == lines  # the same line, word for word
    # its band probabilities are all stated defaults (too few renewals of its own), which
    # assume red renews less than green: no expected renewal ARR rests on them
    forecast = next(m for m in at.metric if m.label == "Expected renewal ARR (12 months)")
    assert forecast.value == "—" and "defaults" in forecast.help
    assert any("are not used" in c.value for c in at.caption)
    at.switch_page("../pages/expansion.py").run()
    assert _warnings(at) == lines
    store = Stores.open(ravenstack).sources
    at.query_params["account"] = store.scalar("SELECT min(account_id) FROM account_scores")
    at.switch_page("../pages/account.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert _warnings(at) == lines
    churn = next(m for m in at.metric if "churn" in m.label.lower())
    assert churn.value == "—" and "backwards" in churn.help  # no probability, and why


def test_ravenstack_digests_carry_the_verdict_line(ravenstack, tmp_path):
    """A leader added to a copy of the RavenStack store: the refresh's digest (file, mail,
    Slack, Teams) says the score ranks churn backwards, with the lab's address when known."""
    folder = tmp_path / "ravenstack"
    shutil.copytree(ravenstack, folder, ignore=shutil.ignore_patterns("*.lock", "digests"))
    stores = Stores.open(folder)
    with stores.sources.writer() as writer:
        writer.append("owners", pl.DataFrame({"owner": ["Lee Leader"], "role": ["leader"]}))
    as_of = stores.sources.scalar("SELECT max(as_of) FROM account_scores")
    done = refresh(stores, as_of, folder)
    leader = [p for p in done.digests if p.name.endswith("-leader.md")]
    assert leader, done.digests
    text = leader[0].read_text()
    assert BACKWARDS in text and "See the Score lab." in text
    assert text.index(BACKWARDS) < text.index("- **")  # above the accounts, not below
    digest = next(d for d in _built_digests(stores, as_of) if d.role == "leader")
    message = digest_message(digest, "https://tandem.example.org")
    for shown in (
        message.text,
        message.html,
        str(slack_payload(message)),
        str(teams_payload(message)),
    ):
        assert BACKWARDS in shown and "https://tandem.example.org/lab" in shown
    assert BACKWARDS in digest_message(digest).text


def _built_digests(stores: Stores, as_of: dt.date):
    """The digests as the refresh builds them (the verdict line from the kept verdict)."""
    from dashboard.jobs.digests import build_digests
    from dashboard.store.filters import AccountFilter
    from dashboard.store.marts import owner_rows, scored_accounts

    info = churn_model_info(stores.sources)
    line = verdict_line(info.verdict, info.scorecard or "", info.auc, (info.auc_low, info.auc_high))
    scored = scored_accounts(stores.sources, AccountFilter())
    return build_digests(scored, owner_rows(stores.sources), as_of, verdict=line)


# -- the demo: its score predicts its churn, so no line anywhere ---------------------------------
def test_the_demo_shows_no_verdict_line(demo_stores: Stores, demo_dir: Path):
    kept = churn_model_info(demo_stores.sources)
    assert kept.verdict == "predictive" and kept.note is None
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not _warnings(at)
    cards = {m.label: m for m in at.metric}
    assert cards["Expected ARR lost to churn (90 d)"].value.startswith("$")
    for name in ("renewals", "expansion", "sync"):
        at.switch_page(f"../pages/{name}.py").run()
        assert not at.exception, [e.message for e in at.exception]
        assert not _warnings(at), name
    digests = list((demo_dir / "digests" / TODAY.isoformat()).glob("*.md"))
    assert digests and not [p for p in digests if ANY_VERDICT in p.read_text()]
    pair = pair_choices(demo_stores.sources, None).keys[0]
    agenda = build_agenda(demo_stores, pair, TODAY)
    assert agenda.verdict is None
    assert ANY_VERDICT not in agenda_markdown(agenda) + agenda_html(agenda)


def test_ravenstack_sync_exports_carry_the_verdict_line(ravenstack):
    """RavenStack has no owners, so no pair; the agenda's exports are checked on a pair the
    store does not hold (its accounts are none), which still carries the line."""
    stores = Stores.open(ravenstack)
    agenda = build_agenda(stores, "Nobody", TODAY)
    assert agenda.verdict and BACKWARDS in agenda.verdict
    assert BACKWARDS in agenda_markdown(agenda) and BACKWARDS in agenda_html(agenda)


def test_the_lab_judges_a_candidate_beside_its_band_moves(demo_stores: Stores):
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("../pages/lab.py").run()
    at.slider(key="lab_w_engagement").set_value(60.0).run()
    at.button(key="lab_run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    said = next(m.value for m in at.markdown if "AUC difference" in m.value)
    result = at.session_state["lab_backtest"][1]
    lo, hi = result.intervals.difference
    judged = judge_candidate(result.active.auc, result.candidate.auc, (lo, hi))
    words = {
        "better": "predicts churn better",
        "worse": "predicts churn worse",
        "no_difference": "not better and not worse",
    }[judged]
    assert words in said
    assert "accounts turn red and" in said and "turn green and" in said  # the band moves beside it
