"""Score truth on data Tandem did not make: the shared RavenStack and Maven samples get an
honest verdict (a score that does not predict churn says so; a history with no churn cannot be
checked), from the command line and in the Score lab, without an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import tandem

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


@pytest.mark.parametrize(("sample", "words"), [
    ("ravenstack", ("no evidence of predicting churn", "backwards")),
    ("maven", ("cannot be checked",)),
])  # fmt: skip
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
