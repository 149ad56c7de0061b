"""The weekly sync's exports: the agenda and decisions as Markdown and as a print view."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.views.sync import Agenda, agenda_html, agenda_markdown


def agenda_downloads(agenda: Agenda, today: dt.date) -> None:
    slug = agenda.pair.lower().replace(" + ", "-").replace(" ", "-")
    with st.container(horizontal=True):
        st.download_button(
            "Agenda and decisions (Markdown)",
            lambda: agenda_markdown(agenda, agenda.todays),
            file_name=f"sync-{slug}-{today}.md",
            mime="text/markdown",
            on_click="ignore",
            icon=":material/description:",
            key="download_agenda_md",
        )
        st.download_button(
            "Print view (HTML, print to PDF)",
            lambda: agenda_html(agenda, agenda.todays),
            file_name=f"sync-{slug}-{today}.html",
            mime="text/html",
            on_click="ignore",
            icon=":material/print:",
            key="download_agenda_html",
        )
