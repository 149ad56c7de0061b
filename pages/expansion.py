"""Expansion windows: accounts ready to grow, the CSM-to-AM handoff that carries them, and
what has fallen between the chairs. Expansion is detected by the CSM, closed by the AM."""

import polars as pl
import streamlit as st

from dashboard.ui import charts, columns
from dashboard.ui.cards import kpi_row, verdict_line
from dashboard.ui.filters import current_filter
from dashboard.ui.handoff_panel import account_handoffs, task_editor
from dashboard.ui.identity import unmasked
from dashboard.ui.queries import view
from dashboard.ui.state import today
from dashboard.ui.tables import show_table
from dashboard.views.expansion import expansion_view

st.title("Expansion windows")
expansion = view(expansion_view, current_filter(), today(), unmasked())
ranked = expansion.ranked
st.caption(f"Scored as of {expansion.as_of} · accounts with at least one trigger")
verdict_line(expansion.verdict)
kpi_row(expansion.cards)

st.subheader("Ranked by readiness")
selection = show_table(  # full width: the potential, window and triggers side by side
    ranked,
    columns.expansion_ranking(),
    key="expansion_table",
    select=True,
    download="tandem-expansion.csv",
)
with st.container(border=True):
    st.markdown("**Potential of the ready accounts**, by segment and window")
    if expansion.potential > 0:
        st.plotly_chart(charts.expansion_potential_bars(ranked))
    else:  # an empty chart reads as a broken one
        st.caption("No account is expansion-ready under these filters." if not expansion.ready else
                   "No ready account grows by the potential model: their users run well inside "
                   "their licences and no plan is priced higher (see the card's help).")  # fmt: skip

st.subheader("Handoff")
rows = selection.selection.rows if selection and selection.selection else []
if ranked.height:
    picked = st.selectbox(
        "Account", ranked["account_id"].to_list(), index=rows[0] if rows else 0,
        key=f"expansion_account_{rows[:1]}",
        format_func=dict(zip(ranked["account_id"], ranked["account_name"], strict=True)).get,
    )  # fmt: skip
    account_handoffs(ranked.filter(pl.col("account_id") == picked).row(0, named=True), "expansion")
else:
    st.info("No account has an expansion trigger under these filters.")

st.subheader("Fallen between the chairs")
one, two = st.columns(2)
with one:
    st.markdown("**Flagged more than 14 days ago, no AM step**")
    show_table(expansion.stalled, columns.stalled_flags(), download="tandem-stalled-handoffs.csv")
with two:
    st.markdown("**Ready for more than 30 days, never flagged**")
    show_table(expansion.unflagged, columns.unflagged_expansions(),
               download="tandem-unflagged-expansions.csv")  # fmt: skip

st.subheader("Expansion opportunities (tasks for the AM)")
st.caption("Created by the nightly job when an account reaches the seat-utilisation trigger.")
task_editor(expansion.opportunities, "expansion_tasks")
