"""The app's pages, declared once: the shell builds the navigation from here and pages use
``page(name)`` to switch to another page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent.parent / "pages"

# name -> (title, icon, section)
PAGES: dict[str, tuple[str, str, str]] = {
    "portfolio": ("Portfolio health", ":material/monitor_heart:", "Portfolio"),
    "account": ("Account", ":material/domain:", "Portfolio"),
    "renewals": ("Renewal calendar", ":material/event_repeat:", "Revenue"),
    "expansion": ("Expansion windows", ":material/trending_up:", "Revenue"),
    "sync": ("Weekly sync", ":material/groups:", "Team"),
    "unmanaged_middle": ("Unmanaged middle", ":material/person_search:", "Team"),
    "lab": ("Score lab", ":material/science:", "Admin"),
    "data": ("Data", ":material/database:", "Admin"),
}
DEFAULT = "portfolio"
UNFILTERED = ("sync",)  # pages the sidebar's account filters do not apply to


def page(name: str) -> st.Page:
    title, icon, _ = PAGES[name]
    return st.Page(
        PAGES_DIR / f"{name}.py", title=title, icon=icon, url_path=name, default=name == DEFAULT
    )


def navigation() -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for name, (_, _, section) in PAGES.items():
        sections.setdefault(section, []).append(page(name))
    return sections
