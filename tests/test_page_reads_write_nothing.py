"""Opening a page writes nothing to the app store. Every write to it (a ``transaction``)
changes its signature, and every session's cached views in that process recompute: under
``bench/load.py`` one Score lab view that read its form's version in a transaction made the
other sessions' next views of every page miss their cache (37 % of the server's CPU)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.workflows.access import Viewer

PAGES = ["portfolio", "renewals", "expansion", "unmanaged_middle", "sync", "account", "lab", "data"]


@pytest.mark.parametrize("page", PAGES)
def test_opening_a_page_leaves_the_app_store_as_it_was(demo_stores: Stores, page: str):
    viewer = Viewer("Lee Leader", "leader", "lee@x")
    # the first view may migrate or seed what a page needs: the second must write nothing
    for _ in range(2):
        before = demo_stores.app.signature()
        at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
        at.session_state["viewer"] = viewer
        if page != "portfolio":
            at.switch_page(f"../pages/{page}.py")
        at.run()
        assert not at.exception, [e.message for e in at.exception]
    assert demo_stores.app.signature() == before, f"opening {page} wrote to the app store"
