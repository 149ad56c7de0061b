"""Table helpers shared by pages: downloads and common column formats."""

from __future__ import annotations

import polars as pl
import streamlit as st


def download_csv(frame: pl.DataFrame, file_name: str, label: str = "Download CSV") -> None:
    """A download button for the whole frame as CSV."""
    st.download_button(
        label,
        frame.write_csv().encode("utf-8"),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        key=f"download_{file_name}",
    )
