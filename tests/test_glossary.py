"""The glossary (scoring/glossary.py): each business concept once, on hand-made rows; and no
string of the app writes out a number or a word the glossary holds."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import polars as pl

from scoring import glossary as g

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "scoring" / "glossary.py"


def test_renewal_window_buckets_given_days_to_renewal():
    given = pl.DataFrame({"days_to_renewal": [None, -1, 0, 30, 31, 60, 61, 90, 91, 180, 181]})
    expect = [None, "overdue", "0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "91-180"]
    expect += ["91-180", "> 180"]
    assert given.select(g.renewal_window().alias("w"))["w"].to_list() == expect
    assert g.RENEWAL_WINDOWS == ("overdue", "0-30", "31-60", "61-90", "91-180", "> 180")


def test_renewing_within_the_window_given_days_to_renewal():
    given = pl.DataFrame({"days_to_renewal": [None, -1, 0, 90, 91]})
    assert given.select(g.renewing_within().alias("r"))["r"].to_list() == [
        False,
        False,
        True,
        True,
        False,
    ]


def test_bands_given_health_at_the_thresholds():
    given = pl.DataFrame({"health": [None, 0.0, 39.9, 40.0, 69.9, 70.0, 100.0]})
    got = given.select(g.band_of(g.RED_BELOW, g.GREEN_FROM).alias("b"))["b"].to_list()
    assert got == ["no data", "red", "red", "yellow", "yellow", "green", "green"]
    assert g.band_rule() == "red below 40, yellow from 40 to below 70, green from 70"


def test_at_risk_given_band_fall_and_renewal():
    given = pl.DataFrame(
        {
            "days_to_renewal": [10, 10, 10, 120, None],
            "band": ["red", "green", "yellow", "red", "red"],
            "health_change_30d": [0.0, -12.0, -3.0, -20.0, -20.0],
        }
    )
    got = given.select(g.risk_before_deadline(10.0).alias("r"))["r"].to_list()
    assert got == [True, True, False, False, False]


def test_the_words_say_the_constants():
    assert g.AT_RISK_REASON == "at risk (renewal within 90 days, red or falling)"
    assert g.AT_RISK_TITLE == "At risk: renewing within 90 days while red or falling"
    assert g.CHURN_RISK_LABEL == "Churn risk, 90 days"
    assert g.days(1) == "1 day"


# -- no string of the app writes out what the glossary holds -------------------------------------
WINDOW_DAYS = re.compile(r"\b90[- ]?d(ays?\b|\b)")  # "90 days", "90-day", "90 d"
BAND_WORDS = re.compile(r"\b(red|green|yellow|band|bands|threshold)\b", re.I)
BAND_NUMBERS = re.compile(r"\b(40|70)\b")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _app_strings() -> list[tuple[str, int, str, bool]]:
    """Every string constant of the app's code (docstrings aside): file, line, text, and
    whether it is a ``help=`` argument."""
    found = []
    for folder in ("dashboard", "scoring", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == GLOSSARY:
                continue
            tree = ast.parse(path.read_text())
            docs = _docstrings(tree)
            helps = {
                id(kw.value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                for kw in node.keywords
                if kw.arg == "help" and isinstance(kw.value, ast.Constant)
            }
            rel = path.relative_to(ROOT).as_posix()
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docs
                ):
                    found.append((rel, node.lineno, node.value, id(node) in helps))
    return found


def test_no_app_string_writes_out_the_renewal_or_churn_window():
    found = [f"{f}:{n}: {t!r}" for f, n, t, _ in _app_strings() if WINDOW_DAYS.search(t)]
    assert not found, "say the window with the glossary's constants:\n" + "\n".join(found)


def test_no_app_string_writes_out_a_band_threshold():
    found = [
        f"{f}:{n}: {t!r}"
        for f, n, t, is_help in _app_strings()
        if BAND_NUMBERS.search(t) and (is_help or BAND_WORDS.search(t))
    ]
    assert not found, "say the thresholds with RED_BELOW / GREEN_FROM:\n" + "\n".join(found)


def test_no_data_is_written_once():
    found = [f"{f}:{n}" for f, n, t, _ in _app_strings() if t.strip().lower() == g.NO_DATA]
    assert not found, "use NO_DATA:\n" + "\n".join(found)


# -- the default scorecard has one source --------------------------------------------------------
def test_the_default_scorecard_file_is_derived_from_the_model():
    """``scoring/scorecard.py`` is the one source; the TOML file is its rendering, read back
    to the same scorecard (six parameters used to live only in Python)."""
    from dashboard.workflows.scorecards import DEFAULTS_DIR, default_scorecard, load_scorecard_file
    from scoring.scorecard import Scorecard, default_toml

    path = DEFAULTS_DIR / "default.toml"
    assert path.read_text(encoding="utf-8") == default_toml(), (
        "default.toml is stale: uv run python -m scoring.scorecard > scoring/scorecards/default.toml"
    )
    from_file = load_scorecard_file(path)
    assert from_file == Scorecard.default() == default_scorecard()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    for section in ("thresholds", "params", "expansion"):  # every parameter written out
        assert set(raw[section]) == set(type(getattr(from_file, section)).model_fields), section
    assert (from_file.thresholds.red, from_file.thresholds.green) == (g.RED_BELOW, g.GREEN_FROM)


def test_a_scorecard_renders_to_toml_that_reads_back_to_it():
    from scoring.scorecard import Scorecard, default_toml

    card = Scorecard.default().model_copy(
        update={
            "name": 'my "own"',
            "thresholds": Scorecard.default().thresholds.model_copy(update={"red": 35.5}),
        }
    )
    assert Scorecard.from_toml(default_toml(card)) == card
