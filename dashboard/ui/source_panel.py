"""The Data page's connected-database panel: where data comes from, and Refresh now."""

from __future__ import annotations

import streamlit as st

from dashboard.ui.load_history import signed_in_actor
from dashboard.ui.state import rescore_after_load, team_stores, today
from dashboard.workflows.import_flow import SourceError, reload_from_database, source_config


def database_panel() -> None:
    try:
        config = source_config()
    except SourceError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if config is None:
        st.caption(
            "No database is connected. Set `TANDEM_SOURCE_URI` and `TANDEM_SOURCE_TABLES`, or a "
            "`[tandem.source]` section in `.streamlit/secrets.toml` (see the README)."
        )
        return
    st.markdown(f"Connected to `{config.redacted_uri()}`")
    st.dataframe(
        [{"table": t, "source": s} for t, s in config.tables.items()],
        hide_index=True,
        key="source_tables",
    )
    if st.button("Refresh now", icon=":material/sync:", key="db_refresh"):
        with st.status("Reading the database…", expanded=True) as status:
            try:
                loaded = reload_from_database(
                    config,
                    team_stores(),
                    today(),
                    rescore=rescore_after_load,
                    actor=signed_in_actor(),
                )
            except SourceError as exc:
                status.update(label="Refresh failed: nothing was changed", state="error")
                st.error(str(exc), icon=":material/error:")
                return
            status.update(label="Reloaded and rescored", state="complete")
        st.success(loaded.sentence())
