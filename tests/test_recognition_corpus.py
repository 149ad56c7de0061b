"""The recognition corpus in the suite: 122 layouts from 34 systems, written from the vendors'
documentation and open connectors' schemas (``tests/corpus``), read the way an import reads
them. No file may land in a wrong table; at least 90 % are recognised right; the rest ask.
The README's table is this test's output."""

from __future__ import annotations

from pathlib import Path

from tests.corpus.report import END, START, read_corpus, table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_corpus_is_read_right_or_not_at_all(tmp_path):
    outcomes = read_corpus(tmp_path)
    wrong = [
        f"{o.file.system} / {o.file.layout} -> {o.read_as}"
        for o in outcomes
        if o.verdict == "wrong"
    ]
    assert wrong == []
    right = sum(o.verdict == "right" for o in outcomes)
    assert right / len(outcomes) >= 0.9, f"{right} of {len(outcomes)} right"
    text = README.read_text(encoding="utf-8")
    shown = text[text.index(START) + len(START) : text.index(END)].strip()
    assert shown == table(outcomes), "README's corpus table is stale: python -m tests.corpus.report"
