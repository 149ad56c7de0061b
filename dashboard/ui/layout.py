"""What the page looks like on a phone: KPI cards two per row at 390 px (Streamlit's
horizontal containers give each element a 224 px basis, one card per row on a phone), and
no Plotly toolbar over a chart's legend (a tap shows it; a phone has no use for zoom boxes)."""

from __future__ import annotations

import streamlit as st

PHONE_CSS = """
<style>
@media (max-width: 640px) {
  [class*="st-key-kpi_row"] [data-testid="stElementContainer"] { flex: 1 1 calc(50% - 0.5rem) !important; min-width: 0 !important; }
  [class*="st-key-kpi_row"] [data-testid="stMetricValue"] { font-size: 1.5rem; }
  .js-plotly-plot .modebar-container { display: none !important; }
}
</style>
"""


def phone_layout() -> None:
    """Once per run, from the shell: the style rules for narrow screens."""
    st.html(PHONE_CSS)
