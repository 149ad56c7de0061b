"""The score lab's editor: one widget per weight, threshold and component parameter, kept in
``st.session_state`` under ``lab_*`` keys and loaded from a scorecard by callbacks."""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from dashboard.text import COMPONENTS
from dashboard.ui.charts import COMPONENT_LABELS
from dashboard.views.lab import ComponentParams, Scorecard, Thresholds

PARAM_FIELDS = [
    name
    for name in ComponentParams.model_fields
    if name not in ("scale", "falling_drop", "min_driver_points")
]
SCALES = {"portfolio": "the portfolio's own quantiles", "fixed": "the fixed targets"}


def load_into_editor(card: Scorecard) -> None:
    """Put a scorecard's settings into the editor's widgets (call from a callback, or before
    the widgets are drawn)."""
    for c in COMPONENTS:
        st.session_state[f"lab_w_{c}"] = float(card.weights[c])
    st.session_state["lab_bands"] = (float(card.thresholds.red), float(card.thresholds.green))
    for name in PARAM_FIELDS:
        st.session_state[f"lab_p_{name}"] = float(getattr(card.params, name))
    st.session_state["lab_p_scale"] = card.params.scale
    st.session_state["lab_base"] = card


def editor(start: Scorecard) -> Scorecard | None:
    """Draw the editor (first run: from ``start``); returns the candidate scorecard, or None
    with the reason shown when the settings are not a valid scorecard."""
    # Streamlit drops a widget's state when a run does not draw it (another page was open):
    # then the editor starts again from the scorecard it was loaded from.
    widgets = [f"lab_w_{c}" for c in COMPONENTS] + ["lab_bands"]
    if "lab_base" not in st.session_state:
        load_into_editor(start)
    elif any(key not in st.session_state for key in widgets):
        load_into_editor(st.session_state["lab_base"])
    base: Scorecard = st.session_state["lab_base"]
    st.markdown("**Weights** (relative; they need not sum to 100)")
    weights = {
        c: st.slider(COMPONENT_LABELS[c], 0.0, 60.0, step=1.0, key=f"lab_w_{c}") for c in COMPONENTS
    }
    red, green = st.slider("Bands: red below, green from", 0.0, 100.0, step=1.0, key="lab_bands")
    with st.expander("Component parameters"):
        scale = st.radio(
            "Score usage against",
            list(SCALES),
            format_func=SCALES.get,
            key="lab_p_scale",
            horizontal=True,
            help=ComponentParams.model_fields["scale"].description,
        )
        params = {
            name: st.number_input(
                name.replace("_", " "),
                key=f"lab_p_{name}",
                step=0.05 if getattr(base.params, name) < 2 else 1.0,
                help=ComponentParams.model_fields[name].description,
            )
            for name in PARAM_FIELDS
        }
    try:
        return Scorecard(
            name="candidate",
            description=f"edited from {base.name}",
            weights=weights,
            thresholds=Thresholds(red=red, green=green, low_coverage=base.thresholds.low_coverage),
            params=ComponentParams.model_validate(
                {**base.params.model_dump(), **params, "scale": scale}
            ),
            expansion=base.expansion,
        )
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        st.error(f"Not a valid scorecard: {problems}", icon=":material/tune:")
        return None
