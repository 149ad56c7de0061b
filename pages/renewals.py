"""Renewal calendar: what renews when, what is at risk before its deadline, and the forecast.
The renewal is won all year by the CSM's value work and closed by the AM at the deadline."""

import polars as pl
import streamlit as st

from dashboard.ui import charts
from dashboard.ui.cards import format_value
from dashboard.ui.filters import current_filter
from dashboard.ui.handoff_panel import task_editor
from dashboard.ui.identity import unmasked
from dashboard.ui.queries import read
from dashboard.ui.selection import pick_clicked_month
from dashboard.ui.state import now, stores
from dashboard.ui.tables import account_columns, download_csv, money_column, with_band_labels
from dashboard.views.ics import renewals_ics
from dashboard.views.renewals import renewal_view, with_plans
from dashboard.workflows import tasks
from dashboard.workflows.scorecards import active_scorecard

st.title("Renewal calendar")
view = read(renewal_view, current_filter(), active_scorecard(stores().app))
st.caption(f"Scored as of {view.as_of} · renewals in the next 12 months")

in_90 = view.renewals.filter(pl.col("days_to_renewal") <= 90)
with st.container(horizontal=True):
    st.metric("ARR renewing in 90 days", format_value(in_90["arr"].sum(), "money"), border=True,
              delta=f"{in_90.height:,} accounts", delta_color="off", delta_arrow="off")  # fmt: skip
    st.metric("ARR renewing in 12 months", format_value(view.renewals["arr"].sum(), "money"),
              delta=f"{view.renewals.height:,} accounts", delta_color="off", delta_arrow="off", border=True)  # fmt: skip
    st.metric("Expected renewal ARR (12 months)",
              format_value(view.forecast["expected_arr"].sum(), "money"), border=True,
              help="Σ ARR × renewal probability of its band (see the forecast below)")  # fmt: skip
    st.metric("Risks before deadlines", f"{view.risks.height:,}", border=True,
              delta=f"{format_value(view.risks['arr'].sum(), 'money')} at stake",
              delta_color="off", delta_arrow="off")  # fmt: skip

with st.container(border=True):
    st.markdown("**Month by month** — ARR up for renewal by band, and the forecast line")
    months = view.calendar["month"].unique().sort().to_list()
    st.plotly_chart(
        charts.renewal_months(view.calendar, view.forecast), on_select=pick_clicked_month(months),
        selection_mode="points", key="renewal_chart",
    )  # fmt: skip
    month = st.selectbox(
        "Accounts renewing in (or click a month)", months, key="renewal_month",
        format_func=lambda m: m.strftime("%B %Y"),
    )  # fmt: skip
    chosen = view.renewals.filter(pl.col("renewal_date").dt.truncate("1mo") == month)
    st.dataframe(
        with_band_labels(chosen), hide_index=True, placeholder="—",
        column_config=account_columns(),
        column_order=["account_name", "renewal_date", "arr", "health", "band", "csm_owner",
                      "am_owner", "top_cause"],
    )  # fmt: skip

left, right = st.columns([3, 2])
with left.container(border=True):
    st.markdown("**The quarter ahead, week by week**")
    st.plotly_chart(charts.renewal_weeks(view.weeks))
with right.container(border=True):
    st.markdown("**Renewal windows**")
    cc = st.column_config
    st.dataframe(
        view.windows, hide_index=True,
        column_config={
            "window": cc.TextColumn("Days"), "accounts": cc.NumberColumn("Accounts"),
            "arr": money_column("ARR"),
            "arr_red": money_column("ARR red"),
            "arr_yellow": money_column("ARR yellow"),
            "arr_green": money_column("ARR green"),
            "accounts_red": cc.NumberColumn("Red"), "accounts_yellow": cc.NumberColumn("Yellow"),
            "accounts_green": cc.NumberColumn("Green"),
        },
        column_order=["window", "accounts", "arr", "accounts_red", "arr_red", "accounts_yellow",
                      "arr_yellow", "accounts_green", "arr_green"],
    )  # fmt: skip

st.subheader("Risks before deadlines")
st.caption(
    "Red or falling health inside 90 days, the most ARR first, with the cause and the joint "
    "action: the CSM validates value and brings ROI evidence, the AM works pricing and terms."
)
st.dataframe(
    with_band_labels(view.risks), hide_index=True, placeholder="—",
    column_config={**account_columns(), "csm_next": st.column_config.TextColumn("CSM does"),
                   "am_next": st.column_config.TextColumn("AM does")},
    column_order=["account_name", "days_to_renewal", "arr", "health", "band",
                  "health_change_30d", "top_cause", "csm_next", "am_next"],
)  # fmt: skip
download_csv(view.risks, "tandem-renewal-risks.csv", "Download the risks (CSV)")

with st.container(border=True):
    st.markdown("**Forecast** — expected renewal ARR = Σ ARR × P(renew | band)")
    probabilities = view.probabilities
    from_history = probabilities.filter(pl.col("source") == "history")
    st.caption(
        f"Probabilities rest on {int(probabilities['renewals'].sum()):,} renewals of the last "
        f"12 months, each with the band it had 90 days before. A band with fewer than 30 "
        f"renewals uses the stated default ({from_history.height} of {probabilities.height} "
        "bands come from history)."
    )
    st.dataframe(
        probabilities, hide_index=True,
        column_config={
            "band": st.column_config.TextColumn("Band"),
            "probability": st.column_config.ProgressColumn(
                "P(renew)", min_value=0, max_value=1, format="percent"),
            "source": st.column_config.TextColumn("From"),
            "renewals": st.column_config.NumberColumn("Renewals seen"),
            "renewed": st.column_config.NumberColumn("Renewed"),
        },
    )  # fmt: skip

st.subheader("90-day value validation")
st.caption(
    "For every renewal inside 90 days: the CSM's checklist from the data and the AM's "
    "commercial plan — the same table for both. Edit the tasks below to record progress."
)
due = tasks.tasks(stores().app, view.validation["account_id"].to_list(), unmask=unmasked())
validation = with_plans(view.validation, due)
cc = st.column_config
st.dataframe(
    validation, hide_index=True, placeholder="—",
    column_config={
        **account_columns(),
        "check_health_trend": cc.CheckboxColumn("Health trend"),
        "check_adoption": cc.CheckboxColumn("Adoption"),
        "check_success_plan": cc.CheckboxColumn("Success plan"),
        "check_outcomes": cc.CheckboxColumn("Outcomes"),
        "checks_passed": cc.ProgressColumn("Value validated", min_value=0, max_value=4,
                                           format="%d of 4"),
        "value_review": cc.TextColumn("CSM value review"),
        "commercial_plan": cc.TextColumn("AM commercial plan"),
        "commercial_plan_note": cc.TextColumn("Plan (pricing, terms)", width="large"),
    },
    column_order=["account_name", "days_to_renewal", "arr", "csm_owner", "am_owner",
                  "check_health_trend", "check_adoption", "check_success_plan", "check_outcomes",
                  "checks_passed", "value_review", "commercial_plan", "commercial_plan_note"],
)  # fmt: skip
with st.expander("Value reviews and commercial plans (tasks)"):
    task_editor(due.filter(pl.col("kind").is_in(["value_review", "commercial_plan"])),
                "renewal_tasks")  # fmt: skip

st.subheader("Export")
with st.container(horizontal=True):
    st.download_button(
        "Renewals as a calendar (.ics)", lambda: renewals_ics(view.renewals, now()),
        on_click="ignore", file_name="tandem-renewals.ics", mime="text/calendar",
        icon=":material/calendar_month:", key="download_ics",
    )  # fmt: skip
    download_csv(view.renewals, "tandem-renewals.csv", "Renewals (CSV)")
