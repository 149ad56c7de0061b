"""Table helpers shared by pages: one call draws a table from its spec (column order and
``column_config``, kept in ``ui/columns.py``), downloads, and common column formats."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa
import streamlit as st

from dashboard.text import (
    BAND_ORDER,
    CHURN_HORIZON_DAYS,
    CHURN_RISK_HELP,
    MIXED,
    money_currency,
    money_label,
    money_symbol,
    to_csv,
)


def download_csv(
    frame: pl.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None
) -> None:
    """A download button for the whole frame as CSV, written only when clicked; text that a
    spreadsheet would run as a formula is neutralised (``scoring.exports``)."""
    st.download_button(
        label,
        lambda: to_csv(frame).encode("utf-8"),
        on_click="ignore",
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        key=key or f"download_{file_name}",
    )


BAND_OPTIONS = list(BAND_ORDER)
BAND_PILL_COLORS = ["#dc2626", "#f59e0b", "#16a34a", "#9ca3af"]


def with_band_labels(frame: pl.DataFrame, column: str = "band") -> pl.DataFrame:
    """The band as a one-item list, which ``band_column`` draws as a coloured pill."""
    if column not in frame.columns:
        return frame
    return frame.with_columns(pl.concat_list(pl.col(column)).alias(column))


COLUMN_FORMATS = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}  # Streamlit's money presets


def _money_format(code: str) -> str:
    """Streamlit's format of a money column: a currency's preset or sign; a mixed
    portfolio's per-account amounts have no one sign ("accounting": separators only, and the
    format only money columns use, so a download can tell them)."""
    return COLUMN_FORMATS.get(code) or (
        f"{money_symbol(code)}%d" if code != MIXED else "accounting"
    )


def money_column(label: str, help: str | None = None) -> object:
    """Whole amounts with thousands separators in the data's currency ("$34,600", "€34,600";
    another code as "CHF 34600"; a mixed portfolio's per-account amounts with no sign):
    ARR is not read to the cent."""
    return st.column_config.NumberColumn(
        label, format=_money_format(money_currency()), step=1, help=help
    )


def is_money_column(config: Any) -> bool:
    """A column drawn by ``money_column`` (its format is the data's money format)."""
    if not isinstance(config, dict):
        return False
    fmt = (config.get("type_config") or {}).get("format")
    return config.get("type_config", {}).get("type") == "number" and fmt == _money_format(
        money_currency()
    )


def band_column(label: str = "Band") -> object:
    return st.column_config.MultiselectColumn(
        label, options=BAND_OPTIONS, color=BAND_PILL_COLORS, disabled=True
    )


def account_columns() -> dict[str, object]:
    """column_config for scored account tables: health as a progress bar, money, dates."""
    cc = st.column_config
    return {
        "account_id": cc.TextColumn("Account id"),
        "account_name": cc.TextColumn("Account", width="medium"),
        "segment": cc.TextColumn("Segment"),
        "region": cc.TextColumn("Region"),
        "plan": cc.TextColumn("Plan"),
        "csm_owner": cc.TextColumn("CSM"),
        "am_owner": cc.TextColumn("AM"),
        "coverage_class": cc.TextColumn("Coverage"),
        "arr": money_column("ARR"),
        "currency": cc.TextColumn("Currency"),
        "health": cc.ProgressColumn("Health", min_value=0, max_value=100, format="%.0f"),
        "churn_probability": cc.NumberColumn(
            f"Churn risk {CHURN_HORIZON_DAYS} d",
            format="percent",
            help=f"{CHURN_RISK_HELP}, calibrated on this portfolio's history",
        ),
        "band": band_column(),
        "coverage": cc.ProgressColumn(
            "Data coverage",
            min_value=0,
            max_value=1,
            format="percent",
            help="Share of the scorecard's weight that had data",
        ),
        "health_change_30d": cc.NumberColumn("Δ 30 days", format="%+.0f"),
        "renewal_date": cc.DateColumn("Renewal", format="YYYY-MM-DD"),
        "renewal_basis": cc.TextColumn(
            "Renewal from",
            help="'on record' is the renewal date the data holds; an estimate names the "
            "contract start whose next anniversary it is",
        ),
        "days_to_renewal": cc.NumberColumn("Days to renewal"),
        "renewal_window": cc.TextColumn("Window"),
        "risk_before_deadline": cc.CheckboxColumn("Risk before deadline"),
        "expansion_ready": cc.CheckboxColumn("Expansion-ready"),
        "top_driver": cc.TextColumn("Top driver"),
        "top_cause": cc.TextColumn("Cause", width="large"),
        "top_action": cc.TextColumn("Next action", width="large"),
    }


ACRONYMS = {
    "id": "id",
    "arr": "ARR",
    "csat": "CSAT",
    "nps": "NPS",
    "csm": "CSM",
    "am": "AM",
    "qbr": "QBR",
    "crm": "CRM",
    "url": "URL",
    "usd": "USD",
}


def humanize(name: str) -> str:
    """A column name as words: ``ticket_id`` → "Ticket id", ``csat`` → "CSAT"."""
    words = [ACRONYMS.get(w, w) for w in name.split("_") if w]
    if not words:
        return name
    first = words[0] if words[0].isupper() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def auto_columns(frame: pl.DataFrame, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """``column_config`` for a table of any source columns: the ``known`` ones as given, the
    others labelled as words, with dates as dates, times to the minute, decimals to one place."""
    cc = st.column_config
    config: dict[str, Any] = dict(known or {})
    for name, dtype in frame.schema.items():
        if name in config:
            continue
        label = humanize(name)
        if dtype == pl.Date:
            config[name] = cc.DateColumn(label, format="YYYY-MM-DD")
        elif isinstance(dtype, pl.Datetime):
            config[name] = cc.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        elif dtype.is_float():
            config[name] = cc.NumberColumn(label, format="%.1f")
        elif dtype.is_integer():
            config[name] = cc.NumberColumn(label, format="%d")
        else:
            config[name] = cc.TextColumn(label)
    return config


def edited_rows(
    edited: pl.DataFrame, original: pl.DataFrame, key: str, columns: list[str]
) -> pl.DataFrame:
    """The rows of a ``st.data_editor`` result whose ``columns`` differ from ``original``
    (matched on ``key``; an empty text and a missing one count as the same)."""
    before = original.select(key, *[pl.col(c).alias(f"{c}_before") for c in columns])
    differs = [
        pl.col(c).cast(pl.String).fill_null("")
        != pl.col(f"{c}_before").cast(pl.String).fill_null("")
        for c in columns
    ]
    return edited.join(before, on=key).filter(pl.any_horizontal(differs))


def rows_version(rows: list[dict[str, Any]], key: str) -> str:
    """One short digest of the shown rows' keys and versions (each row's ``version``, the
    store's digest of the record): an editor keyed by it is drawn afresh when any of its
    records changed, so an edit made on the old table never lands on a row it was not made on."""
    seen = "|".join(f"{r[key]}:{r['version']}" for r in rows)
    return hashlib.sha1(seen.encode()).hexdigest()[:12]


def edits_as_shown(
    editor_key: str,
    shown: list[dict[str, Any]],
    editable: tuple[str, ...],
    dates: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """A ``st.data_editor``'s edits (read in its ``on_change`` callback) as whole rows of the
    table the person saw (see ``rows_as_edited``)."""
    edits = st.session_state.get(editor_key, {}).get("edited_rows", {})
    return rows_as_edited(edits, shown, editable, dates)


def rows_as_edited(
    edits: dict[Any, dict[str, Any]],
    shown: list[dict[str, Any]],
    editable: tuple[str, ...],
    dates: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Each row of ``shown`` (the table's rows bound when it was drawn: its key and
    ``version``, so the edit goes with the record it was made on) that the editor's
    ``edits`` (``edited_rows``, by position) really changed, with the ``editable`` columns
    changed (the ``dates`` columns back as dates). A value handed back in another type (a
    date as text, an empty text for a missing value) is no edit, nor is a row no longer
    there: only what a person changed is saved, and announced."""
    rows = []
    for position, change in edits.items():
        if not 0 <= int(position) < len(shown):
            continue
        before = shown[int(position)]
        row = dict(before)
        for column, value in change.items():
            if column not in editable:
                continue
            if column in dates and isinstance(value, str):
                value = dt.date.fromisoformat(value[:10]) if value else None
            row[column] = None if value == "" else value
        if any(row[c] != before.get(c) and (row[c] or before.get(c)) for c in editable):
            rows.append(row)
    return rows


@dataclass(frozen=True)
class TableSpec:
    """How a table is shown: its columns in order and their ``column_config``."""

    order: list[str]
    config: dict[str, Any] = field(default_factory=dict)
    bands: bool = False  # the band column drawn as a coloured pill


def download_name(file_name: str) -> str:
    """A download button's label from its file: ``tandem-owner-load.csv`` → "Download owner
    load (CSV)"."""
    words = file_name.removeprefix("tandem-").removesuffix(".csv").replace("-", " ")
    return f"Download {words} (CSV)"


SAMPLED = 1_000  # rows read to judge whether a text column has few distinct values


def compact(frame: pl.DataFrame) -> pl.DataFrame:
    """Text columns with few distinct values (owners, segments, the playbook's actions) as
    categories: the table travels dictionary-encoded, 40 % smaller at 100k accounts. Judged on
    the first ``SAMPLED`` rows (fewer than one in ten distinct), so a draw costs the same at any
    size; a misjudged column only travels less compactly."""
    if frame.height < SAMPLED:
        return frame
    head = frame.head(SAMPLED)
    low = [
        c for c, t in frame.schema.items() if t == pl.String and head[c].n_unique() * 10 < SAMPLED
    ]
    return frame.with_columns(pl.col(low).cast(pl.Categorical)) if low else frame


def _standard(dtype: pa.DataType) -> pa.DataType:
    """Arrow's 64-bit strings and lists as 32-bit ones, dictionary keys as int32."""
    if pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype):
        return pa.string()
    if pa.types.is_dictionary(dtype):
        return pa.dictionary(pa.int32(), _standard(dtype.value_type))
    if pa.types.is_large_list(dtype) or pa.types.is_list(dtype):
        return pa.list_(_standard(dtype.value_type))
    return dtype


def arrow_table(frame: pl.DataFrame) -> pa.Table:
    """``frame`` as the Arrow table ``st.dataframe`` sends as it is, in the standard types the
    browser's Arrow reader takes. Given a Polars frame, Streamlit converts it to pandas and
    back to Arrow: at 85k accounts that is 110 ms of a page run, this 10 ms."""
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    schema = pa.schema([pa.field(f.name, _standard(f.type)) for f in table.schema])
    return table.cast(schema)


def show_table(
    frame: pl.DataFrame,
    spec: TableSpec,
    *,
    key: str | None = None,
    select: bool = False,
    placeholder: str = "—",
    height: int | str = "auto",
    rows: int | None = None,
    download: str | None = None,
    download_label: str | None = None,
) -> Any:
    """Draw ``frame`` as ``spec`` says (its first ``rows`` rows, when given); with ``select``
    one row can be picked (the event is returned). With ``download`` (a file name), a button
    below gives the whole frame as CSV with the page's columns, order and labels."""
    order = [c for c in spec.order if c in frame.columns]
    shown = compact(frame.select(order))  # only what is shown travels to the browser
    shown = with_band_labels(shown) if spec.bands else shown
    options: dict[str, Any] = (
        {"on_select": "rerun", "selection_mode": "single-row"} if select else {}
    )
    event = st.dataframe(
        arrow_table(shown if rows is None else shown.head(rows)),
        hide_index=True,
        placeholder=placeholder,
        column_config=spec.config,
        column_order=order,
        key=key,
        height=height,
        **options,
    )
    if download:
        download_csv(as_shown(frame, spec), download, download_label or download_name(download))
    return event


def as_shown(frame: pl.DataFrame, spec: TableSpec) -> pl.DataFrame:
    """``frame`` as the page shows it, for a download: the spec's columns in its order under
    their labels, numbers rounded to two places, lists joined. A CSV has no sign beside an
    amount: a money column's label names the currency ("ARR (EUR)"), and in a portfolio of
    several currencies each row's currency follows as a column."""
    hidden = {c for c, config in spec.config.items() if config is None}
    order = [c for c in spec.order if c in frame.columns and c not in hidden]
    money = {c for c in order if is_money_column(spec.config.get(c))}
    labels = {
        c: (money_label(label) if c in money else label)
        for c in order
        for label in [str((spec.config.get(c) or {}).get("label") or c)]
    }
    out = frame.select(order).with_columns(
        pl.col(pl.Float32, pl.Float64).round(2),
        pl.col(pl.List(pl.String)).list.join("; "),
    )
    if money and money_currency() == MIXED and "currency" in frame.columns:
        out = out.with_columns(frame["currency"].str.to_uppercase().alias("currency"))
        labels["currency"] = "Currency"
    return out.rename(labels)


def account_table(frame: pl.DataFrame, spec: TableSpec, key: str, **kw: Any) -> None:
    """``show_table`` of accounts where selecting a row opens that account's page."""
    from dashboard.ui.links import open_account

    event = show_table(frame, spec, key=key, select="account_id" in frame.columns, **kw)
    rows = event.selection.rows if event is not None and hasattr(event, "selection") else []
    if rows:
        open_account(frame["account_id"][rows[0]])
