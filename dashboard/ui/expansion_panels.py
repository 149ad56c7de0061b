"""The Expansion page's panels: each draws a part of the page's one view (``ExpansionView``)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.ui import charts, columns
from dashboard.ui.handoff_panel import account_handoffs, task_editor
from dashboard.ui.tables import show_table
from dashboard.views.expansion import ExpansionView


def ranked_accounts(expansion: ExpansionView) -> list[int]:
    """The accounts ranked by readiness, and their potential; the rows selected."""
    st.subheader("Ranked by readiness")
    selection = show_table(  # full width: the potential, window and triggers side by side
        expansion.ranked,
        columns.expansion_ranking(),
        key="expansion_table",
        select=True,
        download="tandem-expansion.csv",
    )
    with st.container(border=True):
        st.markdown("**Potential of the ready accounts**, by segment and window")
        if expansion.potential > 0:
            st.plotly_chart(charts.expansion_potential_bars(expansion.ranked))
        else:  # an empty chart reads as a broken one
            st.caption(
                "No account is expansion-ready under these filters."
                if not expansion.ready
                else "No ready account grows by the potential model: their users run well inside "
                "their licences and no plan is priced higher (see the card's help)."
            )
    return list(selection.selection.rows) if selection and selection.selection else []


def handoff(expansion: ExpansionView, rows: list[int]) -> None:
    """The CSM-to-AM handoff of the account picked (the table's selection first)."""
    st.subheader("Handoff")
    ranked = expansion.ranked
    if not ranked.height:
        st.info("No account has an expansion trigger under these filters.")
        return
    picked = st.selectbox(
        "Account",
        ranked["account_id"].to_list(),
        index=rows[0] if rows else 0,
        key=f"expansion_account_{rows[:1]}",
        format_func=dict(zip(ranked["account_id"], ranked["account_name"], strict=True)).get,
    )
    account_handoffs(ranked.filter(pl.col("account_id") == picked).row(0, named=True), "expansion")


def fallen_between_the_chairs(expansion: ExpansionView) -> None:
    """Flags no AM took up, and ready accounts nobody flagged."""
    st.subheader("Fallen between the chairs")
    one, two = st.columns(2)
    with one:
        st.markdown("**Flagged more than 14 days ago, no AM step**")
        show_table(
            expansion.stalled, columns.stalled_flags(), download="tandem-stalled-handoffs.csv"
        )
    with two:
        st.markdown("**Ready for more than 30 days, never flagged**")
        show_table(
            expansion.unflagged,
            columns.unflagged_expansions(),
            download="tandem-unflagged-expansions.csv",
        )


def opportunities(expansion: ExpansionView) -> None:
    """The AM's expansion tasks the nightly job created."""
    st.subheader("Expansion opportunities (tasks for the AM)")
    st.caption("Created by the nightly job when an account reaches the seat-utilisation trigger.")
    task_editor(expansion.opportunities, "expansion_tasks")
