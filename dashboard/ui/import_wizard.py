"""The Data page's import: stage uploads, map their columns, check, see the impact, confirm
what needs a yes, then load into the team's workspace (never the demo's)."""

from __future__ import annotations

import hashlib
import json

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard.ingest.bundle import plan_recognised
from dashboard.ingest.impact import MODE_LABELS, ImportRefused, LoadMode, impact_frame, refusals
from dashboard.ingest.mapping import Mapping, suggest_mapping
from dashboard.ingest.readers import FileError, StagedFile, excel_sheets, view_name
from dashboard.ingest.session import ImportSession
from dashboard.ingest.validate import Prepared, allowed_values
from dashboard.schema import SOURCE_TABLES, columns, required_columns
from dashboard.store.mappings import save_mapping_json, saved_mapping_json
from dashboard.store.pins import pins_of_folder, save_pin
from dashboard.store.workspaces import team_store
from dashboard.text import md
from dashboard.ui.identity import current_viewer
from dashboard.ui.load_history import signed_in_actor
from dashboard.ui.state import (
    now,
    org_root,
    rescore,
    root_stores,
    switch_to_team_data,
    team_stores,
    today,
)
from dashboard.ui.tables import download_csv

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
        st.session_state["import_session"] = (sig, ImportSession())
        st.session_state.pop("import_checked", None)
    return st.session_state["import_session"][1]


def saved_mapping(source: str) -> Mapping | None:
    body = saved_mapping_json(root_stores().app, source)
    return Mapping.model_validate_json(body) if body else None


def _stage(session: ImportSession, upload: UploadedFile) -> StagedFile | None:
    """The upload staged (once per set of uploads); a bad file shows its message."""
    view = view_name(upload.name)
    sheet = None
    if upload.name.lower().endswith(".xlsx"):
        path = session.save_upload(upload.name, upload.getvalue())
        try:
            sheets = excel_sheets(path, session.limits)
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


def _column_editor(session: ImportSession, staged: StagedFile, mapping: Mapping) -> Mapping:
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
    for column, source in chosen.items():
        allowed = allowed_values(mapping.table, column)
        if not allowed:
            continue
        distinct = session.distinct_values(staged.view, source, 31)
        if not distinct or len(distinct) > 30:
            continue
        st.caption(f"Values of {md(repr(source))} → {column}")
        vcols = st.columns(4)
        for j, value in enumerate(distinct):
            current = mapping.values.get(column, {}).get(value) or (
                value.lower() if value.lower() in allowed else NONE
            )
            target = vcols[j % 4].selectbox(
                value, [NONE, *allowed],
                index=([NONE, *allowed].index(current) if current in allowed else 0),
                key=f"val_{staged.view}_{column}_{j}",
            )  # fmt: skip
            if target != NONE and target != value:
                values.setdefault(column, {})[value] = target
    return mapping.model_copy(update={"columns": chosen, "values": values})


def file_plans(
    uploads: list[UploadedFile], session: ImportSession
) -> tuple[list[tuple[Mapping, str | None]], dict[str, str]]:
    """For each upload: which table it feeds and how its columns map (saved, recognised
    from a vendor layout, or suggested); a vendor's reference files are read with their main
    file. Returns the plan and the preset of each file."""
    staged = {u.name: _stage(session, u) for u in uploads}
    views = [f.view for f in staged.values() if f is not None]
    recognised, presets, references, _ = plan_recognised(session, views)
    by_view = dict((v, m) for m, v in recognised if v)
    refs = {r.file: r for r in references}
    plan: list[tuple[Mapping, str | None]] = []
    tables = [SKIP, *SOURCE_TABLES]
    for upload in uploads:
        file = staged[upload.name]
        if file is None:
            continue
        with st.container(border=True):
            saved = saved_mapping(upload.name)
            found = saved or by_view.get(file.view)
            notes = "; ".join(file.notes)
            st.markdown(f"**{md(upload.name)}** — {file.rows:,} rows, {len(file.columns)} columns"
                        + (f" ({md(notes)})" if notes else ""))  # fmt: skip
            if file.bad_lines is not None:
                st.warning(f"{file.bad_lines.height} line(s) could not be read as rows; "
                           "they will be listed with the rejected rows.")  # fmt: skip
            ref = refs.get(upload.name)
            if ref is not None:
                used = f"read with {md(ref.used_by)}" if ref.used_by else "not loaded on its own"
                st.caption(
                    f"Recognised: {md(ref.preset)}, a reference file for {ref.table}: {used}."
                )
            elif presets.get(file.view):
                st.caption(
                    f"Recognised: {md(presets[file.view])}" + (" (saved mapping)" if saved else "")
                )
            else:
                st.caption("No table recognised from the column names: pick one.")
            default = found.table if found and ref is None else SKIP
            table = st.selectbox(
                "Feeds table", tables, index=tables.index(default), key=f"table_{file.view}"
            )
            if table == SKIP:
                continue
            if found is not None and found.table == table and found.query:
                with st.expander("Query (the vendor layout's, over this file and its companions)"):
                    query = st.text_area("Query", found.query, key=f"query_{file.view}", height=160)
                plan.append((found.model_copy(update={"query": query}), file.view))
                continue
            base = found if found and found.table == table else suggest_mapping(table, file.columns)
            with st.expander("Column mapping", expanded=False):
                mapping = _column_editor(session, file, base)
            st.download_button(
                "Mapping as TOML", mapping.to_toml(), file_name=f"{file.view}.toml",
                key=f"toml_{file.view}", on_click="ignore", icon=":material/download:",
            )  # fmt: skip
            plan.append((mapping, file.view))
    return plan, presets


def sql_plans() -> list[tuple[Mapping, str | None]]:
    """Tables defined by an SQL query over the uploaded files (one query per table)."""
    plans: list[tuple[Mapping, str | None]] = []
    with st.expander("Define tables with SQL over the uploaded files"):
        st.caption(
            "DuckDB dialect. Each uploaded file is a table named after it (`Ravenstack Accounts.csv`"
            " → `ravenstack_accounts`); the query runs where nothing but those files is visible, "
            "under a time and memory limit, and names its output columns as the canonical table "
            "does."
        )
        tables = st.multiselect("Tables", list(SOURCE_TABLES), key="sql_tables")
        for table in tables:
            query = st.text_area(f"Query for {table}", key=f"sql_{table}", height=140)
            if query.strip():
                plans.append((Mapping(table=table, query=query), None))
    return plans


def _prepared_report(index: int, p: Prepared) -> bool:
    """One checked source: its errors, counts, notes and rejects; True when it can load."""
    with st.container(border=True):
        st.markdown(f"**{p.table}** ← {md(p.source)}" + (f" · {md(p.preset)}" if p.preset else ""))
        for error in p.errors:
            st.error(error, icon=":material/error:")
        if p.errors:
            return False
        st.markdown(f"{p.valid_rows:,} of {p.total_rows:,} rows are fine; "
                    f"{p.total_rows - p.valid_rows:,} rejected.")  # fmt: skip
        for note in p.notes:
            st.info(md(note), icon=":material/info:")
        if p.matched_by:
            rules = ", ".join(f"{n:,} by {MATCH_RULES.get(r, r)}" for r, n in p.matched_by.items())
            st.caption(f"Rows matched to {p.accounts_matched:,} accounts: {rules}; "
                       f"{p.accounts_unmatched:,} keys matched none.")  # fmt: skip
        if p.unmatched_keys:
            _pin_form(st.session_state["import_session"][1], index, p)
        if p.rejects.height:
            st.dataframe(p.rejects.head(100), hide_index=True, key=f"rejects_{index}_{p.table}")
            download_csv(
                p.rejects, f"{p.table}-{view_name(p.source)}-rejected.csv",
                "Download the rejected rows with their reasons", key=f"rejects_dl_{index}",
            )  # fmt: skip
    return True


MATCH_RULES = {
    "pinned": "a pinned match",
    "crm_id": "CRM id",
    "foreign_id": "another system's id",
    "email_domain": "e-mail domain",
    "name": "organisation name",
}


def _pin_form(session: ImportSession, index: int, p: Prepared) -> None:
    """Pin a key that matched no account to the account it is (then check again)."""
    with st.expander(f"Pin a match ({len(p.unmatched_keys)} keys matched no account)"):
        key = st.selectbox("Key in the file", p.unmatched_keys, key=f"pin_key_{index}")
        text = st.text_input("Find the account (name or id contains)", key=f"pin_find_{index}")
        options = session.find_accounts(text)
        account = st.selectbox(
            "is the account", list(options), format_func=options.get, key=f"pin_account_{index}"
        )
        if st.button("Pin", key=f"pin_{index}", disabled=not (key and account)):
            save_pin(team_stores().app, p.system or "", key, account, current_viewer().name, now())
            st.session_state.pop("import_checked", None)
            st.toast(f"Pinned {key}: check the data again")
            st.rerun()


def _impact_report(checked: tuple[list[Prepared], list]) -> bool:
    """The impact per table and what needs a yes; True when the load may go ahead."""
    _, impacts = checked
    st.markdown("**What the load does to the stored tables**")
    st.dataframe(
        impact_frame(impacts), hide_index=True, key="import_impact",
        column_config={
            "table": st.column_config.TextColumn("Table"),
            "rows_now": st.column_config.NumberColumn("Rows now", format="localized"),
            "rows_after": st.column_config.NumberColumn("Rows after", format="localized"),
            "added": st.column_config.NumberColumn("Added", format="localized"),
            "removed": st.column_config.NumberColumn("Removed", format="localized"),
            "changed": st.column_config.NumberColumn("Changed", format="localized"),
            "rejected": st.column_config.NumberColumn("Rejected", format="localized"),
            "losing_their_account": st.column_config.NumberColumn(
                "Child rows losing their account", format="localized"
            ),
            "status": st.column_config.TextColumn("Status"),
        },
    )  # fmt: skip
    blocked = [i.blocked for i in impacts if i.blocked]
    for reason in blocked:
        st.error(reason, icon=":material/block:")
    if blocked:
        return False
    warnings = [w for i in impacts for w in i.warnings]
    if warnings:
        st.warning("This load needs a yes:\n\n" + "\n".join(f"- {w}" for w in warnings),
                   icon=":material/warning:")  # fmt: skip
        return st.checkbox(
            "Yes: make these changes to the stored data", key="import_confirm", value=False
        )
    return True


def import_panel() -> None:
    """Upload → map → check → impact → confirm → load (one transaction) → rescore."""
    done = st.session_state.pop("import_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    uploads = st.file_uploader(
        "CSV, TSV, Parquet or XLSX files", accept_multiple_files=True,
        type=["csv", "tsv", "txt", "parquet", "xlsx"], key="uploads",
    )  # fmt: skip
    if not uploads:
        st.caption("Upload one or more exports; each is matched to a canonical table.")
        return
    session = _session(uploads)
    files, presets = file_plans(uploads, session)
    plan = files + sql_plans()
    if not plan:
        return
    mode = LoadMode(
        st.radio(
            "How the files change the stored tables",
            [m.value for m in LoadMode],
            format_func=lambda m: MODE_LABELS[LoadMode(m)],
            key="import_mode",
        )  # fmt: skip
    )
    signature = (repr(plan), mode.value)
    if st.button("Check the data", icon=":material/fact_check:", key="import_check"):
        store = team_store(org_root())
        prepared = session.prepare(plan, store, today(), mode, pins_of_folder(org_root()))
        for p in prepared:
            p.preset = presets.get(p.view or "")
        impacts = session.impact(prepared, store, mode) if all(p.ok for p in prepared) else []
        st.session_state["import_checked"] = (signature, prepared, impacts)
        st.session_state.pop("import_confirm", None)
    checked = st.session_state.get("import_checked")
    if checked is None or checked[0] != signature:
        st.caption("Nothing is written until you check the data, see what it changes and load.")
        return
    _, prepared, impacts = checked
    fine = [_prepared_report(i, p) for i, p in enumerate(prepared)]
    if not all(fine):
        st.error(
            "Nothing can be loaded until the errors above are fixed; the stored data is unchanged."
        )
        return
    confirmed = _impact_report((prepared, impacts))
    load = st.button(
        "Load into Tandem", type="primary", icon=":material/upload:", key="import_load",
        disabled=not confirmed or bool(refusals(impacts, confirmed)),
    )  # fmt: skip
    if load:
        _load(session, plan, prepared, impacts)


def _load(session: ImportSession, plan: list, prepared: list[Prepared], impacts: list) -> None:
    with st.status("Loading…", expanded=True) as status:
        target = team_stores()  # the team's workspace: a demo there moves out first
        try:
            counts = session.load(
                target, prepared, impacts, "upload", confirmed=True, actor=signed_in_actor()
            )
        except (ImportRefused, FileError) as exc:
            status.update(label="Nothing was loaded", state="error")
            st.error(str(exc), icon=":material/block:")
            return
        for mapping, view in plan:
            if view:
                save_mapping_json(
                    target.app, session.files[view].name, mapping.table,
                    mapping.model_dump_json(), now(),
                )  # fmt: skip
        switch_to_team_data()
        as_of = rescore()
        status.update(label="Loaded and rescored", state="complete")
    st.session_state.pop("import_checked", None)
    # run the page again so everything above (table counts, sidebar) shows the new data
    st.session_state["import_done"] = (
        "Loaded " + ", ".join(f"{n:,} {t}" for t, n in counts.items())
        + f" into your workspace; scored as of {as_of}."
    )  # fmt: skip
    st.rerun()
