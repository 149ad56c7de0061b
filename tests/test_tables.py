"""Every table of the catalogue (dashboard/ui/columns.py) labels each column it shows, and its
download carries the page's columns, in the page's order, under the page's labels."""

from __future__ import annotations

import inspect

import polars as pl
import pytest

from dashboard.store.filters import AccountFilter
from dashboard.text import money_currency
from dashboard.ui import columns
from dashboard.ui.tables import TableSpec, as_shown, is_money_column
from tests.conftest import TODAY

SPECS = {
    name: fn
    for name, fn in inspect.getmembers(columns, inspect.isfunction)
    if fn.__module__ == columns.__name__
    and not name.startswith("_")
    and inspect.signature(fn).return_annotation in (TableSpec, "TableSpec")
}


def _spec(name: str) -> TableSpec:
    fn = SPECS[name]
    params = inspect.signature(fn).parameters
    if "statuses" in params:
        return fn(["open", "done"])
    if params:  # a band matrix: its columns are the bands
        return fn(["band", "red", "green"], money=True)
    return fn()


def test_the_catalogue_is_walked():
    assert len(SPECS) >= 25


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_shown_column_has_a_label_and_the_download_matches(name: str):
    spec = _spec(name)
    assert spec.order, name
    shown = [c for c in spec.order if not (c in spec.config and spec.config[c] is None)]
    unlabelled = [c for c in shown if not (spec.config.get(c) or {}).get("label")]
    assert not unlabelled, f"{name}: columns shown without a label: {unlabelled}"
    frame = pl.DataFrame(
        {c: [1.23456] for c in spec.order} | {"internal_id": ["x"]}  # a column not shown
    )
    out = as_shown(frame, spec)
    labels = [spec.config[c]["label"] for c in shown]  # a money column's names its currency
    money = [is_money_column(spec.config[c]) for c in shown]
    assert out.columns == [
        f"{lb} ({money_currency()})" if m else lb for lb, m in zip(labels, money, strict=True)
    ]
    assert "internal_id" not in out.columns
    assert out.row(0) == tuple(1.23 for _ in shown)  # rounded as read, not to the cent


# -- every table a page draws -------------------------------------------------------------------
PAGE_RUNS = [
    "portfolio",
    "account",
    "renewals",
    "expansion",
    "sync",
    "unmanaged_middle",
    "lab",
    "data",
]
FORMATTED = {
    "number",
    "progress",
    "checkbox",
    "date",
    "datetime",
    "time",
    "multiselect",
    "selectbox",
    "link",
    "text",
    "list",
    "line_chart",
    "bar_chart",
    "area_chart",
}


def _page(name: str, demo_stores):
    import json

    from streamlit.testing.v1 import AppTest

    from dashboard.store.pairs import pairs

    at = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    if name == "account":
        worst = demo_stores.sources.scalar(
            "SELECT account_id FROM account_scores ORDER BY health LIMIT 1"
        )
        at.query_params["account"] = worst
    if name == "sync":
        at.query_params["pair"] = pairs(demo_stores.sources)["key"][0]
    if name != "portfolio":
        at.switch_page(f"../pages/{name}.py").run()
    assert not at.exception
    tables = [*at.dataframe, *at.get("arrow_data_frame")]
    return [(t.proto, json.loads(t.proto.columns or "{}"), t.value) for t in tables]


@pytest.mark.parametrize("name", PAGE_RUNS)
def test_every_table_on_every_page_is_labelled_and_formatted(name: str, demo_stores):
    """No raw column name and no unformatted float in any table a page draws: each shown
    column has a label that reads as words, and each column of floats a format."""
    problems = []
    for i, (proto, config, frame) in enumerate(_page(name, demo_stores)):
        if proto.placeholder != "—" and frame.isna().any().any():
            problems.append(f"table {i}: a missing value shows as {proto.placeholder or 'None'!r}")
        shown = list(proto.column_order) or [c for c in frame.columns if not str(c).startswith("_")]
        for column in shown:
            spec = config.get(column) or config.get(f"col:{column}") or {}
            if spec.get("hidden"):
                continue
            label = spec.get("label") or str(column)
            if "_" in label or (label == column and not label[:1].isupper()):
                problems.append(f"table {i}: column {column!r} shows as {label!r}")
            if column in frame.columns and str(frame[column].dtype).startswith("float"):
                kind = (spec.get("type_config") or {}).get("type")
                fmt = (spec.get("type_config") or {}).get("format")
                if kind not in ("number", "progress") or (not fmt and kind == "number"):
                    problems.append(f"table {i}: float column {column!r} has no format ({kind})")
    assert not problems, f"{name}: " + "; ".join(problems)


# -- every export -------------------------------------------------------------------------------
RAW_FLOAT = r"\d+\.\d{3,}"  # 75.91831608241382
WHOLE_FLOAT = r"(?<![\d.])\d{3,}\.0(?![\d%])"  # 207200.0
MICROSECONDS = r"\d{2}:\d{2}:\d{2}\.\d+"
SNAKE = r"\b[a-z]+_[a-z_]+\b"  # a raw column name in a header


def _exports(demo_dir, demo_stores) -> dict[str, tuple[str, str]]:
    """name -> (header text, body text) of everything Tandem hands people."""
    import datetime as dt

    from dashboard.jobs.messages import digest_message
    from dashboard.store.pairs import pairs
    from dashboard.views.ics import renewals_ics
    from dashboard.views.renewals import renewal_view
    from dashboard.views.sync import agenda_html, agenda_markdown, build_agenda

    out: dict[str, tuple[str, str]] = {}
    for path in sorted((demo_dir / "digests").rglob("*")):
        if path.suffix in (".md", ".csv") and not path.name.startswith("tasks-"):
            text = path.read_text()
            header = text.splitlines()[0] if path.suffix == ".csv" else ""
            out[path.name] = (header, text)
    for path in sorted((demo_dir / "calendars").glob("*.ics"))[:3]:
        out[path.name] = ("", path.read_text())
    key = pairs(demo_stores.sources)["key"][0]
    agenda = build_agenda(demo_stores, key, TODAY)
    md = agenda_markdown(agenda, agenda.todays)
    out["agenda.md"] = (
        "\n".join(line for line in md.splitlines() if line.startswith("| ") and "---" not in line),
        md,
    )
    out["agenda.html"] = ("", agenda_html(agenda, agenda.todays))
    view = renewal_view(demo_stores, AccountFilter())
    out["renewals.ics"] = ("", renewals_ics(view.renewals, dt.datetime(2026, 1, 1)).decode())
    from dashboard.jobs.digests import build_digests  # the messages sent by mail and chat
    from dashboard.store.marts import owner_rows, scored_accounts

    scored = scored_accounts(demo_stores.sources, AccountFilter())
    built = build_digests(scored, owner_rows(demo_stores.sources), TODAY)
    for digest in [d for d in built if d.role == "leader"][:1] + built[:3]:
        message = digest_message(digest)
        out[f"mail-{digest.stem}.txt"] = ("", message.text)
        out[f"mail-{digest.stem}.html"] = ("", message.html)
    return out


def test_every_export_reads_like_the_page(demo_dir, demo_stores):
    import re

    exports = _exports(demo_dir, demo_stores)
    assert len(exports) > 10
    problems = []
    for name, (header, text) in exports.items():
        for pattern, what in (
            (RAW_FLOAT, "an unrounded float"),
            (WHOLE_FLOAT, "a float money"),
            (MICROSECONDS, "a microsecond timestamp"),
        ):
            found = re.search(pattern, text)
            if found:
                problems.append(f"{name}: {what} {found.group(0)!r}")
        raw = re.findall(SNAKE, header)
        if raw:
            problems.append(f"{name}: raw column names {sorted(set(raw))}")
    assert not problems, "\n".join(problems)
