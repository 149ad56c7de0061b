"""Each owner's digest of the nightly read: the CSM's value side, the AM's revenue side, the
book for leaders. Built once as typed objects (``Digest``), then written as files (Markdown and
CSV) and delivered in the tools people use (``jobs/delivery.py``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard.text import (
    format_value,
    markdown_id,
    money_total,
    to_csv,
)
from dashboard.views.exports import Column, labelled, markdown_text, one_line, plain_rows
from scoring.digests import DIGEST_MOVERS, am_digest, csm_digest, digest_movers, leader_digest

DIGEST_CSV = [
    Column("account_id", "Account id"),
    Column("account_name", "Account"),
    Column("arr", "ARR", "money"),
    Column("health", "Health", "score"),
    Column("band", "Band"),
    Column("days_to_renewal", "Days to renewal", "count"),
    Column("renewal_basis", "Renewal from"),
    Column("reason", "Why"),
    Column("cause", "Cause"),
    Column("action", "Next action"),
]
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
    verdict: str | None = None  # the line saying the score does not predict churn here
    # what changed and why since last week on the owner's (the book's) largest movers:
    # account_id, account_name, changes (``scoring.digests.digest_movers``)
    changes: pl.DataFrame = field(default_factory=pl.DataFrame)
    changes_note: str | None = None  # why there are none: no scores kept a week before
    # who receives it when not the owner: the person covering for the owner during their
    # leave (workflows/covers.py), until ``covering_until``, the cover's last day
    recipient: str | None = None
    covering_until: dt.date | None = None

    @property
    def stem(self) -> str:
        return f"{file_stem(self.owner)}-{self.role}"

    @property
    def to(self) -> str:
        """The person the digest goes to: its owner, or whoever covers for them today."""
        return self.recipient or self.owner


SLUG_CHARS = 40  # the readable part of a file name; the id keeps it unique
ID_DIGITS = 6  # hex digits of the name's hash; 16 when two names would share a file name


def slug(name: str) -> str:
    """The readable part of a person's file name: ASCII letters and digits (accents dropped:
    ``José`` is ``jose``), ``owner`` when none is left (a name written in another script)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower())[:SLUG_CHARS].strip("-") or "owner"


def file_stem(name: str, digits: int = ID_DIGITS) -> str:
    """A person's file name, unique and stable: the slug and the first hex digits of a hash
    of the exact name (``ann-lee-3f9a1c``; ``王芳`` and ``李娜`` get different ones)."""
    return f"{slug(name)}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:digits]}"


def file_stems(names: Iterable[str]) -> dict[str, str]:
    """Each name's file name; two names whose short ids meet get the long ones, so no two
    people ever share a file."""
    names = sorted(set(names))
    short = {n: file_stem(n) for n in names}
    clash = {s for s, n in Counter(short.values()).items() if n > 1}
    return {n: file_stem(n, 16) if short[n] in clash else short[n] for n in names}


def renewal_words(days: int | None, basis: str | None) -> str:
    """ "renews in 40 days", with its basis when the date is an estimate ("renews in 40 days,
    estimated from contract start 2022-01-01"); "" without a renewal date."""
    if days is None:
        return ""
    estimated = f", {basis}" if basis and basis.startswith("estimated") else ""
    return f"renews in {days} days{estimated}"


def with_renewal_basis(rows: pl.DataFrame, scored: pl.DataFrame) -> pl.DataFrame:
    """Each digest row with where its renewal date comes from (``renewal_basis``)."""
    if "renewal_basis" in rows.columns or "renewal_basis" not in scored.columns:
        return rows
    basis = scored.select("account_id", "renewal_basis").unique("account_id")
    return rows.join(basis, on="account_id", how="left", maintain_order="left")


def build_digests(
    scored: pl.DataFrame,
    owners: pl.DataFrame,
    as_of: dt.date,
    chairs: pl.DataFrame | None = None,
    verdict: str | None = None,
    covers: pl.DataFrame | None = None,
    stories: pl.DataFrame | None = None,
    stories_note: str | None = None,
) -> list[Digest]:
    """One digest per owner and role (a combined owner gets both), and the book for every
    leader. ``chairs`` (from ``scoring.digests.chairs_rows``) adds the expansions fallen
    between the chairs: to the AM the flags waiting on them, to the CSM the ready accounts
    never flagged, to leaders all. Each carries ``verdict`` (``dashboard.text.verdict_line``,
    plain text) when the active scorecard does not predict churn here. ``covers`` (the covers
    holding on ``as_of``: ``coverer``, ``covered``, ``last_day``) sends each covered owner's
    digests to the person covering for them (``covered_digest``). ``stories`` (from
    ``views.what_changed.story_rows``, since last week) gives each digest its movers and
    what changed on them; ``stories_note`` says why there is none."""
    stories = stories if stories is not None else pl.DataFrame()
    chairs = chairs if chairs is not None else pl.DataFrame()
    role_of = (
        owners.select("owner", "role")
        if owners.height
        else pl.DataFrame({"owner": [], "role": []}, schema={"owner": pl.String, "role": pl.String})
    )
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
            rows = _with_currency(rows, scored)
            digests.append(
                Digest(
                    name,
                    role,
                    as_of,
                    _title(name, role, as_of),
                    f"The {LENSES[role]}.",
                    with_renewal_basis(rows, scored),
                    verdict,
                    digest_movers(stories, scored, f"{role}_owner", name),
                    stories_note,
                )
            )
    leaders = sorted(role_of.filter(pl.col("role") == "leader")["owner"].to_list())
    if leaders:
        book = leader_digest(scored)  # the same read of the book for every leader
        if chairs.height:  # what fell between the chairs, and what was escalated to leaders
            up = chairs.filter(pl.col("to_leader")) if "to_leader" in chairs.columns else chairs
            book = pl.concat([book, up.select(book.columns)], how="vertical_relaxed")
        book = _with_currency(book, scored)
        blind = scored.height > 0 and scored["health"].is_null().all()  # no source with data
        red = (
            "no health (no source has data), so no band"
            if blind
            else f"{scored.filter(pl.col('band') == 'red').height} red"
        )
        intro = (
            f"The book: {scored.height:,} accounts, {_book_arr(scored)} "
            f"ARR, {red}; the largest risks before renewal deadlines and expansion windows."
        )
        book = with_renewal_basis(book, scored)
        movers = digest_movers(stories, scored, top=2 * DIGEST_MOVERS)
        digests += [
            Digest(
                n,
                "leader",
                as_of,
                _title(n, "leader", as_of),
                intro,
                book,
                verdict,
                movers,
                stories_note,
            )
            for n in leaders
        ]
    if covers is None or covers.is_empty():
        return digests
    pairs = zip(covers["coverer"], covers["last_day"], strict=True)
    cover_of = dict(zip(covers["covered"], pairs, strict=True))
    return [
        covered_digest(d, *cover_of[d.owner]) if d.owner in cover_of and d.role != "leader" else d
        for d in digests
    ]


def covered_digest(digest: Digest, coverer: str, until: dt.date) -> Digest:
    """The digest of an owner on leave, addressed to ``coverer``, who covers for them until
    ``until``: the title and the first line name both."""
    owner, role = one_line(digest.owner), DIGEST_TITLES[digest.role]
    return dataclasses.replace(
        digest,
        recipient=coverer,
        covering_until=until,
        title=(
            f"{one_line(coverer)} — {role} digest, covering for {owner}, {digest.day.isoformat()}"
        ),
        intro=(
            f"Covering for {owner} until {until.isoformat()}: {owner}'s accounts come to "
            f"{one_line(coverer)} while {owner} is away. {digest.intro}"
        ),
    )


def _with_currency(rows: pl.DataFrame, scored: pl.DataFrame) -> pl.DataFrame:
    """The digest's rows with each account's currency (the one its figures are in), so an
    amount is never shown without it, in a portfolio of several currencies too."""
    if "currency" in rows.columns or "currency" not in scored.columns or rows.is_empty():
        return rows
    currency = scored.select("account_id", "currency").unique("account_id")
    return rows.join(currency, on="account_id", how="left", maintain_order="left")


def _book_arr(scored: pl.DataFrame) -> str:
    """The book's ARR: one sum in the data's currency, or each currency's sum apart when the
    accounts are in several currencies with no rates (never one sum of several)."""
    currencies = scored["currency"] if "currency" in scored.columns else None
    return money_total(scored["arr"].fill_null(0), currencies)


def _title(name: str, role: str, day: dt.date) -> str:
    return f"{one_line(name)} — {DIGEST_TITLES[role]} digest, {day.isoformat()}"


def digest_markdown(digest: Digest) -> str:
    """The digest as Markdown: every value from the data one line, masked and escaped
    (``views.exports.markdown_text``), so a name renders as text and links nothing."""
    lines = [f"# {markdown_text(digest.title)}", "", digest.intro, ""]
    if digest.verdict:
        lines += [f"> {markdown_text(digest.verdict)}", ""]
    if digest.rows.is_empty():
        lines.append("Nothing needs you today.")
    for row in digest.rows.iter_rows(named=True):
        health = "—" if row["health"] is None else f"{row['health']:.0f}"
        said = renewal_words(row["days_to_renewal"], row.get("renewal_basis"))
        renewal = f", {said}" if said else ""
        lines.append(
            f"- **{markdown_text(row['account_name'])}** ({markdown_id(row['account_id'])}, "
            f"{format_value(row['arr'], 'money', row.get('currency'))}, health {health} {row['band']}{renewal}) — "
            f"{markdown_text(row['reason'])}: {markdown_text(row['cause'] or 'see the account page')}. "
            f"Next: {markdown_text(row['action'] or 'review the account')}."
        )
    lines += _changes_markdown(digest)
    return "\n".join(lines) + "\n"


def _changes_markdown(digest: Digest) -> list[str]:
    """The digest's "what changed" part: each mover with its sentences; or why there is
    none (no scores kept a week before); nothing when no account moved."""
    if digest.changes_note:
        return ["", "## What changed since last week", "", digest.changes_note]  # our words
    if digest.changes.is_empty():
        return []
    return ["", "## What changed since last week", ""] + [
        f"- **{markdown_text(row['account_name'])}** ({markdown_id(row['account_id'])}): "
        f"{markdown_text(row['changes'])}"
        for row in digest.changes.iter_rows(named=True)
    ]


def digest_csv(digest: Digest) -> str:
    """The digest's rows as CSV: the page's labels, text one line and masked, ids exact."""
    return to_csv(labelled(plain_rows(digest.rows, ids=("account_id",)), DIGEST_CSV))


def write_digest_files(
    digests: list[Digest], folder: Path, problems: list[str] | None = None
) -> list[Path]:
    """One Markdown and one CSV file per digest under ``folder``, named by ``file_stems``.
    A digest that cannot be written is skipped and said in ``problems``; the others are
    written."""
    folder.mkdir(parents=True, exist_ok=True)
    stems = file_stems(d.owner for d in digests)
    written: list[Path] = []
    for digest in digests:
        stem = folder / f"{stems[digest.owner]}-{digest.role}"
        try:
            for suffix, text in ((".md", digest_markdown(digest)), (".csv", digest_csv(digest))):
                _write_whole(stem.with_suffix(suffix), text)
                written.append(stem.with_suffix(suffix))
        except Exception as exc:  # one person's file never stops the others
            if problems is None:
                raise
            problems.append(
                f"owner {digest.owner!r}: the {DIGEST_TITLES[digest.role]} digest was not "
                f"written ({type(exc).__name__}: {one_line(exc)})"
            )
    return written


def _write_whole(path: Path, text: str) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
