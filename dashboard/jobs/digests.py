"""Each owner's digest of the nightly read: the CSM's value side, the AM's revenue side, the
book for leaders. Built once as typed objects (``Digest``), then written as files (Markdown and
CSV) and delivered in the tools people use (``jobs/delivery.py``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dashboard.text import format_value, md, to_csv
from dashboard.views.exports import Column, labelled
from scoring.digests import am_digest, csm_digest, leader_digest

DIGEST_CSV = [
    Column("account_id", "Account id"), Column("account_name", "Account"),
    Column("arr", "ARR", "money"), Column("health", "Health", "score"), Column("band", "Band"),
    Column("days_to_renewal", "Days to renewal", "count"), Column("reason", "Why"),
    Column("cause", "Cause"), Column("action", "Next action"),
]  # fmt: skip
DIGEST_TITLES = {"csm": "CSM", "am": "AM", "leader": "Leader"}
LENSES = {
    "csm": "value side: accounts to act on",
    "am": "revenue side: risks before deadlines and expansion windows",
}


@dataclass(frozen=True)
class Digest:
    owner: str
    role: str  # csm, am or leader
    day: dt.date
    title: str
    intro: str
    rows: pl.DataFrame  # one row per account to act on: cause, action, health, ARR, renewal

    @property
    def stem(self) -> str:
        return f"{slug(self.owner)}-{self.role}"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "owner"


def build_digests(
    scored: pl.DataFrame, owners: pl.DataFrame, as_of: dt.date, chairs: pl.DataFrame | None = None
) -> list[Digest]:
    """One digest per owner and role (a combined owner gets both), and the book for every
    leader. ``chairs`` (from ``scoring.digests.chairs_rows``) adds the expansions fallen
    between the chairs: to the AM the flags waiting on them, to the CSM the ready accounts
    never flagged, to leaders all."""
    chairs = chairs if chairs is not None else pl.DataFrame()
    role_of = owners.select("owner", "role") if owners.height else pl.DataFrame(
        {"owner": [], "role": []}, schema={"owner": pl.String, "role": pl.String}
    )  # fmt: skip
    people = {
        "csm": set(scored["csm_owner"].drop_nulls().to_list())
        | set(role_of.filter(pl.col("role").is_in(["csm", "both"]))["owner"].to_list()),
        "am": set(scored["am_owner"].drop_nulls().to_list())
        | set(role_of.filter(pl.col("role").is_in(["am", "both"]))["owner"].to_list()),
    }
    digests: list[Digest] = []
    for role, build in (("csm", csm_digest), ("am", am_digest)):
        for name in sorted(people[role]):
            rows = build(scored, name)
            if chairs.height:
                mine = chairs.filter(pl.col("role") == role, pl.col(f"{role}_owner") == name)
                rows = pl.concat([rows, mine.select(rows.columns)], how="vertical_relaxed")
            digests.append(Digest(name, role, as_of, _title(name, role, as_of), f"The {LENSES[role]}.", rows))  # fmt: skip
    leaders = sorted(role_of.filter(pl.col("role") == "leader")["owner"].to_list())
    if leaders:
        book = leader_digest(scored)  # the same read of the book for every leader
        if chairs.height:
            book = pl.concat([book, chairs.select(book.columns)], how="vertical_relaxed")
        intro = (
            f"The book: {scored.height:,} accounts, {format_value(scored['arr'].sum(), 'money')} "
            f"ARR, {scored.filter(pl.col('band') == 'red').height} red; the largest risks before "
            "renewal deadlines and expansion windows."
        )
        digests += [
            Digest(n, "leader", as_of, _title(n, "leader", as_of), intro, book) for n in leaders
        ]
    return digests


def _title(name: str, role: str, day: dt.date) -> str:
    return f"{name} — {DIGEST_TITLES[role]} digest, {day.isoformat()}"


def digest_markdown(digest: Digest) -> str:
    """The digest as Markdown: every value from the data escaped, so a name renders as text."""
    lines = [f"# {md(digest.title)}", "", digest.intro, ""]
    if digest.rows.is_empty():
        lines.append("Nothing needs you today.")
    for row in digest.rows.iter_rows(named=True):
        health = "—" if row["health"] is None else f"{row['health']:.0f}"
        renewal = (
            "" if row["days_to_renewal"] is None else f", renews in {row['days_to_renewal']} days"
        )
        lines.append(
            f"- **{md(row['account_name'])}** ({md(row['account_id'])}, "
            f"{format_value(row['arr'], 'money', row.get('currency'))}, health {health} {row['band']}{renewal}) — "
            f"{md(row['reason'])}: {md(row['cause'] or 'see the account page')}. "
            f"Next: {md(row['action'] or 'review the account')}."
        )
    return "\n".join(lines) + "\n"


def write_digest_files(digests: list[Digest], folder: Path) -> list[Path]:
    """One Markdown and one CSV file per digest under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for digest in digests:
        stem = folder / digest.stem
        stem.with_suffix(".md").write_text(digest_markdown(digest), encoding="utf-8")
        stem.with_suffix(".csv").write_text(
            to_csv(labelled(digest.rows, DIGEST_CSV)), encoding="utf-8"
        )
        written += [stem.with_suffix(".md"), stem.with_suffix(".csv")]
    return written
