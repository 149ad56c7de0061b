"""Expansion windows: accounts ready to grow, the CSM-to-AM handoff that carries them, and
what has fallen between the chairs. Expansion is detected by the CSM, closed by the AM."""

import polars as pl
import streamlit as st

from dashboard.store import marts
from dashboard.store.commercial import expansion_candidates
from dashboard.ui import charts
from dashboard.ui.cards import format_value
from dashboard.ui.filters import current_filter
from dashboard.ui.handoff_panel import handoff_panel, history_table, task_editor
from dashboard.ui.identity import unmasked
from dashboard.ui.queries import read
from dashboard.ui.state import stores, today
from dashboard.ui.tables import account_columns, download_csv, money_column, with_band_labels
from dashboard.workflows import handoffs as h
from dashboard.workflows import tasks

st.title("Expansion windows")
account_filter = current_filter()
candidates = read(expansion_candidates, account_filter)
all_handoffs = h.handoffs(stores().app, candidates["account_id"].to_list())
state = all_handoffs.filter(pl.col("kind") == "expansion").unique("account_id", keep="first")
ranked = candidates.join(
    state.select("account_id", pl.col("state").alias("handoff")), on="account_id", how="left"
)
ready = ranked.filter(pl.col("expansion_ready"))
stalled, unflagged = h.between_the_chairs(
    read(marts.account_table, account_filter, None), candidates, all_handoffs, today()
)
st.caption(f"Scored as of {read(marts.scores_as_of)} · accounts with at least one trigger")

with st.container(horizontal=True):
    st.metric("Expansion-ready accounts", f"{ready.height:,}", border=True)
    st.metric("Estimated potential", format_value(ready["expansion_potential"].sum(), "money"),
              border=True, help="Seats over licence × price per seat (10 % of the licence "
              "when utilisation is at the trigger)")  # fmt: skip
    st.metric("Open expansion handoffs",
              f"{state.filter(pl.col('state').is_in(h.OPEN_STATES['expansion'])).height:,}",
              border=True)  # fmt: skip
    st.metric("Fallen between the chairs", f"{stalled.height + unflagged.height:,}", border=True)

st.subheader("Ranked by readiness")
left, right = st.columns([3, 2])
with left:
    selection = st.dataframe(
        with_band_labels(ranked), hide_index=True, placeholder="—", on_select="rerun",
        selection_mode="single-row", key="expansion_table",
        column_config={
            **account_columns(),
            "expansion_readiness": st.column_config.ProgressColumn(
                "Readiness", min_value=0, max_value=100, format="%.0f"),
            "expansion_ready": st.column_config.CheckboxColumn("Ready"),
            "triggers_fired": st.column_config.TextColumn("Triggers", width="large"),
            "expansion_potential": money_column("Potential"),
            "expansion_window": st.column_config.TextColumn("Window"),
            "seat_utilisation": st.column_config.NumberColumn("Seats used", format="percent"),
            "handoff": st.column_config.TextColumn("Handoff"),
        },
        column_order=["account_name", "expansion_readiness", "expansion_ready", "triggers_fired",
                      "expansion_potential", "expansion_window", "seat_utilisation", "band",
                      "csm_owner", "am_owner", "handoff"],
    )  # fmt: skip
    download_csv(ranked, "tandem-expansion.csv", "Download the ranking (CSV)")
with right.container(border=True):
    st.markdown("**Potential of the ready accounts**, by segment and window")
    st.plotly_chart(charts.expansion_potential_bars(ranked))

st.subheader("Handoff")
rows = selection.selection.rows if selection and selection.selection else []
options = ranked["account_id"].to_list()
if options:
    picked = st.selectbox(
        "Account", options, index=rows[0] if rows else 0, key=f"expansion_account_{rows[:1]}",
        format_func=dict(zip(ranked["account_id"], ranked["account_name"], strict=True)).get,
    )  # fmt: skip
    account = ranked.filter(pl.col("account_id") == picked).row(0, named=True)
    panel, past = st.columns(2)
    with panel:
        handoff_panel(account, "expansion")
    with past:
        st.markdown("**History**")
        history_table(h.handoff_history(stores().app, picked, unmasked()))
else:
    st.info("No account has an expansion trigger under these filters.")

st.subheader("Fallen between the chairs")
one, two = st.columns(2)
cc = st.column_config
with one:
    st.markdown("**Flagged more than 14 days ago, no AM step**")
    st.dataframe(
        stalled, hide_index=True, placeholder="—",
        column_config={**account_columns(), "created_by": cc.TextColumn("Flagged by"),
                       "days_waiting": cc.NumberColumn("Days waiting"),
                       "state": cc.TextColumn("State")},
        column_order=["account_name", "am_owner", "created_by", "days_waiting", "arr", "state"],
    )  # fmt: skip
    download_csv(stalled, "tandem-stalled-handoffs.csv", "Download (CSV)")
with two:
    st.markdown("**Ready for more than 30 days, never flagged**")
    st.dataframe(
        unflagged, hide_index=True, placeholder="—",
        column_config={**account_columns(), "triggers_fired": cc.TextColumn("Triggers"),
                       "expansion_potential": money_column("Potential")},
        column_order=["account_name", "csm_owner", "am_owner", "expansion_potential",
                      "triggers_fired"],
    )  # fmt: skip
    download_csv(unflagged, "tandem-unflagged-expansions.csv", "Download (CSV)")

st.subheader("Expansion opportunities (tasks for the AM)")
st.caption("Created by the nightly job when an account reaches the seat-utilisation trigger.")
open_tasks = tasks.tasks(
    stores().app, candidates["account_id"].to_list(), status="open", unmask=unmasked()
)
task_editor(
    open_tasks.filter(pl.col("kind") == "expansion_opportunity").join(
        candidates.select("account_id", "account_name"), on="account_id", how="left"
    ),
    "expansion_tasks",
)
