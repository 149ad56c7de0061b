"""What a file is, from evidence: its header *and its values*, with a confidence, the
runner-up, and a refusal when unsure.

Each column is profiled on a sample (``profile.py``); each kind of file — Tandem's canonical
tables and ``not_customer`` — adds up what speaks for it and against it (``evidence.py``).
A file is recognised only when its best kind scores at least ``MIN_SCORE`` and beats the
runner-up by ``MIN_MARGIN``; otherwise it *needs a table* and nothing of the import is
written. A vendor layout (``presets/``) whose header fits is strong evidence for its table,
unless the values speak against that table (a contacts export has a users export's columns);
a layout of other systems' ids or of a CRM's contact object is never overruled.
A table recognised, its columns are mapped by name and checked against the values
(``evidence_mapping``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from dashboard.ingest.evidence import ACCOUNT_WORDS, KINDS, NOT_CUSTOMER, Columns
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.profile import SAMPLE_ROWS, ColumnProfile, key_of, profile

# words in a file's name that say what it is (compared without a plural s)
FILE_WORDS: dict[str, set[str]] = {
    "accounts": {"account", "compan", "companie", "organization", "organisation", "customer"},
    "subscriptions": {"subscription"},
    "invoices": {"invoice"},
    "usage_events": {"event", "usage", "track"},
    "usage_daily": {"daily", "rollup", "usage"},
    "tickets": {"ticket", "case", "conversation", "incident"},
    "surveys": {"survey", "nps", "response", "csat"},
    "activities": {"activity", "activitie", "task", "call", "meeting"},
    "outcomes": {"churn", "renewal", "outcome"},
    "owners": {"owner", "agent", "teammate", "staff"},
    "contacts": {"contact", "stakeholder", "person", "people"},
    NOT_CUSTOMER: {
        "lead",
        "person",
        "people",
        "deal",
        "opportunity",
        "opportunitie",
        "product",
        "price",
        "item",
        "campaign",
        "audience",
        "member",
        "visitor",
        "session",
        "traffic",
        "subscriber",
        "list",
    },
}
MIN_SCORE = 6.0  # the best kind's points needed to decide
MIN_MARGIN = 3.0  # ... and its lead over the runner-up

Verdict = Literal["table", "not_customer", "ask"]


@dataclass(frozen=True)
class Recognition:
    """What a file is. ``table`` is set only when ``verdict`` is ``table``; ``not_customer``
    means it is recognised as data Tandem does not load (people, leads, deals…); ``ask``
    means nobody should guess: a person names the table or skips the file."""

    verdict: Verdict
    table: str | None
    kind: str  # the best kind (a table or not_customer), even when asking
    confidence: float  # 0-1: the best kind's share of the two best scores
    runner_up: str | None
    evidence: tuple[str, ...]
    scores: dict[str, float]
    preset: str | None = None

    def guesses(self) -> list[str]:
        """The two best kinds, best first."""
        ranked = sorted(self.scores, key=lambda k: -self.scores[k])
        return ranked[:2]

    def as_json(self) -> dict[str, object]:
        return {
            "table": self.table,
            "verdict": self.verdict,
            "kind": self.kind,
            "confidence": round(self.confidence, 2),
            "runner_up": self.runner_up,
            "evidence": list(self.evidence),
            "preset": self.preset,
        }


def _metadata(name: str) -> bool:
    """A sync tool's bookkeeping column (``_fivetran_synced``, ``_airbyte_emitted_at``,
    ``_sdc_batched_at``): says nothing of what the file is."""
    return key_of(name).startswith(("fivetran_", "airbyte_", "sdc_", "dlt_", "portable_"))


def _confidence(best: float, second: float) -> float:
    if best <= 0:
        return 0.0
    return max(0.0, min(1.0, best / (best + max(second, 0.0))))


def recognise_frame(
    frame: pl.DataFrame, file_name: str = "", preset: tuple[str, str] | None = None
) -> Recognition:
    """What ``frame`` is, from its header and values. ``preset``: (name, table) of a vendor
    layout whose header fits, weighed as strong evidence for its table."""
    data = pl.DataFrame([s for s in frame.get_columns() if not _metadata(s.name)])
    cols = Columns(profile(data), frame.height, data.head(SAMPLE_ROWS))
    found = {e.kind: e for e in (kind(cols) for kind in KINDS)}
    others = max((e.score for k, e in found.items() if preset and k != preset[1]), default=0)
    if (
        preset is not None
        # keys only help rows find their account; a CRM's contact object names each
        # person's account by its id: neither creates accounts, owners or usage
        and preset[1] not in ("account_keys", "contacts")
        and found[preset[1]].score < 0
        and others >= MIN_SCORE
    ):
        # the header fits a vendor's layout but the values speak against its table (a
        # contacts export has a users export's first name, last name and e-mail): the
        # values decide
        found[preset[1]].add(0, f"the header fits {preset[0]}, but the values do not")
        preset = None
    if preset is not None:
        found[preset[1]].add(8, f"the header fits the vendor layout {preset[0]}")
    said = {w.rstrip("s") for w in key_of(Path(file_name).stem).split("_")}
    for kind, evidence in found.items():
        named = FILE_WORDS.get(kind, {kind.rstrip("s").split("_")[0]})
        if said & named:
            evidence.add(2, f"the file's name says {sorted(said & named)[0]}")
    ranked = sorted(found.values(), key=lambda e: -e.score)
    if preset is not None:  # a vendor's own header names: its table, whatever else scores
        ranked.sort(key=lambda e: e.kind != preset[1])
    best, second = ranked[0], ranked[1]
    confidence = _confidence(best.score, second.score)
    decided = preset is not None or (
        best.score >= MIN_SCORE and best.score - second.score >= MIN_MARGIN
    )
    verdict: Verdict
    if not decided:
        verdict = "ask"
    elif best.kind == NOT_CUSTOMER:
        verdict = "not_customer"
    else:
        verdict = "table"
    return Recognition(
        verdict=verdict,
        table=best.kind if verdict == "table" else None,
        kind=best.kind,
        confidence=confidence,
        runner_up=second.kind,
        evidence=tuple(best.reasons),
        scores={e.kind: round(e.score, 1) for e in ranked},
        preset=preset[0] if preset else None,
    )


# ---- columns, by name and by value ------------------------------------------------------

TIME_COLUMNS = {
    "occurred_at",
    "created_at",
    "resolved_at",
    "responded_at",
    "issued_on",
    "due_on",
    "paid_on",
    "start_date",
    "end_date",
    "contract_start",
    "renewal_date",
    "occurred_on",
    "day",
}
NUMBER_COLUMNS = {
    "arr",
    "amount",
    "seats",
    "licensed_seats",
    "quantity",
    "active_users",
    "score",
    "csat",
    "arr_change",
    "events",
}


@dataclass(frozen=True)
class ColumnChoice:
    """One canonical column and the source column read into it, with how sure and why."""

    column: str
    source: str
    confidence: float
    why: str


def _fit(canonical: str, p: ColumnProfile) -> float:
    """How well the values fit the canonical column's type (0-1)."""
    if canonical in TIME_COLUMNS:
        return max(p.dates, p.epochs)
    if canonical in NUMBER_COLUMNS:
        return p.numbers
    return 1.0


def evidence_mapping(mapping: Mapping, frame: pl.DataFrame) -> tuple[Mapping, list[ColumnChoice]]:
    """``mapping`` (from header names) checked against the values, and completed from them:
    an optional column whose values are not of its type is left out (said in ``why``); a
    child table without an account id finds its account by the column naming the customer
    (an id, else a name matched across systems) or by e-mail; a required time column comes
    from the file's dates. Each choice carries a confidence: how the header matched times
    how well the values fit."""
    from dashboard.schema import CHILD_TABLES, required_columns

    cols = Columns(profile(frame), frame.height)
    by_name = {p.name: p for p in cols.all}
    required = set(required_columns(mapping.table))
    chosen: dict[str, str] = {}
    choices: list[ColumnChoice] = []
    for canonical, source in mapping.columns.items():
        p = by_name.get(source)
        if p is None:
            continue
        header = 1.0 if key_of(source) == canonical else 0.8
        fit = _fit(canonical, p) if p.filled else 0.0
        if fit < 0.5 and canonical not in required:
            choices.append(
                ColumnChoice(canonical, source, 0.0, f"left out: {fit:.0%} of its values fit")
            )
            continue
        chosen[canonical] = source
        choices.append(
            ColumnChoice(canonical, source, header * fit, f"header, {fit:.0%} of values fit")
        )
    match = dict(mapping.match)
    combine = dict(mapping.combine)
    if mapping.table == "contacts":
        choices += _contact_columns(cols, chosen, combine)
    taken = set(chosen.values()) | {c for cs in combine.values() for c in cs}
    if mapping.table in CHILD_TABLES and "account_id" not in chosen:
        ref = cols.find(
            lambda p: (
                p.name not in taken
                and p.named(*ACCOUNT_WORDS)
                and p.emails < 0.5
                and not p.named("domain", "email")
            )
        )
        if ref is not None and ref.idlike >= 0.95 and (ref.digits >= 0.9 or ref.uuids >= 0.9):
            chosen["account_id"] = ref.name
            choices.append(
                ColumnChoice("account_id", ref.name, 0.7, "ids of the customer's column")
            )
        elif ref is not None:
            # the customer's name is the key the rows are matched by (no account has it as
            # its id: the name rule finds it)
            chosen["account_id"] = ref.name
            match.setdefault("name", ref.name)
            choices.append(
                ColumnChoice("account_id", ref.name, 0.6, "matched by the customer's name")
            )
        email = cols.find(
            lambda p: (
                p.emails >= 0.8
                and (p.name not in taken or p.name == chosen.get("email"))
                and p.name != chosen.get("account_id")
            )
        )
        if email is not None:
            chosen.setdefault("account_id", email.name)  # the e-mail's domain finds it
            match.setdefault("email", email.name)
            choices.append(ColumnChoice("account_id", email.name, 0.5, "matched by e-mail domain"))
    for canonical in sorted(required & TIME_COLUMNS - set(chosen)):
        when = next((t for t in cols.times() if t.name not in chosen.values()), None)
        if when is not None:
            chosen[canonical] = when.name
            choices.append(
                ColumnChoice(
                    canonical, when.name, 0.6 * max(when.dates, when.epochs), "the file's dates"
                )
            )
    return mapping.model_copy(
        update={"columns": chosen, "match": match, "combine": combine}
    ), choices


def _contact_columns(
    cols: Columns, chosen: dict[str, str], combine: dict[str, list[str]]
) -> list[ColumnChoice]:
    """A contacts file's columns completed from its values (``chosen`` and ``combine`` are
    changed in place): the file's own unique id is the contact's id, never its account (a
    CRM's ``id`` column names the person); the e-mail is the column of one e-mail per person;
    the name a full-name column, else first and last name joined; the title a job title."""
    out: list[ColumnChoice] = []
    own = cols.own_key()
    if own is not None and chosen.get("account_id") == own.name:
        del chosen["account_id"]
        out.append(ColumnChoice("account_id", own.name, 0.0, "left out: one value per person"))
    if own is not None and "contact_id" not in chosen and own.name not in chosen.values():
        chosen["contact_id"] = own.name
        out.append(ColumnChoice("contact_id", own.name, 0.8, "the file's own unique id"))
    taken = set(chosen.values())
    if "email" not in chosen:
        email = cols.people_emails() or cols.find(lambda p: p.emails >= 0.8)
        if email is not None and email.name not in taken:
            chosen["email"] = email.name
            out.append(ColumnChoice("email", email.name, email.emails, "e-mail addresses"))
    if "name" not in chosen and "name" not in combine:
        full = cols.find(
            lambda p: (
                (
                    p.named("full_name", "display_name", "contact_name", "person_name")
                    or p.words in (("name",), ("contact",), ("person",))
                    or (p.named("name") and p.named("mp", "properties", "contact", "person"))
                )
                and p.letters >= 0.9
                and p.emails < 0.2
                and p.name not in taken
            )
        )
        first = cols.find(lambda p: p.named("first_name", "firstname", "given_name"))
        last = cols.find(lambda p: p.named("last_name", "lastname", "family_name", "surname"))
        if full is not None:
            chosen["name"] = full.name
            out.append(ColumnChoice("name", full.name, 0.8, "a person's full name"))
        elif first is not None and last is not None:
            combine["name"] = [first.name, last.name]
            out.append(
                ColumnChoice("name", f"{first.name} + {last.name}", 0.8, "first and last name")
            )
    if "title" not in chosen:
        title = cols.find(
            lambda p: (
                p.named("title", "job_title", "jobtitle", "position")
                and p.letters >= 0.8
                and p.name not in set(chosen.values())
            )
        )
        if title is not None:
            chosen["title"] = title.name
            out.append(ColumnChoice("title", title.name, 0.8, "job titles"))
    return out
