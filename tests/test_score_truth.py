"""Score truth on data Tandem did not make: the shared RavenStack and Maven samples get an
honest verdict (a score that does not predict churn says so; a history with no churn cannot be
checked), from the command line and in the Score lab, without an error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import tandem

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
APP = "../dashboard/app.py"


def _needs(name: str) -> None:
    if not (SAMPLES / name).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{SAMPLES / name} is missing: CI always has ../shared/samples")
        pytest.skip(f"needs the shared samples beside the checkout ({SAMPLES / name})")


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, Path]:
    """The RavenStack and Maven bundles, each imported (and scored) into a folder of its own."""
    _needs("ravenstack")
    _needs("maven-crm")
    out = {}
    for name in ("ravenstack", "maven"):
        folder = tmp_path_factory.mktemp(name)
        run = tandem(folder, "import", "--bundle", f"data/samples/{name}.toml")
        assert run.returncode == 0, run.stderr
        out[name] = folder
    return out


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
