"""A form's submission written on the run after the click, then said once: the pattern of the
panels whose write reruns the whole page (goals, covers)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard.store import StoreError
from dashboard.text import md
from dashboard.workflows.access import NotAllowed


def handle_submission(key: str, write: Callable[[dict], str]) -> None:
    """Write what the last run submitted under ``{key}_pending`` with ``write`` (which returns
    the sentence to show), rerun the whole page so every part reads the new state, then say
    what happened once: a success, or the refusal (nothing was written)."""
    pending = st.session_state.pop(f"{key}_pending", None)
    if pending:
        try:
            st.session_state[f"{key}_done"] = ("ok", write(pending))
        except (ValueError, NotAllowed, StoreError) as exc:
            st.session_state[f"{key}_done"] = ("refused", str(exc))
        st.rerun()
    done = st.session_state.pop(f"{key}_done", None)
    if done and done[0] == "ok":
        st.success(md(done[1]), icon=":material/check:")
    elif done:
        st.error(md(done[1]), icon=":material/block:")
