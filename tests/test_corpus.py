"""The recognition corpus checks itself: enough layouts and systems, each cited, each file
written with the headers and rows it declares, every expectation a canonical table or
``not_customer``. (Recognising the files is tested against the import's own API elsewhere.)"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from dashboard.schema import SOURCE_TABLES
from tests.corpus.generate import CANONICAL, CorpusFile, build, load_layouts

UNIQUE_KINDS = ("id:", "seq:", "num:", "uuid", "hex:", "sfid:", "key:")
CITATION = re.compile(r"github:[\w.-]+/[\w.-]+@[0-9a-f]{40} \S+|https?://\S+")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusFile]:
    return build(tmp_path_factory.mktemp("corpus"), seed=0)


def _read(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
        header, body = [str(h) for h in rows[0]], rows[1:]
        return pl.DataFrame(
            [[None if v is None else str(v) for v in r] for r in body], schema=header, orient="row"
        )
    return pl.read_csv(path, infer_schema=False)


def test_the_canonical_tables_are_the_schemas() -> None:
    assert set(CANONICAL) == set(SOURCE_TABLES)


def test_the_corpus_is_large_and_varied_enough(corpus: list[CorpusFile]) -> None:
    expects = Counter(f.expect for f in corpus)
    assert len(corpus) >= 64
    assert len({f.system for f in corpus}) >= 22
    assert expects["not_customer"] >= 12
    assert {f.shape for f in corpus} == {"sync", "screen"}
    # every canonical table a vendor file can be is represented
    assert set(expects) >= {
        "accounts",
        "subscriptions",
        "invoices",
        "usage_events",
        "tickets",
        "surveys",
        "activities",
        "outcomes",
        "owners",
        "account_keys",
        "contacts",
    }
    assert len({(f.system, f.layout) for f in corpus}) == len(corpus)


def test_contact_exports_come_from_at_least_three_crms_and_both_shapes(
    corpus: list[CorpusFile],
) -> None:
    contacts = [f for f in corpus if f.expect == "contacts"]
    crms = {"Salesforce", "HubSpot", "Pipedrive", "Zoho CRM", "Dynamics 365", "Close", "Attio"}
    assert len({f.system for f in contacts} & crms) >= 3
    assert {f.shape for f in contacts} == {"sync", "screen"}
    # lead lists, product users and marketing audiences stay beside them, not customer data
    people = [
        f
        for f in corpus
        if f.expect == "not_customer"
        and any(w in f.layout.lower() for w in ("lead", "user", "audience", "contacts"))
    ]
    assert len(people) >= 8


def test_every_layout_cites_its_source_and_names_a_table(corpus: list[CorpusFile]) -> None:
    for f in corpus:
        assert CITATION.search(f.source), f"{f.system} / {f.layout}: no citation in {f.source!r}"
        assert f.expect in (*SOURCE_TABLES, "not_customer"), f"{f.layout}: {f.expect}"


def test_every_file_reads_back_as_declared(corpus: list[CorpusFile]) -> None:
    layouts = {(lay.system, lay.name): lay for lay in load_layouts()}
    for f in corpus:
        layout = layouts[(f.system, f.layout)]
        df = _read(f.path)
        where = f.path.name
        assert df.columns == [h for h, _ in layout.columns], where
        assert df.height == layout.rows, where
        for header, spec in layout.columns:
            values = df[header].drop_nulls().cast(pl.String)
            if spec.startswith(UNIQUE_KINDS):  # a row's own id never repeats
                assert values.n_unique() == values.len(), f"{where}: {header} repeats"
            if not spec.startswith("?") and not spec.startswith("only@") and spec != "const:":
                assert values.len() > 0, f"{where}: {header} is empty"


def test_event_files_hold_many_rows_per_user_and_account(corpus: list[CorpusFile]) -> None:
    layouts = {(lay.system, lay.name): lay for lay in load_layouts()}
    for f in (f for f in corpus if f.expect == "usage_events"):
        df = _read(f.path)
        users = [h for h, s in layouts[(f.system, f.layout)].columns if s.startswith("ref:user")]
        assert users, f"{f.path.name}: no user column"
        counts = df[users[0]].cast(pl.String).value_counts()["count"]
        assert counts.max() >= 10 and df.height / len(counts) >= 3, f.path.name


def test_the_corpus_is_deterministic(tmp_path: Path, corpus: list[CorpusFile]) -> None:
    systems = {"Stripe", "Zendesk", "Mixpanel", "Delighted"}
    mine = [f for f in corpus if f.system in systems and f.path.suffix == ".csv"]
    again = {f.path.name: f for f in build(tmp_path / "again", seed=0, systems=systems)}
    other = {f.path.name: f for f in build(tmp_path / "other", seed=1, systems=systems)}
    assert mine
    for f in mine:
        assert f.path.read_bytes() == again[f.path.name].path.read_bytes(), f.path.name
    assert all(f.path.read_bytes() != other[f.path.name].path.read_bytes() for f in mine)
