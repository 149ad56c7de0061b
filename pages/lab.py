"""Score lab: change the health score's weights, see at once which accounts move, and check
against real churn whether the change predicts better — before anyone activates it."""

import polars as pl
import streamlit as st

from dashboard.ui import charts
from dashboard.ui.cards import format_value
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.lab_editor import editor, load_into_editor
from dashboard.ui.queries import kept, read
from dashboard.ui.state import now, rescore, stores
from dashboard.ui.tables import download_csv, money_column
from dashboard.views.lab import (
    backtest_snapshots,
    compare_on_snapshots,
    portfolio_components,
    suggest_weights,
)
from dashboard.workflows.scorecards import (
    activate_scorecard,
    active_scorecard,
    load_saved,
    save_scorecard,
    saved_scorecards,
    scorecard_audit,
)
from scoring.what_if import health_histogram, impact, migration, movers
from scoring.what_if import rescore as rescore_with

require_full_access(current_viewer(), "The score lab")
st.title("Score lab")
st.caption(
    "Test other weights on the whole (filtered) portfolio, then check them against what really "
    "happened. Nothing changes for anyone until a scorecard is saved and activated."
)
app = stores().app
active = active_scorecard(app)
account_filter = current_filter()

left, right = st.columns([1, 2.4], gap="large")
with left.container(border=True):
    saved = saved_scorecards(app)
    st.selectbox(
        "Start from", saved["name"].to_list(), key="lab_start",
        index=saved["name"].to_list().index(active.name) if active.name in saved["name"].to_list() else 0,
        on_change=lambda: load_into_editor(load_saved(app, st.session_state["lab_start"])),
    )  # fmt: skip
    candidate = editor(active)
if candidate is None:
    st.stop()

comps_active = read(portfolio_components, account_filter, active.params)
comps_candidate = (
    comps_active if candidate.params == active.params
    else read(portfolio_components, account_filter, candidate.params)
)  # fmt: skip
before, after = rescore_with(comps_active, active), rescore_with(comps_candidate, candidate)

with right:
    was, will = impact(before), impact(after)
    with st.container(horizontal=True):
        for key, label, kind in (
            ("accounts_red", "Accounts in the red band", "count"),
            ("arr_at_risk_90d", "ARR at risk in 90 days", "money"),
            ("expansion_ready", "Expansion-ready", "count"),
            ("median_health", "Median health", "score"),
        ):  # fmt: skip
            delta = (will[key] or 0) - (was[key] or 0)
            st.metric(
                label, format_value(will[key], kind), border=True,
                delta=f"{'+' if delta >= 0 else '-'}{format_value(abs(delta), kind)} vs active"
                if delta else None,
                delta_color="inverse" if key in ("accounts_red", "arr_at_risk_90d") else "normal",
                help=f"Active scorecard {active.name!r}: {format_value(was[key], kind)}",
            )  # fmt: skip
    one, two = st.columns(2)
    with one.container(border=True):
        st.markdown("**Health distribution**, active vs candidate")
        st.plotly_chart(charts.health_distributions(health_histogram(before),
                                                    health_histogram(after), 5))  # fmt: skip
    with two.container(border=True):
        st.markdown("**Band migration**, active → candidate")
        moves = migration(before, after)
        st.plotly_chart(charts.band_sankey(moves))
    matrix = moves.pivot(on="band_after", index="band_before", values="accounts")
    arr_matrix = moves.pivot(on="band_after", index="band_before", values="arr")
    m1, m2 = st.columns(2)
    m1.caption("Accounts: rows active band, columns candidate band")
    m1.dataframe(matrix, hide_index=True)
    m2.caption("ARR moved between bands")
    m2.dataframe(arr_matrix, hide_index=True,
                 column_config={c: money_column(c)
                                for c in arr_matrix.columns if c != "band_before"})  # fmt: skip

st.subheader("Accounts that move most")
moved = movers(comps_active, comps_candidate, active, candidate).filter(pl.col("change") != 0)
if moved.is_empty():
    st.caption("No account moves yet: change a weight, a band threshold or a parameter.")
cc = st.column_config
st.dataframe(
    moved, hide_index=True, placeholder="—",
    column_config={"account_id": None, "account_name": cc.TextColumn("Account"),
                   "arr": money_column("ARR"),
                   "health_before": cc.ProgressColumn("Health (active)", min_value=0,
                                                      max_value=100, format="%.0f"),
                   "health_after": cc.ProgressColumn("Health (candidate)", min_value=0,
                                                     max_value=100, format="%.0f"),
                   "change": cc.NumberColumn("Change", format="%+.1f"),
                   "band_before": cc.TextColumn("Band (active)"),
                   "band_after": cc.TextColumn("Band (candidate)"),
                   "moved_by": cc.TextColumn("Moved by (points of health)", width="large")},
)  # fmt: skip
download_csv(moved, "tandem-lab-movers.csv", "Download the movers (CSV)")

st.subheader("Backtest against real churn")
horizon = (
    st.segmented_control(
        "Churn within", [90, 180], default=90, format_func=lambda d: f"{d} days", key="lab_horizon"
    )
    or 90
)
signature = (candidate.model_dump_json(), active.name, horizon)
if st.button("Run the backtest", type="primary", icon=":material/science:", key="lab_run"):
    with st.status("Scoring both on 12 past snapshots, 30 days apart…") as status:
        # the snapshots are built once per data generation and kept for every later run
        snapshots = kept(backtest_snapshots, horizon)
        st.session_state["lab_backtest"] = (signature, compare_on_snapshots(snapshots, active, candidate))  # fmt: skip
        status.update(label="Backtest done", state="complete")
found = st.session_state.get("lab_backtest")
if found and found[0] != signature:
    st.info("The settings changed since the last backtest: run it again to compare these.")
elif found:
    result = found[1]
    a, b = result.results["active"], result.results["candidate"]
    lo, hi = result.intervals["difference"]
    st.caption(
        f"{len(result.dates)} snapshots 30 days apart, {result.dates[0]} to {result.dates[-1]}, each "
        f"scored with data from before its date only; {b['n_accounts']:,} accounts, "
        f"{b['n_churn_events']:,} churn events, {b['n_observations']:,} account-snapshots."
    )
    rows = []
    for label, key, fmt in (("ROC AUC", "auc", "{:.3f}"), ("Lift of the red band", "red_lift", "{:.2f}x"),
                            ("Bottom-decile precision", "bottom_decile_precision", "{:.1%}")):  # fmt: skip
        rows.append({"metric": label,
                     "active": fmt.format(a[key]) if a[key] is not None else "—",
                     "candidate": fmt.format(b[key]) if b[key] is not None else "—"})  # fmt: skip
    for band in ("red", "yellow", "green"):
        ra, rb = a["band_churn_rates"].get(band), b["band_churn_rates"].get(band)
        rows.append({"metric": f"Churn rate, {band} band",
                     "active": f"{ra['rate']:.1%} of {ra['accounts']:,}" if ra else "—",
                     "candidate": f"{rb['rate']:.1%} of {rb['accounts']:,}" if rb else "—"})  # fmt: skip
    t1, t2 = st.columns([1, 1.3])
    with t1:
        st.dataframe(pl.DataFrame(rows), hide_index=True, key="lab_metrics")
        verdict = (
            "the candidate predicts churn better" if lo > 0
            else "the candidate predicts churn worse" if hi < 0
            else "the difference is within noise: do not read it as better or worse"
        )  # fmt: skip
        st.markdown(
            f"AUC difference (candidate − active): **{b['auc'] - a['auc']:+.3f}**, 95 % bootstrap "
            f"interval {lo:+.3f} to {hi:+.3f} — {verdict}."
        )
    with t2.container(border=True):
        st.markdown("**Calibration**: churn rate per health decile")
        st.plotly_chart(charts.calibration(a["calibration"], b["calibration"]))

with st.expander("Suggest weights from the history", icon=":material/auto_awesome:"):
    st.caption(
        "Fits non-negative weights (a logistic model of churn on each component's shortfall) "
        "on the earlier two thirds of the snapshots and checks them on the later third. It is "
        "only a candidate: load it into the editor to see what it does."
    )
    if st.button("Fit a suggestion", key="lab_suggest"):
        with st.spinner("Fitting on past snapshots…"):
            st.session_state["lab_suggestion"] = suggest_weights(
                kept(backtest_snapshots, horizon), active
            )
    suggestion = st.session_state.get("lab_suggestion")
    if suggestion:
        st.dataframe(
            pl.DataFrame({"component": list(suggestion.weights),
                          "suggested": list(suggestion.weights.values()),
                          "active": [active.weights[c] for c in suggestion.weights]}),
            hide_index=True,
        )  # fmt: skip
        st.markdown(
            f"On the later snapshots ({suggestion.test_dates[0]} to {suggestion.test_dates[-1]}), "
            f"AUC **{suggestion.auc_suggested:.3f}** suggested vs **{suggestion.auc_active:.3f}** "
            "active."
        )
        st.button(
            "Load into the editor", key="lab_load_suggestion",
            on_click=lambda: load_into_editor(active.model_copy(
                update={"name": "suggested", "weights": suggestion.weights})),
        )  # fmt: skip

st.subheader("Save and activate")
s1, s2 = st.columns(2)
with s1.form("lab_save"):
    st.markdown("**Save the candidate**")
    name = st.text_input("Name", key="lab_name", placeholder="e.g. adoption-heavy Q1")
    description = st.text_input("Description", key="lab_description")
    author = st.text_input("Your name", key="lab_author", value="ops")
    if st.form_submit_button("Save"):
        try:
            save_scorecard(app, candidate.model_copy(update={
                "name": name.strip(), "description": description}), author, now())  # fmt: skip
        except ValueError as exc:
            st.error(str(exc))
        else:
            st.success(f"Saved {name.strip()!r}. Activate it on the right when ready.")
with s2.container(border=True):
    st.markdown(f"**Activate a scorecard** (active now: **{active.name}**)")
    others = [n for n in saved_scorecards(app)["name"].to_list() if n != active.name]
    if not others:
        st.caption("No other saved scorecard yet.")
    else:
        chosen = st.selectbox("Scorecard", others, key="lab_activate_pick")
        chosen_card = load_saved(app, chosen)
        preview = migration(before, rescore_with(
            read(portfolio_components, account_filter, chosen_card.params), chosen_card))  # fmt: skip
        moving = preview.filter(pl.col("band_before") != pl.col("band_after"))
        st.caption(
            f"Activating {chosen!r} moves {moving['accounts'].sum():,} accounts "
            f"({format_value(moving['arr'].sum(), 'money')} ARR) to another band:"
        )
        st.dataframe(moving.filter(pl.col("accounts") > 0), hide_index=True,
                     column_config={"arr": money_column("ARR")})  # fmt: skip
        sure = st.checkbox("I have checked the band migration", key="lab_confirm")
        who = st.text_input("Your name", value="ops", key="lab_activator")
        if st.button("Activate and rescore", disabled=not sure, key="lab_activate"):
            activate_scorecard(app, chosen, who, now())
            rescore()
            for key in ("lab_base", "lab_confirm", "lab_backtest"):
                st.session_state.pop(key, None)
            st.rerun()

with st.expander("Audit log: who changed the scorecard, when, and what"):
    st.dataframe(
        scorecard_audit(app), hide_index=True, placeholder="—",
        column_config={"logged_at": cc.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
                       "detail": None, "changes": cc.TextColumn("Changes", width="large")},
    )  # fmt: skip
    st.caption("To revert, activate an earlier scorecard above.")
