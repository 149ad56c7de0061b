"""Every table of the catalogue (dashboard/ui/columns.py) labels each column it shows, and its
download carries the page's columns, in the page's order, under the page's labels."""

from __future__ import annotations

import inspect

import polars as pl
import pytest

from dashboard.ui import columns
from dashboard.ui.tables import TableSpec, as_shown

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
    assert out.columns == [spec.config[c]["label"] for c in shown]
    assert "internal_id" not in out.columns
    assert out.row(0) == tuple(1.23 for _ in shown)  # rounded as read, not to the cent
