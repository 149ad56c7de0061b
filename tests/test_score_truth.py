"""Score truth on data Tandem did not make: the shared RavenStack and Maven samples get an
honest verdict (a score that does not predict churn says so; a history with no churn cannot be
checked), from the command line and in the Score lab, without an error; and their pages read
them as of their own end (RavenStack's data stops at 2024-12-31), not as of today."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from tests.conftest import TODAY, tandem

APP = "../dashboard/app.py"


@pytest.fixture(scope="module")
def samples(sample_bundles) -> dict[str, Path]:
    """The RavenStack and Maven bundles, imported and scored (shared with test_ingest)."""
    for name, (_, done) in sample_bundles.items():
        assert done.returncode == 0, (name, done.stderr)
    return {name: folder for name, (folder, _) in sample_bundles.items()}


def _backtest(folder: Path, *args: str) -> dict:
    run = tandem(folder, "backtest", "--json", *args)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_ravenstack_says_the_score_does_not_predict_its_churn(samples):
    out = _backtest(samples["ravenstack"])
    assert out["verdict"] in {"no_evidence", "inverse"}
    lo, hi = out["auc_ci"]
    assert lo < 0.5 or hi < 0.5
    assert out["n_churn_events"] > 0
    # which signals carry weight here: every component alone, with its coverage
    assert [c["component"] for c in out["components"]][:3] == ["adoption", "usage_trend", "breadth"]
    assert all(0 <= c["coverage"] <= 1 for c in out["components"])
    text = tandem(samples["ravenstack"], "backtest")
    assert text.returncode == 0
    assert "no evidence of predicting churn" in text.stdout or "backwards" in text.stdout
    calibrated = _backtest(samples["ravenstack"], "--scorecard", "calibrated")
    assert calibrated["verdict"] != "predictive" and calibrated["message"]
    assert calibrated.get("offered") is not True


def test_maven_has_no_outcomes_and_every_command_runs(samples):
    for args in ((), ("--horizon", "180"), ("--scorecard", "calibrated")):
        out = _backtest(samples["maven"], *args)
        assert out["verdict"] == "no_outcomes" and out["auc"] is None, args
    text = tandem(samples["maven"], "backtest", "--horizon", "90")
    assert text.returncode == 0 and "cannot be checked" in text.stdout


@pytest.mark.parametrize(
    ("sample", "words"),
    [
        ("ravenstack", ("no evidence of predicting churn", "backwards")),
        ("maven", ("cannot be checked",)),
    ],
)
def test_the_score_lab_says_the_verdict_and_refuses_a_calibration(
    samples, app_data_dir, sample, words
):
    app_data_dir(samples[sample])
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("../pages/lab.py").run()
    at.button(key="lab_run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    warned = " ".join(w.value for w in at.warning)
    assert any(w in warned for w in words), warned
    at.button(key="lab_suggest").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not [b for b in at.button if b.key == "lab_load_suggestion"]  # nothing to load
    assert any("No calibrated scorecard" in w.value or "Not offered" in w.value for w in at.warning)


def test_an_old_export_is_read_as_of_its_own_end(samples, app_data_dir):
    """RavenStack ends two years before today, with one snapshot, churn events without ARR
    amounts, usage without user ids and accounts without a renewal date in the CRM."""
    store = Stores.open(app_data_dir(samples["ravenstack"])).sources
    as_of = store.scalar("SELECT max(as_of) FROM account_scores")
    assert as_of < TODAY - dt.timedelta(days=365)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    cards = {m.label: m for m in at.metric}
    # one snapshot: no week-over-week change where there is no week before (it compared the
    # snapshot with itself, "no change w/w", because a week before today was after it)
    for label in ("Accounts", "ARR", "ARR red", "Median health"):
        assert cards[label].delta == "", (label, cards[label].delta)
    assert "One snapshot so far" in " ".join(c.value for c in at.caption)
    # its churns carry no ARR amount, and still count; the churn flags its churn events do
    # not date make GRR not computable, and it says why (it read 100 % when they fell out)
    undated = store.scalar(
        "SELECT count(*) FROM accounts a WHERE status = 'churned' AND NOT EXISTS (SELECT 1"
        " FROM outcomes o WHERE o.account_id = a.account_id AND o.event = 'churned')"
    )
    grr = cards["GRR (12 mo)"]
    if undated:
        assert grr.value == "—", grr.value
        assert re.fullmatch(
            r"not computable: [\d,]+ churned accounts? carr(y|ies) no date", grr.delta
        )
    else:
        assert float(grr.value.rstrip("%")) < 100.0

    account = store.query(
        "SELECT s.account_id, s.renewal_date FROM account_scores s JOIN accounts a USING (account_id)"
        " WHERE a.renewal_date IS NULL AND s.account_id IN (SELECT account_id FROM usage_events)"
        " ORDER BY s.account_id LIMIT 1"
    ).row(0, named=True)
    at.query_params["account"] = account["account_id"]
    at.switch_page("../pages/account.py").run()
    assert not at.exception, [e.message for e in at.exception]
    renewal = next(m for m in at.metric if m.label == "Renewal")
    assert renewal.value == str(account["renewal_date"])  # the date the scores count with
    assert "Estimated" in renewal.help and "no renewal date" in renewal.help
    usage = json.loads(at.get("plotly_chart")[2].proto.spec)
    weeks = [dt.date.fromisoformat(x[:10]) for trace in usage["data"] for x in trace["x"]]
    assert max(weeks) <= as_of < max(weeks) + dt.timedelta(days=7)  # up to its end, not today
    assert usage["layout"]["yaxis"]["title"]["text"] == "events"  # no user ids: events a week
    assert any(y > 0 for trace in usage["data"] for y in trace["y"])
    # its ready accounts grow by nothing the potential model can see (one seat, no users):
    # a sentence, not an empty chart
    at.switch_page("../pages/expansion.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert next(m.value for m in at.metric if m.label == "Estimated potential") == "$0"
    assert "No ready account grows" in " ".join(c.value for c in at.caption)
    assert not at.get("plotly_chart")


def test_an_export_without_arr_reads_as_unknown_money_not_zero(samples, app_data_dir):
    """Maven's CRM export has no ARR: the money cards say so instead of "$0", and no ARR
    treemap of nothing is drawn."""
    store = Stores.open(app_data_dir(samples["maven"])).sources
    assert store.scalar("SELECT count(arr) FROM account_scores") == 0
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    cards = {m.label: m for m in at.metric}
    for label in ("ARR", "ARR green", "ARR red", "ARR at risk"):
        assert cards[label].value == "—", (label, cards[label].value)
    assert cards["ARR"].delta == "no ARR in the data"
    assert cards["Accounts"].value == f"{store.scalar('SELECT count(*) FROM account_scores'):,}"
    assert "No ARR to draw" in " ".join(c.value for c in at.caption)
    assert all('"treemap"' not in chart.proto.spec for chart in at.get("plotly_chart"))
