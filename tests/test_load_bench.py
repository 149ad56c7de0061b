"""The load test's arithmetic on hand-made inputs: its percentiles and the profile breakdown
(``bench/load.py``, ``bench/profile_breakdown.py``), so the figures the notes quote mean what
they say."""

from __future__ import annotations

from bench.load import p95, quantiles
from bench.profile_breakdown import breakdown

STACKS = "\n".join(
    [
        # a page script's table: Arrow serialisation under the Portfolio page
        "<module> (streamlit/x.py:1);exec_func_with_error_handling (streamlit/runtime/"
        "scriptrunner/exec_code.py:9);<module> (/repo/pages/portfolio.py:12);dataframe "
        "(streamlit/elements/arrow.py:40);convert (pyarrow/pandas_compat.py:5) 30",
        # the same page's store query, computing a cached view (a miss)
        "<module> (streamlit/x.py:1);<module> (/repo/pages/portfolio.py:10);read "
        "(/repo/dashboard/ui/queries.py:3);CachedFunc._handle_cache_miss (streamlit/runtime/"
        "caching/cache_utils.py:887);overview (/repo/dashboard/store/overview.py:7) 20",
        # waiting: left out of the shares
        "run (tornado/ioloop.py:1);EpollSelector.select (selectors.py:468) 40",
        "x (streamlit/runtime/caching/cache_utils.py:868);_hold_compute_lock (streamlit/"
        "runtime/caching/cache_utils.py:133) 7",
        # the shell's sidebar filters, reading a cached frame
        "<module> (/repo/dashboard/app.py:99);sidebar_filters (/repo/dashboard/ui/filters.py:"
        "5);wrapper (streamlit/runtime/caching/cache_utils.py:2) 10",
        # a chart on the Account page
        "<module> (/repo/pages/account.py:20);bar (/repo/dashboard/ui/charts.py:8);to_json "
        "(plotly/io/_json.py:3) 15",
        # the server sending a message: no script on the stack
        "run (tornado/ioloop.py:1);write_message (tornado/websocket.py:9) 25",
    ]
)


def test_p95_is_the_nearest_rank():
    assert p95([]) is None
    assert p95([1.0]) == 1.0
    # of two views the slower (the old index, int(0.95 * (n - 1)), gave the faster: p95 < p50)
    assert p95([4.0, 1.0]) == 4.0
    assert p95([float(i) for i in range(1, 21)]) == 19.0  # 19 of 20 took no longer
    assert p95([float(i) for i in range(1, 101)]) == 95.0
    assert quantiles([3.0, 1.0, 2.0]) == {"views": 3, "p50": 2.0, "p95": 3.0, "max": 3.0}


def test_breakdown_by_where_and_what():
    out = breakdown(STACKS)
    assert out["samples"] == {"total": 100, "idle_left_out": 47}
    assert out["cache_misses_percent"] == 20.0
    assert out["where_percent"] == {
        "page: portfolio": 50.0,
        "Streamlit server (websocket, event loop, sessions)": 25.0,
        "page: account": 15.0,
        "app shell": 10.0,
    }
    assert out["what_percent"] == {
        "Arrow serialisation (tables)": 30.0,
        "websocket send + protobuf": 25.0,
        "DuckDB queries": 20.0,
        "Plotly figures (build + JSON)": 15.0,
        "cache lookups (hashing)": 10.0,
    }


def test_a_frame_after_page_run_that_is_no_script_is_not_a_page():
    # Page.run's next frame can be a context manager's (py-spy showed "page: contextlib"), or
    # a frame with no file (<string>), which stopped the breakdown with an AttributeError
    stacks = (
        "<module> (/repo/dashboard/app.py:112);Page.run (streamlit/navigation/page.py:574);"
        "__enter__ (contextlib.py:137) 3\n"
        "<module> (/repo/dashboard/app.py:112);Page.run (streamlit/navigation/page.py:574);"
        "<module> (<string>:1) 1"
    )
    assert breakdown(stacks)["where_percent"] == {"app shell": 100.0}


def test_breakdown_skips_lines_that_are_not_stacks():
    assert breakdown("") == {
        "samples": {"total": 0, "idle_left_out": 0},
        "cache_misses_percent": 0.0,
        "where_percent": {},
        "what_percent": {},
    }
    assert breakdown("garbage\n\nf (a.py:1) 2")["where_percent"] == {
        "Streamlit server (websocket, event loop, sessions)": 100.0
    }
