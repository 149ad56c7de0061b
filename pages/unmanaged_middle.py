"""Unmanaged middle: the accounts with a CSM and no AM in the middle of the portfolio, owner
load, the organisation model per segment and what to change next."""

import polars as pl
import streamlit as st

from dashboard.config import get_settings
from dashboard.store.overview import filter_choices
from dashboard.ui.cards import format_value
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.queries import read
from dashboard.ui.state import stores, today
from dashboard.ui.tables import account_columns, download_csv, money_column, with_band_labels
from dashboard.views.unmanaged_middle import Middle, chairs_ids, coverage_view
from scoring.middle import MODELS

require_full_access(current_viewer(), "The Unmanaged middle page")
st.title("Unmanaged middle")
st.caption(
    "Every account has a CSM, but only some have an AM: the middle of the portfolio is where "
    "commercial signals go unworked."
)
account_filter = current_filter()
settings = get_settings()

with st.container(border=True, horizontal=True):
    by = st.segmented_control(
        "Middle by", ["arr", "segment"], default="arr", key="middle_by",
        format_func={"arr": "ARR percentiles", "segment": "Segment"}.get,
    )  # fmt: skip
    if by == "segment":
        segments = st.multiselect(
            "Middle segments", read(filter_choices)["segment"], default=["Mid-Market"]
            if "Mid-Market" in read(filter_choices)["segment"] else None, key="middle_segments",
        )  # fmt: skip
        middle = Middle(segments=tuple(segments))
    else:
        low, high = st.slider("ARR percentiles", 0, 100, (25, 75), step=5, key="middle_pct")
        middle = Middle(low=low / 100, high=high / 100)
    max_accounts = st.number_input(
        "Too many accounts for one person", 10, 2000, settings.owner_max_accounts, step=10,
        key="max_accounts",
    )  # fmt: skip
    max_arr = st.number_input(
        "Too much ARR for one person ($)", 100_000, 500_000_000, int(settings.owner_max_arr),
        step=500_000, key="max_arr",
    )  # fmt: skip

stalled, missed = chairs_ids(stores(), account_filter, today())
view = read(
    coverage_view, account_filter, middle, int(max_accounts), float(max_arr), stalled, missed
)
summary = {row["coverage"]: row for row in view.summary.iter_rows(named=True)}
middle_arr = view.accounts.filter(pl.col("in_middle"))
with st.container(horizontal=True):
    st.metric("Accounts in the middle", f"{middle_arr.height:,}", border=True,
              delta=format_value(middle_arr["arr"].sum(), "money") + " ARR", delta_color="off",
              delta_arrow="off")  # fmt: skip
    st.metric("With an AM", f"{summary['with an AM']['accounts']:,}", border=True,
              delta=format_value(summary["with an AM"]["arr"], "money") + " ARR",
              delta_color="off", delta_arrow="off")  # fmt: skip
    st.metric("No AM", f"{summary['no AM']['accounts']:,}", border=True,
              delta=format_value(summary["no AM"]["arr"], "money") + " ARR",
              delta_color="off", delta_arrow="off")  # fmt: skip
    st.metric("No AM, with commercial signals", f"{view.unmanaged.height:,}", border=True,
              delta=format_value(view.unmanaged["arr_exposed"].sum(), "money") + " exposed",
              delta_color="inverse", delta_arrow="off")  # fmt: skip
if "middle_from" in view.accounts.columns and view.accounts.height:
    st.caption(
        f"The middle: ARR from {format_value(view.accounts['middle_from'][0], 'money')} to "
        f"{format_value(view.accounts['middle_to'][0], 'money')}."
    )

st.subheader("What to change next")
for row in view.recommendations.iter_rows(named=True):
    with st.container(border=True):
        st.markdown(f"**{row['change']}** — {row['reason']}")
        st.caption(f"Evidence: {row['evidence']}")
if view.recommendations.is_empty():
    st.success("No coverage symptom over its threshold in this part of the portfolio.")

st.subheader("Commercial signals nobody works")
st.caption("Middle accounts without an AM, most signals first, then the most ARR.")
cc = st.column_config
st.dataframe(
    with_band_labels(view.unmanaged), hide_index=True, placeholder="—",
    column_config={**account_columns(), "signals": cc.NumberColumn("Signals"),
                   "signals_text": cc.TextColumn("What nobody works", width="large"),
                   "arr_exposed": money_column("ARR exposed")},
    column_order=["account_name", "segment", "csm_owner", "arr_exposed", "health", "band",
                  "signals", "signals_text", "days_to_renewal"],
)  # fmt: skip
download_csv(view.unmanaged, "tandem-unmanaged-middle.csv", "Download the list (CSV)")

st.subheader("Suggested assignments")
st.caption(
    "Each uncovered account with a signal, most ARR first, to the AM with the most capacity "
    "left in its segment (or its region when no AM works that segment)."
)
st.dataframe(
    view.assignments, hide_index=True, placeholder="no AM has capacity",
    column_config={**account_columns(), "suggested_am": cc.TextColumn("Suggested AM"),
                   "matched_on": cc.TextColumn("Matched on"),
                   "book": cc.NumberColumn("AM's book"), "capacity": cc.NumberColumn("Capacity")},
    column_order=["account_name", "segment", "region", "arr", "signals_text", "suggested_am",
                  "matched_on", "book", "capacity"],
)  # fmt: skip
download_csv(view.assignments, "tandem-suggested-assignments.csv", "Download assignments (CSV)")

left, right = st.columns(2)
with left:
    st.subheader("Owner load")
    st.dataframe(
        view.load, hide_index=True, placeholder="—",
        column_config={
            "owner": cc.TextColumn("Owner"), "role": cc.TextColumn("Role"),
            "accounts": cc.NumberColumn("Accounts"), "arr": money_column("ARR"),
            "value_acts": cc.NumberColumn("Value work (90 d)"),
            "commercial_acts": cc.NumberColumn("Commercial work (90 d)"),
            "commercial_share": cc.ProgressColumn("Commercial share", min_value=0,
                                                  max_value=1, format="percent"),
            "too_large": cc.CheckboxColumn("Too large"),
        },
    )  # fmt: skip
    download_csv(view.load, "tandem-owner-load.csv", "Download owner load (CSV)")
with right:
    st.subheader("Organisation model per segment")
    models = view.models.with_columns(pl.col("main_model").replace_strict(MODELS))
    st.dataframe(
        models, hide_index=True,
        column_config={
            "segment": cc.TextColumn("Segment"), "main_model": cc.TextColumn("Main model"),
            "accounts": cc.NumberColumn("Accounts"), "arr": money_column("ARR"),
            "share_pair": cc.ProgressColumn("Pairs", format="percent", min_value=0, max_value=1),
            "share_combined": cc.ProgressColumn("Combined", format="percent", min_value=0,
                                                max_value=1),
            "share_csm_only": cc.ProgressColumn("CSM only", format="percent", min_value=0,
                                                max_value=1),
            "pair_stalled": cc.NumberColumn("Pairs: stalled handoffs"),
            "combined_late_renewals": cc.NumberColumn("Combined: late renewals"),
            "combined_missed_expansions": cc.NumberColumn("Combined: missed expansions"),
            "csm_only_blind_spot": cc.NumberColumn("CSM only: blind spot"),
            "csm_only_blind_arr": money_column("Blind-spot ARR"),
        },
        column_order=["segment", "main_model", "accounts", "share_pair", "share_combined",
                      "share_csm_only", "pair_stalled", "combined_late_renewals",
                      "combined_missed_expansions", "csm_only_blind_spot", "csm_only_blind_arr"],
    )  # fmt: skip
    st.caption(
        "Each model's known failure: pairs stall handoffs; combined roles discover renewals "
        "late (inside 30 days, no touch in 60) and miss expansions; CSM-only leaves a blind spot."
    )
