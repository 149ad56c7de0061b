"""The Data page's load history: every load (and undo) with who, when, files and what it
changed per table, and an Undo per load in effect (a confirmation, audited)."""

from __future__ import annotations

from dashboard.ui.identity import current_viewer


def signed_in_actor() -> str:
    """Who is recorded for a load or an undo done in the app: the signed-in identity."""
    viewer = current_viewer()
    return f"{viewer.name} <{viewer.email}>" if viewer.email else viewer.name
