"""The corpus read the way an import reads it: every file staged in one import session and
recognised together (``plan_recognised``), each outcome judged against what the file is.

``python -m tests.corpus.report`` prints the README's table."""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dashboard.ingest.bundle import plan_recognised
from dashboard.ingest.session import ImportSession
from tests.corpus.generate import CorpusFile, build

START = "<!-- corpus-table:start -->"
END = "<!-- corpus-table:end -->"


@dataclass(frozen=True)
class Outcome:
    file: CorpusFile
    read_as: str  # a table, "not_customer", "ask", or "reference:<table>"
    verdict: str  # right, asked, wrong


def judge(file: CorpusFile, read_as: str) -> str:
    """right: the table it is (or one the README accepts), or not customer data recognised
    as such; asked: nothing written, a person decides; wrong: rows into a wrong table."""
    if read_as in (file.expect, *file.also):
        return "right"
    if read_as == "ask" or read_as == "not_customer":
        return "asked"
    if read_as.startswith("reference:"):  # a lookup file, never loaded on its own
        return "right" if read_as.split(":", 1)[1] == file.expect else "asked"
    return "wrong"


def read_corpus(folder: Path) -> list[Outcome]:
    files = build(folder)
    session = ImportSession(files=[f.path for f in files])
    try:
        for f in files:
            session.add(f.path.name, f.path)
        found = plan_recognised(session, list(session.files))
        by_name = {session.files[v].name: m.table for m, v in found.work if v}
        by_name |= {n.file: "ask" for n in found.needs_table}
        by_name |= {s.split(":", 1)[0]: "not_customer" for s in found.skipped}
        by_name |= {r.file: f"reference:{r.table}" for r in found.references}
    finally:
        session.close()
    return [Outcome(f, by_name[f.path.name], judge(f, by_name[f.path.name])) for f in files]


def table(outcomes: list[Outcome]) -> str:
    """Per system: files recognised right, asked, wrong; and the total."""
    systems = sorted({o.file.system for o in outcomes}, key=str.lower)
    lines = ["| system | files | right | asked | wrong |", "| --- | ---: | ---: | ---: | ---: |"]
    for system in [*systems, "all"]:
        mine = [o for o in outcomes if system in ("all", o.file.system)]
        n = Counter(o.verdict for o in mine)
        name = "**all**" if system == "all" else system
        lines.append(f"| {name} | {len(mine)} | {n['right']} | {n['asked']} | {n['wrong']} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - prints the README's table
    with tempfile.TemporaryDirectory() as tmp:
        results = read_corpus(Path(tmp))
    print(table(results))
    for o in results:
        if o.verdict != "right":
            print(f"{o.verdict}: {o.file.system} / {o.file.layout} -> {o.read_as}", file=sys.stderr)
