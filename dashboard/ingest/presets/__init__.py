"""Vendor export layouts, recognised from a file's header: each layout is a TOML file in this
folder, data rather than code (the format is in ``README.md`` beside them).

A preset names its system and the canonical table it feeds, the header names that must all
be there (``require``, compared normalised: lower case, words joined by ``_``, a ``(UTC)`` or
``(GMT)`` suffix dropped) and those that add evidence (``prefer``), and a mapping whose
columns are lists of candidate names (the first present wins; ``~regex`` matches by
pattern). A *reference* preset describes a lookup file (Stripe plans, Zendesk groups) that
enriches another preset's table: when both files are in one import, the main preset's
``[[with]]`` query joins them (``{this}`` and ``{preset-name}`` name the staged files).

A file no preset fits is read by the generic layout: common English column names and their
synonyms (``ingest/mapping.py``), and says so.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from dashboard.ingest.mapping import Mapping, normalise, suggest_mapping, suggest_table
from dashboard.schema import columns

FOLDER = Path(__file__).resolve().parent
GENERIC = "generic"


def header_key(name: str) -> str:
    """How preset names compare with headers: ``Created (UTC)`` -> ``created``."""
    return re.sub(r"_(utc|gmt|z)$", "", normalise(name))


class Enrichment(BaseModel):
    """A query used instead of the column mapping when these presets' files are present."""

    model_config = ConfigDict(extra="forbid")
    presets: list[str]
    query: str
    needs: list[str] = Field(default_factory=list)  # names the file must have for the query


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    system: str
    label: str
    table: str
    role: str = Field("table", pattern="^(table|reference)$")
    require: list[str]
    prefer: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)  # names that say it is another layout
    columns: dict[str, list[str] | str] = Field(default_factory=dict)
    combine: dict[str, list[str]] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    scale: dict[str, float] = Field(default_factory=dict)
    match: dict[str, list[str] | str] = Field(default_factory=dict)
    date_format: str = "auto"
    note: str | None = None
    with_: list[Enrichment] = Field(default_factory=list, alias="with")

    def fits(self, keys: set[str]) -> int:
        """How well a header fits: 0 when a required name is missing, else a score."""
        if not all(r in keys for r in self.require) or any(e in keys for e in self.exclude):
            return 0
        return 10 * len(self.require) + sum(p in keys for p in self.prefer)

    def _pick(self, candidates: list[str] | str, by_key: dict[str, str]) -> str | None:
        for candidate in [candidates] if isinstance(candidates, str) else candidates:
            if candidate.startswith("~"):
                pattern = re.compile(candidate[1:], re.I)
                found = next((h for k, h in by_key.items() if pattern.search(k)), None)
            else:
                found = by_key.get(candidate)
            if found is not None:
                return found
        return None

    def mapping(self, headers: list[str]) -> Mapping:
        """The mapping of a file with ``headers``, candidates resolved to its own names."""
        by_key = {header_key(h): h for h in reversed(headers)}
        cols = {c: h for c, cand in self.columns.items() if (h := self._pick(cand, by_key))}
        combine = {c: [h for k in keys if (h := by_key.get(k))] for c, keys in self.combine.items()}
        match = {
            k: h
            for k, cand in self.match.items()
            if k != "system" and (h := self._pick(cand, by_key))
        }
        if isinstance(self.match.get("system"), str):
            match["system"] = str(self.match["system"])
        return Mapping(
            table=self.table,
            columns=cols,
            combine={c: v for c, v in combine.items() if v},
            values=self.values,
            constants=self.constants,
            scale=self.scale,
            match=match,
            date_format=self.date_format,  # type: ignore[arg-type]
        )


@lru_cache(maxsize=1)
def presets() -> tuple[Preset, ...]:
    """Every preset in this folder, by file name."""
    found = []
    for path in sorted(FOLDER.glob("*.toml")):
        preset = Preset.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        unknown = set(preset.columns) - set(columns(preset.table))
        if unknown:
            raise ValueError(f"preset {path.name}: {sorted(unknown)} not columns of {preset.table}")
        found.append(preset)
    return tuple(found)


def preset(name: str) -> Preset:
    return next(p for p in presets() if p.name == name)


@dataclass(frozen=True)
class Recognised:
    """What a file is: the table it feeds, the layout that says so, and its mapping (None for
    a reference file, which only enriches another preset's table)."""

    table: str
    preset: str
    mapping: Mapping | None
    reference: bool = False
    note: str | None = None


def recognise_file(headers: list[str], file_name: str = "") -> Recognised | None:
    """The best-fitting preset, else the generic layout, else None."""
    keys = {header_key(h) for h in headers}
    scored = sorted(((p.fits(keys), p) for p in presets()), key=lambda x: -x[0])
    if scored and scored[0][0] > 0:
        best = scored[0][1]
        if best.role == "reference":
            return Recognised(best.table, best.name, None, True, best.note)
        return Recognised(best.table, best.name, best.mapping(headers), note=best.note)
    table = suggest_table(headers, file_name)
    if table is None:
        return None
    return Recognised(table, GENERIC, suggest_mapping(table, headers))


def recognise(headers: list[str], file_name: str = "") -> Mapping | None:
    """The mapping for a file nobody described (None for no table or a reference file)."""
    found = recognise_file(headers, file_name)
    return found.mapping if found else None


def enriched(
    name: str, this_view: str, present: dict[str, str], headers: list[str] | None = None
) -> Mapping | None:
    """The query mapping of preset ``name`` when its companions' files are present
    (``present``: preset name -> staged view) and the file has what the query reads, the
    fullest enrichment first."""
    main = preset(name)
    keys = {header_key(h) for h in headers or []}
    for option in sorted(main.with_, key=lambda e: -len(e.presets)):
        if all(p in present for p in option.presets) and all(n in keys for n in option.needs):
            query = option.query.replace("{this}", f'"{this_view}"')
            for p in option.presets:
                query = query.replace("{" + p + "}", f'"{present[p]}"')
            return Mapping(table=main.table, query=query, match=main.mapping([]).match)
    return None
