"""Every page's numbers on one demo, on the fixed date, equal to those recorded before the
pages became storyboards of UI panels (``tests/golden/page_numbers.json``): a refactor of
how a page draws changes no number it shows. ``TANDEM_UPDATE_GOLDEN=1`` records them anew
(a change then shows in review)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.workflows.access import Viewer
from tests.conftest import TODAY

GOLDEN = Path(__file__).parent / "golden" / "page_numbers.json"
RUN_TIMES = {"loaded_at"}  # when this run loaded the demo: the date is fixed, the time is not
PAGES = ["portfolio", "renewals", "expansion", "unmanaged_middle", "sync", "account", "lab", "data"]


def _cell(value: object) -> str:
    """A cell as text; a float to 12 significant digits: a sum of many floats in DuckDB's
    parallel aggregation can differ in its last bits from one run to the next."""
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def numbers(at: AppTest) -> dict:
    """What a page shows as numbers: every metric (label, value, delta) and every table's
    shape and first row."""
    tables = []
    for frame in at.dataframe:
        value = frame.value
        first = [
            {k: _cell(v) for k, v in row.items() if k not in RUN_TIMES}
            for row in value.head(1).to_dict("records")
        ]
        tables.append({"shape": list(value.shape), "first": first})
    return {
        "metrics": [[m.label, m.value, m.delta] for m in at.metric],
        "tables": tables,
    }


@pytest.fixture(scope="module")
def own_demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("page-numbers")
    stores = Stores.open(root)
    load_demo(stores.sources, DemoSpec(accounts=300, seed=11, anchor=TODAY))
    refresh(stores, TODAY, root, backfill_weeks=4, digests=False)
    return root


def test_every_page_shows_the_numbers_it_showed(own_demo: Path, app_data_dir):
    app_data_dir(own_demo)
    leader = Viewer("Lee Leader", "leader", "lee@x")
    seen = {}
    for page in PAGES:
        at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
        at.session_state["viewer"] = leader
        if page != "portfolio":
            at.switch_page(f"../pages/{page}.py")
        at.run()
        assert not at.exception, (page, [e.message for e in at.exception])
        seen[page] = numbers(at)
    assert all(seen[p]["metrics"] for p in ("portfolio", "renewals", "expansion", "data"))
    if os.environ.get("TANDEM_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(seen, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(GOLDEN.read_text())
    for page in PAGES:
        assert seen[page] == recorded[page], page
