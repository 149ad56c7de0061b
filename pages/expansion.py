"""Expansion windows: accounts ready to grow, the CSM-to-AM handoff that carries them, and
what has fallen between the chairs. Expansion is detected by the CSM, closed by the AM."""

import streamlit as st

from dashboard.ui import expansion_panels as panels
from dashboard.ui.cards import kpi_row, verdict_line
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import unmasked
from dashboard.ui.queries import view
from dashboard.ui.state import today
from dashboard.views.expansion import expansion_view

st.title("Expansion windows")
expansion = view(expansion_view, current_filter(), today(), unmasked())
st.caption(f"Scored as of {expansion.as_of} · accounts with at least one trigger")
verdict_line(expansion.verdict)
kpi_row(expansion.cards)
rows = panels.ranked_accounts(expansion)
panels.handoff(expansion, rows)
panels.fallen_between_the_chairs(expansion)
panels.opportunities(expansion)
