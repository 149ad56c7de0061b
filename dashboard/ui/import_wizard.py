"""The Data page's import: stage uploads, map their columns, check, see the impact, confirm
what needs a yes, then load into the team's workspace (never the demo's)."""

from __future__ import annotations

import hashlib
import json
import uuid

import polars as pl
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard.schema import SOURCE_TABLES, columns, required_columns
from dashboard.store.mappings import saved_mapping_json
from dashboard.store.pins import pins_of_folder
from dashboard.store.workspaces import team_store
from dashboard.text import md
from dashboard.ui.identity import current_viewer
from dashboard.ui.state import (
    now,
    org_root,
    rescore_after_load,
    root_stores,
    team_stores,
    today,
)
from dashboard.ui.tables import download_csv
from dashboard.workflows.access import NotAllowed
from dashboard.workflows.import_flow import (
    BECOMES,
    MODE_LABELS,
    Checked,
    ColumnChoice,
    FileError,
    ImportFlow,
    ImportRefused,
    LoadMode,
    Mapping,
    Plan,
    Prepared,
    Recognition,
    StagedFile,
    allowed_values,
    impact_frame,
    view_name,
    vocabulary_table,
    with_edits,
)
from dashboard.workflows.imports import CheckStamp, may_confirm_identities
from dashboard.workflows.pins import pin_match, pin_versions

SKIP = "(skip this file)"
NONE = "—"


def _mode_label(mode: str) -> str:
    return MODE_LABELS[LoadMode(mode)]


def _signature(uploads: list[UploadedFile]) -> str:
    return hashlib.sha1(
        json.dumps([(u.name, u.size, u.file_id) for u in uploads]).encode()
    ).hexdigest()


@st.cache_resource(show_spinner=False)
def _open_flows() -> dict[str, ImportFlow]:
    """The import flows of this process's sessions, by token: a flow holds a staging engine
    (a live DuckDB connection), which has no place in a session's state (that holds only
    what can be serialised: the token)."""
    return {}


FLOWS_KEPT = 32  # sessions that left without closing theirs: the oldest are closed


def _session(uploads: list[UploadedFile]) -> ImportFlow:
    """One import flow per set of uploads, kept for the browser session under a token."""
    sig = _signature(uploads)
    flows = _open_flows()
    current = st.session_state.get("import_session")
    if current is None or current[0] != sig or current[1] not in flows:
        if current is not None and current[1] in flows:
            flows.pop(current[1]).close()
        token = uuid.uuid4().hex
        flows[token] = ImportFlow()
        while len(flows) > FLOWS_KEPT:
            flows.pop(next(iter(flows))).close()
        st.session_state["import_session"] = (sig, token)
        st.session_state.pop("import_checked", None)
        for key in [k for k in st.session_state if str(k).startswith("vocab_map_")]:
            del st.session_state[key]  # a person's status edits belong to those uploads
    return flows[st.session_state["import_session"][1]]


def saved_mapping(source: str) -> Mapping | None:
    body = saved_mapping_json(root_stores().app, source)
    return Mapping.model_validate_json(body) if body else None


def _stage(session: ImportFlow, upload: UploadedFile) -> StagedFile | None:
    """The upload staged (once per set of uploads); a bad file shows its message."""
    view = view_name(upload.name)
    sheet = None
    if upload.name.lower().endswith(".xlsx"):
        path = session.save_upload(upload.name, upload.getvalue())
        try:
            sheets = session.sheets(path)
        except FileError as exc:
            st.error(str(exc), icon=":material/error:")
            return None
        sheet = st.selectbox(f"Sheet of {upload.name}", sheets, key=f"sheet_{view}")
        if view in session.files and sheet not in " ".join(session.files[view].notes):
            session.drop(view)
    if view not in session.files:
        try:
            session.add(upload.name, upload.getvalue(), sheet)
        except FileError as exc:
            st.error(str(exc), icon=":material/error:")
            return None
    return session.files[view]


def _column_editor(session: ImportFlow, staged: StagedFile, mapping: Mapping) -> Mapping:
    """Selectboxes, one per canonical column; value maps for the fixed vocabularies."""
    options = [NONE, *staged.columns]
    chosen: dict[str, str] = {}
    cols = st.columns(3)
    for i, column in enumerate(columns(mapping.table)):
        label = column + (" *" if column in required_columns(mapping.table) else "")
        default = mapping.columns.get(column, NONE)
        pick = cols[i % 3].selectbox(
            label,
            options,
            index=options.index(default) if default in options else 0,
            key=f"map_{staged.view}_{mapping.table}_{column}",
        )
        if pick != NONE:
            chosen[column] = pick
    # the value maps are the mapping's own (a preset's, a saved one), whole: a value is
    # looked up as the check looks it up (``Mapping.value_for``: any case), and only a pick
    # the person changed from what the map shows is written back
    mapped = mapping.model_copy(update={"columns": chosen})
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
            target = mapping.value_for(column, value)
            if target is None:
                target = value.lower()
            shown = target if target in allowed else NONE
            picked = vcols[j % 4].selectbox(
                value,
                [NONE, *allowed],
                index=[NONE, *allowed].index(shown),
                key=f"val_{staged.view}_{column}_{j}",
            )
            if picked != shown:
                mapped = mapped.with_value(column, value, None if picked == NONE else picked)
    return mapped


def _recognition_caption(found: Recognition | None, saved: bool) -> None:
    """Say what the file was recognised as, how sure, and why; or ask."""
    if found is None:
        st.caption("Pick the table this file feeds.")
        return
    why = "; ".join(found.evidence[:4])
    if found.verdict == "table":
        layout = f" ({md(found.preset)})" if found.preset else ""
        st.caption(
            f"Recognised: **{found.table}**{layout}, confidence {found.confidence:.0%}"
            + (" (saved mapping)" if saved else "")
            + f". Evidence: {md(why)}"
        )
    elif found.verdict == "not_customer":
        st.info(
            f"Not customer data: {md(why)}. It is left out; pick a table to load it anyway.",
            icon=":material/block:",
        )
    else:
        guesses = " or ".join(found.guesses())
        st.warning(
            f"Needs a table: the evidence does not decide (best guesses {guesses}, "
            f"confidence {found.confidence:.0%}). Pick the table it feeds, or skip it.",
            icon=":material/help:",
        )


def _column_confidence(choices: list[ColumnChoice]) -> None:
    """Each column the evidence mapped, with its confidence (and those it left out)."""
    if not choices:
        return
    st.caption(
        "Columns: "
        + "; ".join(
            f"{c.column} ← {md(c.source)} ({c.confidence:.0%}, {md(c.why)})" for c in choices
        )
    )


def _table_choices(tables: list[str], found: Recognition | None) -> list[str]:
    """The tables to pick from, recognition's two best guesses first when it asks."""
    if found is None or found.verdict != "ask":
        return tables
    first = [g for g in found.guesses() if g in tables]
    return [SKIP, *first, *(t for t in tables if t not in first and t != SKIP)]


def file_plans(uploads: list[UploadedFile], session: ImportFlow) -> tuple[Plan, dict[str, str]]:
    """For each upload: which table it feeds and how its columns map (saved, recognised
    from a vendor layout, or suggested); a vendor's reference files are read with their main
    file. Returns the plan and the preset of each file."""
    staged = {u.name: _stage(session, u) for u in uploads}
    views = [f.view for f in staged.values() if f is not None]
    found_files = session.recognise(views)
    presets, references = found_files.presets, found_files.references
    by_view = {v: m for m, v in found_files.work if v}
    refs = {r.file: r for r in references}
    plan: Plan = []
    tables = [SKIP, *SOURCE_TABLES]
    for upload in uploads:
        file = staged[upload.name]
        if file is None:
            continue
        with st.container(border=True):
            saved = saved_mapping(upload.name)
            found = saved or by_view.get(file.view)
            notes = "; ".join(file.notes)
            st.markdown(
                f"**{md(upload.name)}** — {file.rows:,} rows, {len(file.columns)} columns"
                + (f" ({md(notes)})" if notes else "")
            )
            if file.bad_lines is not None:
                st.warning(
                    f"{file.bad_lines.height} line(s) could not be read as rows; "
                    "they will be listed with the rejected rows."
                )
            ref = refs.get(upload.name)
            if ref is not None:
                used = f"read with {md(ref.used_by)}" if ref.used_by else "not loaded on its own"
                st.caption(
                    f"Recognised: {md(ref.preset)}, a reference file for {ref.table}: {used}."
                )
            else:
                _recognition_caption(found_files.recognitions.get(upload.name), saved is not None)
            _column_confidence(found_files.columns.get(upload.name, []))
            default = found.table if found and ref is None else SKIP
            choices = _table_choices(tables, found_files.recognitions.get(upload.name))
            table = st.selectbox(
                "Feeds table", choices, index=choices.index(default), key=f"table_{file.view}"
            )
            if table == SKIP:
                continue
            if found is not None and found.table == table and found.query:
                with st.expander("Query (the vendor layout's, over this file and its companions)"):
                    query = st.text_area("Query", found.query, key=f"query_{file.view}", height=160)
                plan.append((found.model_copy(update={"query": query}), file.view))
                continue
            base = found if found and found.table == table else session.suggest(table, file.columns)
            with st.expander("Column mapping", expanded=False):
                mapping = _column_editor(session, file, base)
            st.download_button(
                "Mapping as TOML",
                mapping.to_toml(),
                file_name=f"{file.view}.toml",
                key=f"toml_{file.view}",
                on_click="ignore",
                icon=":material/download:",
            )
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
        st.markdown(
            f"{p.valid_rows:,} of {p.total_rows:,} rows are fine; "
            f"{p.total_rows - p.valid_rows - p.not_customers:,} rejected"
            + (f"; {p.not_customers:,} not customers (not loaded)." if p.not_customers else ".")
        )
        for note in p.notes:
            st.info(md(note), icon=":material/info:")
        _vocabulary_editor(p)
        if p.matched_by:
            rules = ", ".join(f"{n:,} by {MATCH_RULES.get(r, r)}" for r, n in p.matched_by.items())
            st.caption(
                f"Rows matched to {p.accounts_matched:,} accounts: {rules}; "
                f"{p.accounts_unmatched:,} keys matched none."
            )
        if p.unmatched_keys:
            _pin_form(_open_flows()[st.session_state["import_session"][1]], index, p)
        if p.rejects.height:
            st.dataframe(p.rejects.head(100), hide_index=True, key=f"rejects_{index}_{p.table}")
            download_csv(
                p.rejects,
                f"{p.table}-{view_name(p.source)}-rejected.csv",
                "Download the rejected rows with their reasons",
                key=f"rejects_dl_{index}",
            )
    return True


def _vocabulary_editor(p: Prepared) -> None:
    """Every status value with its rows and what it became; a person may change what a
    value becomes (then the data is checked again, and the map is saved with the mapping)."""
    table = vocabulary_table(p)
    if table.is_empty() or not p.view:
        return
    current = p.mapping.values.get("status", {})
    st.caption("Status values and what each became (change one, then check the data again)")
    edited = st.data_editor(
        table,
        hide_index=True,
        disabled=["value", "rows", "rule"],
        key=f"vocab_{p.view}_{hashlib.sha1(repr(sorted(current.items())).encode()).hexdigest()[:8]}",
        column_config={
            "value": st.column_config.TextColumn("Value in the file"),
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "became": st.column_config.SelectboxColumn("Became", options=BECOMES, required=True),
            "rule": st.column_config.TextColumn("By"),
        },
    )
    if not isinstance(edited, pl.DataFrame):  # a pandas frame back from the browser
        edited = pl.from_pandas(edited)
    wanted = with_edits(current, edited)
    if wanted != current:
        st.session_state[f"vocab_map_{p.view}"] = wanted
        st.session_state.pop("import_checked", None)
        st.rerun()


def _with_vocabulary(mapping: Mapping, view: str | None) -> tuple[Mapping, str | None]:
    """The mapping with the status values a person changed in the preview."""
    edits = st.session_state.get(f"vocab_map_{view}")
    if not edits or mapping.table != "accounts" or "status" not in mapping.columns:
        return mapping, view
    values = {**mapping.values, "status": {**mapping.values.get("status", {}), **edits}}
    return mapping.model_copy(update={"values": values}), view


MATCH_RULES = {
    "pinned": "a pinned match",
    "crm_id": "CRM id",
    "foreign_id": "another system's id",
    "email_domain": "e-mail domain",
    "name": "organisation name",
}


def _pin_clicked(widgets: dict[str, str], system: str, versions: dict[str, str]) -> None:
    """The Pin button's callback: the key and account the person saw picked (read by value
    from the widgets of the version they were shown) with the version of that key's pin,
    for the run that follows."""
    key = st.session_state.get(widgets["key"])
    st.session_state["pin_pending"] = {
        "system": system,
        "key": key,
        "account": st.session_state.get(widgets["account"]),
        "seen_version": versions.get(key, ""),
    }


def _pin_pending() -> None:
    """Record the pin clicked in the last run, on the version it was shown, or say why not
    (pinned meanwhile in another tab: who, to what, when). Either way the check no longer
    holds: the data is checked again with the pins as they are."""
    pending = st.session_state.pop("pin_pending", None)
    if not pending:
        return
    st.session_state.pop("import_checked", None)
    try:
        pin_match(
            team_stores().app,
            pending["system"],
            pending["key"],
            pending["account"],
            current_viewer().name,
            now(),
            seen_version=pending["seen_version"],
        )
    except ValueError as exc:
        st.error(md(str(exc)), icon=":material/block:")
    else:
        st.success(
            f"Pinned {md(pending['key'])} to {md(pending['account'])}: check the data again",
            icon=":material/push_pin:",
        )


def _pin_form(session: ImportFlow, index: int, p: Prepared) -> None:
    """Pin a key that matched no account to the account it is (then check again). The
    widgets' keys carry the keys offered and their pins' versions: a check after a pin draws
    them afresh instead of moving the old pick onto another key."""
    system = p.system or ""
    versions = pin_versions(team_stores().app, system, p.unmatched_keys)
    seen = hashlib.sha1(repr((system, sorted(versions.items()))).encode()).hexdigest()[:8]
    with st.expander(f"Pin a match ({len(p.unmatched_keys)} keys matched no account)"):
        widgets = {"key": f"pin_key_{index}_{seen}", "account": f"pin_account_{index}_{seen}"}
        key = st.selectbox("Key in the file", p.unmatched_keys, key=widgets["key"])
        text = st.text_input(
            "Find the account (name or id contains)", key=f"pin_find_{index}_{seen}"
        )
        options = session.find_accounts(text)
        account = st.selectbox(
            "is the account", list(options), format_func=options.get, key=widgets["account"]
        )
        st.button(
            "Pin",
            key=f"pin_{index}_{seen}",
            disabled=not (key and account),
            on_click=_pin_clicked,
            args=(widgets, system, versions),
        )


def _impact_report(checked: Checked) -> bool:
    """The impact per table and what needs a yes; True when the load may go ahead."""
    impacts = checked.impacts
    st.markdown("**What the load does to the stored tables**")
    st.dataframe(
        impact_frame(impacts),
        hide_index=True,
        key="import_impact",
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
            "identity_changes": st.column_config.NumberColumn(
                "Identity changes", help="Changes to people's e-mail, role or team: a leader's yes"
            ),
            "status": st.column_config.TextColumn("Status"),
        },
    )
    blocked = [i.blocked for i in impacts if i.blocked]
    for reason in blocked:
        st.error(reason, icon=":material/block:")
    if blocked:
        return False
    warnings = [w for i in impacts for w in i.warnings]
    confirmed = True
    if warnings:
        st.warning(
            "This load needs a yes:\n\n" + "\n".join(f"- {w}" for w in warnings),
            icon=":material/warning:",
        )
        confirmed = st.checkbox(
            "Yes: make these changes to the stored data", key="import_confirm", value=False
        )
    return confirmed and _identity_yes(checked)


def _identity_yes(checked: Checked) -> bool:
    """The people this load would change (sign-in and digests follow the owners table):
    listed, and loaded only with a leader's own yes."""
    changes = checked.identity_changes
    if not changes:
        return True
    st.warning(
        "This load changes who people are (sign-in and digests follow the owners table):\n\n"
        + "\n".join(f"- {md(c.describe())}" for c in changes),
        icon=":material/badge:",
    )
    if not may_confirm_identities(current_viewer()):
        st.error(
            "Only a leader can confirm changes to people's e-mail, role or team.",
            icon=":material/lock:",
        )
        return False
    return st.checkbox(
        "Yes: change these people's e-mail, role or team (audited)",
        key="import_identity_yes",
        value=False,
    )


def import_panel() -> None:
    """Upload → map → check → impact → confirm → load (one transaction) → rescore."""
    done = st.session_state.pop("import_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    _pin_pending()
    uploads = st.file_uploader(
        "CSV, TSV, Parquet or XLSX files",
        accept_multiple_files=True,
        type=["csv", "tsv", "txt", "parquet", "xlsx"],
        key="uploads",
    )
    if not uploads:
        st.caption("Upload one or more exports; each is matched to a canonical table.")
        return
    session = _session(uploads)
    files, presets = file_plans(uploads, session)
    plan = [_with_vocabulary(m, v) for m, v in files] + sql_plans()
    if not plan:
        return
    mode = LoadMode(
        st.radio(
            "How the files change the stored tables",
            [m.value for m in LoadMode],
            format_func=_mode_label,
            key="import_mode",
        )
    )
    # a check holds for its organisation's folder, its plan and its mode (see _load too)
    signature = (repr(plan), mode.value, str(org_root().resolve()))
    if st.button("Check the data", icon=":material/fact_check:", key="import_check"):
        store = team_store(org_root())
        check = session.check(plan, store, today(), mode, pins_of_folder(org_root()), presets)
        st.session_state["import_checked"] = (signature, check, _stamp(signature))
        st.session_state.pop("import_confirm", None)
        st.session_state.pop("import_identity_yes", None)
    checked = st.session_state.get("import_checked")
    if checked is None or checked[0] != signature:
        st.caption("Nothing is written until you check the data, see what it changes and load.")
        return
    _, check, stamp = checked
    fine = [_prepared_report(i, p) for i, p in enumerate(check.prepared)]
    if not all(fine):
        st.error(
            "Nothing can be loaded until the errors above are fixed; the stored data is unchanged."
        )
        return
    confirmed = _impact_report(check)
    identity_yes = bool(check.identity_changes) and confirmed
    load = st.button(
        "Load into Tandem",
        type="primary",
        icon=":material/upload:",
        key="import_load",
        disabled=not confirmed or bool(check.refused(confirmed, identity_yes)),
    )
    if load:
        _load(session, plan, check, (stamp, _stamp(signature)), identity_yes)


def _stamp(signature: tuple[str, ...]) -> CheckStamp:
    """What a check of this plan is bound to: the organisation's folder, the plan and mode,
    the stored data's version (a load is refused when any of them moved since)."""
    store = team_store(org_root())
    return CheckStamp.of(org_root(), repr(signature), store.data_version() if store else None)


def _load(
    session: ImportFlow,
    plan: Plan,
    check: Checked,
    stamps: tuple[CheckStamp, CheckStamp],
    identity_yes: bool,
) -> None:
    """The flow loads (refusing a stale check or a yes this person may not give), keeps
    the mappings for the next upload of these files, and rescores."""
    with st.status("Loading…", expanded=True) as status:
        try:
            loaded = session.load(
                check,
                team_stores(),  # the team's workspace: a demo there moves out first
                "upload",
                rescore=rescore_after_load,
                confirmed=True,
                identity_confirmed=identity_yes,
                actor=current_viewer().name,
                viewer=current_viewer(),  # the signed-in person, as the server knows them
                now=now(),
                stamps=stamps,
                remember=plan,
            )
        except (ImportRefused, FileError, NotAllowed) as exc:
            status.update(label="Nothing was loaded", state="error", expanded=True)
            st.error(str(exc), icon=":material/block:")
            return
        status.update(label="Loaded and rescored", state="complete")
    st.session_state.pop("import_checked", None)
    # run the page again so everything above (table counts, sidebar) shows the new data
    st.session_state["import_done"] = loaded.sentence(" into your workspace")
    st.rerun()
