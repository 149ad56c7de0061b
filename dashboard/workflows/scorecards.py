"""Where scorecards come from: the shipped default (``Scorecard.default()``, written out as
``scoring/scorecards/default.toml``), files, and saved ones in the app store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl

from dashboard.store import AppStore, audit_log, scorecard_rows
from dashboard.store.scorecard_rows import Scorecard, stored_scorecard
from dashboard.workflows.stale import ChangedSince, when

DEFAULTS_DIR = Path(__file__).resolve().parents[2] / "scoring" / "scorecards"


def load_scorecard_file(path: Path) -> Scorecard:
    """Read and validate a scorecard TOML file (the message names the file and the field)."""
    try:
        return Scorecard.from_toml(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def default_scorecard() -> Scorecard:
    """The shipped default scorecard: one source, ``scoring/scorecard.py`` (its TOML file,
    ``DEFAULTS_DIR / "default.toml"``, is derived from it and kept equal by a test)."""
    return Scorecard.default()


def active_scorecard(app: AppStore) -> Scorecard:
    """The scorecard marked active in the app store, else the shipped default."""
    body = scorecard_rows.active_body(app)
    return stored_scorecard(body) if body else default_scorecard()


def saved_scorecards(app: AppStore) -> pl.DataFrame:
    """Every saved scorecard (name, description, active, who and when), the shipped default
    included even before it is saved."""
    saved = scorecard_rows.scorecard_rows(app)
    if "default" not in saved["name"].to_list():
        card = default_scorecard()
        shipped = pl.DataFrame(
            {
                "name": ["default"],
                "description": [card.description],
                "active": [not saved["active"].any()],
                "created_by": ["Tandem"],
                "created_at": [None],
                "body": [card.model_dump_json()],
            },
            schema=saved.schema,
        )
        saved = pl.concat([shipped, saved])
    return saved


def load_saved(app: AppStore, name: str) -> Scorecard:
    rows = saved_scorecards(app).filter(pl.col("name") == name)
    if rows.is_empty():
        raise ValueError(f"there is no scorecard named {name!r}")
    return stored_scorecard(rows["body"][0])


def save_scorecard(app: AppStore, card: Scorecard, actor: str, now: dt.datetime) -> None:
    """Save a named scorecard (a new name; saved scorecards are never overwritten, so the
    audit log's history stays true)."""
    saved = saved_scorecards(app).filter(pl.col("name") == card.name)
    if saved.height:  # saved meanwhile in another tab, too: say by whom, when
        row = saved.row(0, named=True)
        at = f" at {when(row['created_at'])}" if row["created_at"] else ""
        raise ValueError(
            f"a scorecard named {card.name!r} exists (saved by {row['created_by'] or 'someone'}"
            f"{at}): nothing was saved; choose another name"
        )
    with app.transaction() as con:
        scorecard_rows.insert_scorecard(
            con, card.name, card.description, card.model_dump_json(), actor, now
        )
        audit_log.log_in(
            con, now, actor, "save scorecard", card.name, json.dumps({"weights": card.weights})
        )


def scorecard_diff(before: Scorecard, after: Scorecard) -> dict[str, list[Any]]:
    """Every setting that differs, as {"weights.adoption": [old, new], …}."""

    def flat(card: Scorecard) -> dict[str, Any]:
        data = card.model_dump(exclude={"name", "description"})
        return {f"{group}.{k}": v for group, values in data.items() for k, v in values.items()}

    old, new = flat(before), flat(after)
    return {
        k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
    }


class ScorecardChanged(ChangedSince):
    """Another scorecard was activated since the form was shown; nothing was recorded."""


def _version(active: str | None, count: int) -> str:
    return f"{active or 'default'}#{count}"


def activation_version(app: AppStore) -> str:
    """The version of the scorecard activations a form shows: the active scorecard and how
    many activations came before (an activation names it, and is refused if it moved on)."""
    return _version(*scorecard_rows.activation_count(app))


def activate_scorecard(
    app: AppStore, name: str, actor: str, now: dt.datetime, *, seen_version: str
) -> dict:
    """Make ``name`` the active scorecard (reverting is activating an earlier one); the audit
    log records who, when and the diff against the scorecard it replaces. Refused, recording
    nothing, when the activations are no longer at ``seen_version`` (``activation_version``
    when the form was shown): the message says who activated which scorecard, and when."""
    card = load_saved(app, name)
    previous = active_scorecard(app)
    diff = scorecard_diff(previous, card)
    with app.transaction() as con:
        active, count, latest = scorecard_rows.activation_state(con)
        if _version(active, count) != seen_version:
            what = (
                f"{latest.actor or 'someone'} activated {latest.name!r} at {when(latest.logged_at)}"
                if latest
                else f"the active scorecard is now {active or 'default'!r}"
            )
            raise ScorecardChanged(
                f"the active scorecard changed since you saw it: {what}, so {active or 'default'!r} "
                f"is active now. Nothing was recorded: look at the band moves again and choose."
            )
        scorecard_rows.insert_scorecard(
            con, card.name, card.description, card.model_dump_json(), "Tandem", None
        )
        scorecard_rows.mark_active(con, name)
        audit_log.log_in(
            con,
            now,
            actor,
            "activate scorecard",
            name,
            json.dumps({"replaces": previous.name, "changes": diff}),
        )
    return diff


def _readable(detail: str | None) -> str | None:
    changes = json.loads(detail).get("changes") if detail else None
    if not changes:
        return detail
    return ", ".join(f"{key}: {old} → {new}" for key, (old, new) in changes.items())


def scorecard_audit(app: AppStore) -> pl.DataFrame:
    """Who saved or activated which scorecard, when; ``changes`` says the diff in words."""
    audit = audit_log.audit_rows(app, "% scorecard")
    return audit.with_columns(
        changes=pl.Series([_readable(d) for d in audit["detail"]], dtype=pl.String)
    )
