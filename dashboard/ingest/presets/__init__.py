"""Vendor export layouts, recognised from a file's header: each layout is a TOML file in this
folder (``SYSTEM-TABLE.toml``), data rather than code."""

from __future__ import annotations

from dashboard.ingest.mapping import Mapping, suggest_mapping, suggest_table


def recognise(columns: list[str], file_name: str = "") -> Mapping | None:
    """The mapping for a file nobody described: the table whose columns its header fits."""
    table = suggest_table(columns, file_name)
    return suggest_mapping(table, columns) if table else None
