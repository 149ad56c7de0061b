"""Where scorecards come from: the defaults shipped as TOML, and saved ones in the app store."""

from __future__ import annotations

from pathlib import Path

from dashboard.store import AppStore
from scoring.scorecard import Scorecard

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "scoring" / "scorecards"


def load_scorecard_file(path: Path) -> Scorecard:
    """Read and validate a scorecard TOML file (the message names the file and the field)."""
    try:
        return Scorecard.from_toml(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def default_scorecard() -> Scorecard:
    return load_scorecard_file(DEFAULTS_DIR / "default.toml")


def active_scorecard(app: AppStore) -> Scorecard:
    """The scorecard marked active in the app store, else the shipped default."""
    rows = app.query("SELECT body FROM scorecards WHERE active LIMIT 1")
    if rows.height:
        return Scorecard.model_validate_json(rows["body"][0])
    return default_scorecard()
