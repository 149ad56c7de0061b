"""The Data page's import: stage uploads, map their columns, check, then load on confirm."""

from __future__ import annotations

import hashlib
import json

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard.config import get_settings
from dashboard.ingest.mapping import Mapping, suggest_mapping, suggest_table
from dashboard.ingest.readers import FileError, StagedFile, excel_sheets, view_name
from dashboard.ingest.session import ImportSession
from dashboard.ingest.validate import Prepared, allowed_values
from dashboard.schema import SOURCE_TABLES, columns, required_columns
from dashboard.ui.state import rescore, stores, today

SKIP = "(skip this file)"
NONE = "—"


def _signature(uploads: list[UploadedFile]) -> str:
    return hashlib.sha1(
        json.dumps([(u.name, u.size, u.file_id) for u in uploads]).encode()
    ).hexdigest()


def _session(uploads: list[UploadedFile]) -> ImportSession:
    """One ImportSession per set of uploads, kept in the browser session."""
    sig = _signature(uploads)
    current = st.session_state.get("import_session")
    if current is None or current[0] != sig:
        if current is not None:
            current[1].close()
        st.session_state["import_session"] = (sig, ImportSession(get_settings().max_upload_mb))
        st.session_state.pop("import_prepared", None)
    return st.session_state["import_session"][1]


def saved_mapping(source: str) -> Mapping | None:
    rows = stores().app.query("SELECT body FROM mappings WHERE source = ?", [source])
    return Mapping.model_validate_json(rows["body"][0]) if rows.height else None


def save_mapping(source: str, mapping: Mapping) -> None:
    with stores().app.transaction() as con:
        con.execute(
            "INSERT OR REPLACE INTO mappings VALUES (?, ?, ?, now())",
            [source, mapping.table, mapping.model_dump_json()],
        )


def _stage(session: ImportSession, upload: UploadedFile) -> StagedFile | None:
    view = view_name(upload.name)
    sheet = None
    if upload.name.lower().endswith(".xlsx"):
        path = session.save_upload(upload.name, upload.getvalue())
        try:
            sheets = excel_sheets(path)
        except FileError as exc:
            st.error(str(exc), icon=":material/error:")
            return None
        sheet = st.selectbox(f"Sheet of {upload.name}", sheets, key=f"sheet_{view}")
        if view in session.files and sheet not in " ".join(session.files[view].notes):
            del session.files[view]
    if view not in session.files:
        try:
            session.add(upload.name, upload.getvalue(), sheet)
        except FileError as exc:
            st.error(str(exc), icon=":material/error:")
            return None
    return session.files[view]


def _column_editor(staged: StagedFile, mapping: Mapping) -> Mapping:
    """Selectboxes, one per canonical column; value maps for the fixed vocabularies."""
    options = [NONE, *staged.columns]
    chosen: dict[str, str] = {}
    cols = st.columns(3)
    for i, column in enumerate(columns(mapping.table)):
        label = column + (" *" if column in required_columns(mapping.table) else "")
        default = mapping.columns.get(column, NONE)
        pick = cols[i % 3].selectbox(
            label, options, index=options.index(default) if default in options else 0,
            key=f"map_{staged.view}_{mapping.table}_{column}",
        )  # fmt: skip
        if pick != NONE:
            chosen[column] = pick
    values: dict[str, dict[str, str]] = {}
    session = st.session_state["import_session"][1]
    for column, source in chosen.items():
        allowed = allowed_values(mapping.table, column)
        if not allowed:
            continue
        distinct = session.con.sql(
            f'SELECT DISTINCT "{source}" AS v FROM "{staged.view}" WHERE "{source}" IS NOT NULL ORDER BY 1 LIMIT 31'
        ).fetchall()
        if not distinct or len(distinct) > 30:
            continue
        st.caption(f"Values of {source!r} → {column}")
        vcols = st.columns(4)
        for j, (value,) in enumerate(distinct):
            current = mapping.values.get(column, {}).get(value) or (
                value.lower() if value.lower() in allowed else NONE
            )
            target = vcols[j % 4].selectbox(
                str(value), [NONE, *allowed],
                index=([NONE, *allowed].index(current) if current in allowed else 0),
                key=f"val_{staged.view}_{column}_{value}",
            )  # fmt: skip
            if target != NONE and target != value:
                values.setdefault(column, {})[value] = target
    return mapping.model_copy(update={"columns": chosen, "values": values})


def file_plans(
    uploads: list[UploadedFile], session: ImportSession
) -> list[tuple[Mapping, str | None]]:
    """For each upload: which table it feeds and how its columns map (suggested or saved)."""
    plan: list[tuple[Mapping, str | None]] = []
    tables = [SKIP, *SOURCE_TABLES]
    for upload in uploads:
        with st.container(border=True):
            staged = _stage(session, upload)
            if staged is None:
                continue
            saved = saved_mapping(upload.name)
            suggested = saved.table if saved else suggest_table(staged.columns, upload.name)
            notes = "; ".join(staged.notes)
            st.markdown(f"**{upload.name}** — {staged.rows:,} rows, {len(staged.columns)} columns"
                        + (f" ({notes})" if notes else ""))  # fmt: skip
            if staged.bad_lines is not None:
                st.warning(f"{staged.bad_lines.height} line(s) have the wrong number of fields; "
                           "they will be listed with the rejected rows.")  # fmt: skip
            table = st.selectbox(
                "Feeds table", tables, index=tables.index(suggested) if suggested else 0,
                key=f"table_{staged.view}",
                help="Suggested from the column names" + (" (saved mapping)" if saved else ""),
            )  # fmt: skip
            if table == SKIP:
                continue
            base = (
                saved if saved and saved.table == table else suggest_mapping(table, staged.columns)
            )
            with st.expander("Column mapping", expanded=False):
                mapping = _column_editor(staged, base)
            st.download_button(
                "Mapping as TOML", mapping.to_toml(), file_name=f"{staged.view}.toml",
                key=f"toml_{staged.view}", on_click="ignore", icon=":material/download:",
            )  # fmt: skip
            plan.append((mapping, staged.view))
    return plan


def sql_plans() -> list[tuple[Mapping, str | None]]:
    """Tables defined by an SQL query over the uploaded files (one query per table)."""
    plans: list[tuple[Mapping, str | None]] = []
    with st.expander("Define tables with SQL over the uploaded files"):
        st.caption(
            "DuckDB dialect. Each uploaded file is a table named after it (`Ravenstack Accounts.csv`"
            " → `ravenstack_accounts`); the query runs where nothing but those files is visible, "
            "and names its output columns as the canonical table does."
        )
        tables = st.multiselect("Tables", list(SOURCE_TABLES), key="sql_tables")
        for table in tables:
            query = st.text_area(f"Query for {table}", key=f"sql_{table}", height=140)
            if query.strip():
                plans.append((Mapping(table=table, query=query), None))
    return plans


def report(prepared: list[Prepared]) -> bool:
    """Show what would load; True when everything can load."""
    ok = True
    for p in prepared:
        with st.container(border=True):
            st.markdown(f"**{p.table}** ← {p.source}")
            for error in p.errors:
                st.error(error, icon=":material/error:")
                ok = False
            if p.errors:
                continue
            st.markdown(f"{p.valid_rows:,} of {p.total_rows:,} rows are fine; "
                        f"{p.rejects.height:,} rejected.")  # fmt: skip
            for note in p.notes:
                st.info(note, icon=":material/info:")
            if p.rejects.height:
                st.dataframe(p.rejects.head(100), hide_index=True, key=f"rejects_{p.table}")
                st.download_button(
                    "Download the rejected rows with their reasons",
                    p.rejects.write_csv(), file_name=f"{p.table}-rejected.csv",
                    key=f"rejects_dl_{p.table}", on_click="ignore", icon=":material/download:",
                )  # fmt: skip
    return ok


def import_panel() -> None:
    """Upload → map → check → confirm → load (one transaction) → rescore."""
    uploads = st.file_uploader(
        "CSV, TSV, Parquet or XLSX files", accept_multiple_files=True,
        type=["csv", "tsv", "txt", "parquet", "xlsx"], key="uploads",
    )  # fmt: skip
    if not uploads:
        st.caption("Upload one or more exports; each is matched to a canonical table.")
        return
    session = _session(uploads)
    plan = file_plans(uploads, session) + sql_plans()
    if not plan:
        return
    if st.button("Check the data", icon=":material/fact_check:", key="import_check"):
        st.session_state["import_prepared"] = session.prepare(plan, stores(), today())
    prepared: list[Prepared] | None = st.session_state.get("import_prepared")
    if prepared is None:
        st.caption("Nothing is written until you check the data and confirm the load.")
        return
    if not report(prepared):
        st.error(
            "Nothing can be loaded until the errors above are fixed; the stored data is unchanged."
        )
        return
    if st.button("Load into Tandem", type="primary", icon=":material/upload:", key="import_load"):
        with st.status("Loading…", expanded=True) as status:
            counts = session.load(stores(), prepared, "upload")
            for mapping, view in plan:
                if view:
                    save_mapping(session.files[view].name, mapping)
            as_of = rescore()
            status.update(label="Loaded and rescored", state="complete")
        st.session_state.pop("import_prepared", None)
        st.success("Loaded " + ", ".join(f"{n:,} {t}" for t, n in counts.items())
                   + f"; scored as of {as_of}.")  # fmt: skip
