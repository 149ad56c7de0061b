"""The framework's floor: a minimal Streamlit app with the kinds of elements the Portfolio
draws (a title, KPI metrics, one Plotly chart, one table of the same row count), no sidebar,
no stores, no sign-in. ``bench/load.py --app floor`` serves it through the same harness as
Tandem, so Tandem's CPU per page view reads against what Streamlit itself costs."""

from __future__ import annotations

import os

import numpy as np
import plotly.express as px
import polars as pl
import streamlit as st

ROWS = int(os.environ.get("FLOOR_ROWS", "2000"))


@st.cache_data
def accounts(rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    health = rng.uniform(0, 100, rows).round(1)
    return pl.DataFrame(
        {
            "account": [f"Account {i:05d}" for i in range(rows)],
            "segment": rng.choice(["SMB", "Mid-market", "Enterprise"], rows),
            "arr": rng.lognormal(10, 1, rows).round(0),
            "health": health,
            "band": np.where(health < 40, "red", np.where(health < 70, "yellow", "green")),
        }
    )


st.set_page_config(page_title="Floor", layout="wide")
st.title("Portfolio health")
frame = accounts(ROWS)
cards = st.columns(4)
cards[0].metric("Accounts", f"{frame.height:,}")
cards[1].metric("ARR", f"${frame['arr'].sum():,.0f}")
cards[2].metric("Red", f"{(frame['band'] == 'red').sum():,}")
cards[3].metric("Median health", f"{frame['health'].median():.0f}")
mix = frame.group_by("segment", "band").agg(pl.len().alias("accounts")).sort("segment", "band")
st.plotly_chart(px.bar(mix.to_pandas(), x="segment", y="accounts", color="band"))
st.caption("Scored as of the floor")
st.dataframe(
    frame,
    hide_index=True,
    column_config={
        "arr": st.column_config.NumberColumn("ARR", format="dollar"),
        "health": st.column_config.ProgressColumn("Health", min_value=0, max_value=100),
    },
)
