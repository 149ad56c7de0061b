"""The Score lab's panels: the backtest, the suggested weights, save, activate, the audit."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.store import AppStore
from dashboard.store.filters import AccountFilter
from dashboard.text import days, md
from dashboard.ui import charts, columns
from dashboard.ui.cards import kpi_row
from dashboard.ui.identity import current_viewer
from dashboard.ui.lab_editor import load_into_editor
from dashboard.ui.queries import kept, read
from dashboard.ui.state import now, rescore, stores
from dashboard.ui.tables import show_table
from dashboard.views.lab import (
    MIN_CHURN_EVENTS,
    LabView,
    Scorecard,
    activation_preview,
    backtest_report,
    backtest_snapshots,
    band_moves,
    calibrate,
    calibrated_sentence,
    calibrated_weights,
    compare_on_snapshots,
    portfolio_components,
)
from dashboard.workflows.scorecards import (
    activate_scorecard,
    activation_version,
    load_saved,
    save_scorecard,
    saved_scorecards,
    scorecard_audit,
)


def backtest_panel(active: Scorecard, candidate: Scorecard, lab: LabView | None = None) -> int:
    """Run both scorecards on 12 past snapshots and say what each predicts, and judge the
    candidate by the interval of the AUC difference beside the band moves it makes today
    (``lab``); returns the churn horizon chosen."""
    horizon = (
        st.segmented_control(
            "Churn within",
            [90, 180],
            default=90,
            format_func=days,
            key="lab_horizon",
        )
        or 90
    )
    signature = (candidate.model_dump_json(), active.name, horizon)
    if st.button("Run the backtest", type="primary", icon=":material/science:", key="lab_run"):
        with st.status("Scoring both on 12 past snapshots, 30 days apart…") as status:
            # the snapshots are built once per data generation and kept for every later run
            snapshots = kept(backtest_snapshots, horizon)
            st.session_state["lab_backtest"] = (
                signature,
                compare_on_snapshots(snapshots, active, candidate),
            )
            status.update(label="Backtest done", state="complete")
    found = st.session_state.get("lab_backtest")
    if found and found[0] != signature:
        st.info("The settings changed since the last backtest: run it again to compare these.")
    elif found:
        result = found[1]
        same = (candidate.weights, candidate.params, candidate.thresholds) == (
            active.weights,
            active.params,
            active.thresholds,
        )
        moves = band_moves(lab.migration) if lab is not None else None
        report = backtest_report(result, active.name, candidate.name, same, moves)
        st.caption(report.caption)
        shown = (
            st.info
            if "predictive" in (result.active_verdict, result.candidate_verdict)
            else st.warning
        )
        shown(report.verdicts, icon=":material/gavel:")
        left, right = st.columns([1, 1.3])
        with left:
            show_table(report.metrics, columns.backtest_metrics(), key="lab_metrics")
            st.markdown(report.difference)  # the judgement and the band moves, one line
        with right.container(border=True):
            st.markdown(
                "**Churn probability, predicted vs observed** (each later snapshot "
                "predicted by the model fitted on the outcomes known on its date), candidate"
            )
            if report.calibration_note:
                st.caption(f"No reliability table: {report.calibration_note}.")
            else:
                st.plotly_chart(charts.calibration(report.calibration))
                show_table(report.calibration, columns.reliability(), key="lab_reliability")
        st.markdown(
            "**Each component alone** (candidate), then each stakeholder signal: which "
            "signals carry weight in this data"
        )
        labels = charts.COMPONENT_LABELS | charts.SIGNAL_LABELS
        named = report.components.with_columns(pl.col("component").replace(labels))
        show_table(
            named,
            columns.component_aucs(),
            key="lab_components",
            download="tandem-lab-components.csv",
            download_label="Download (CSV)",
        )
    return horizon


def suggestion_panel(active: Scorecard, horizon: int) -> None:
    with st.expander("Calibrate weights on your history", icon=":material/auto_awesome:"):
        st.caption(
            "Fits non-negative weights (scikit-learn's logistic regression of churn on each "
            "component's shortfall) on the earlier snapshots and checks them on the later "
            "third, out of time, against the active scorecard. It needs at least "
            f"{MIN_CHURN_EVENTS} churn events, and is offered only when it predicts "
            "churn on the later snapshots. Nothing changes until a person saves and activates it."
        )
        if st.button("Calibrate", key="lab_suggest"):
            with st.spinner("Fitting on past snapshots…"):
                st.session_state["lab_suggestion"] = calibrate(
                    kept(backtest_snapshots, horizon), active
                )
        found = st.session_state.get("lab_suggestion")
        if not found:
            return
        st.markdown(calibrated_sentence(found, active.name))
        if found.scorecard is None:
            st.warning(found.refused or "No calibrated scorecard.")
            return
        show_table(calibrated_weights(found, active), columns.weights_compared())
        if found.refused:
            st.warning(found.refused)
            return
        st.button(
            "Load into the editor",
            key="lab_load_suggestion",
            on_click=lambda: load_into_editor(found.scorecard),
        )


def save_panel(candidate: Scorecard) -> None:
    """Save the candidate under a new name, as the signed-in person."""
    with st.form("lab_save"):
        st.markdown("**Save the candidate**")
        name = st.text_input("Name", key="lab_name", placeholder="e.g. adoption-heavy Q1")
        description = st.text_input("Description", key="lab_description")
        st.caption(f"Saved as {md(current_viewer().name)}.")
        if st.form_submit_button("Save"):
            try:
                save_scorecard(
                    stores().app,
                    candidate.model_copy(update={"name": name.strip(), "description": description}),
                    current_viewer().name,
                    now(),
                )
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.success(f"Saved {md(repr(name.strip()))}. Activate it on the right when ready.")


def _activation_clicked(version: str) -> None:
    """The activate button's callback: the scorecard the person saw picked (read by value from
    the picker of the version they were shown) and that version, for the run that follows."""
    picked = st.session_state.get(f"lab_activate_pick_{version}")
    st.session_state["lab_activate_pending"] = (picked, version)


def _activate_pending(app: AppStore) -> None:
    """Activate what was clicked in the last run, on the version it was shown; a refusal
    (another tab activated a scorecard meanwhile) is shown and nothing is recorded."""
    pending = st.session_state.pop("lab_activate_pending", None)
    if not pending:
        return
    picked, version = pending
    try:
        activate_scorecard(app, picked, current_viewer().name, now(), seen_version=version)
    except ValueError as exc:
        st.session_state["lab_activate_refused"] = str(exc)
        st.rerun()  # the page reads the active scorecard again
    rescore()
    for key in ("lab_base", "lab_backtest"):
        st.session_state.pop(key, None)
    st.session_state["lab_activated"] = picked
    st.rerun()


def activate_panel(lab: LabView, active: Scorecard, account_filter: AccountFilter) -> None:
    """Activate another saved scorecard, after seeing the band moves it makes. The widgets'
    keys carry the activation version, so an activation in another tab draws them afresh,
    and a click on the old ones is refused with who activated what, when."""
    app = stores().app
    _activate_pending(app)
    refused = st.session_state.pop("lab_activate_refused", None)
    if refused:
        st.error(refused, icon=":material/block:")
    activated = st.session_state.pop("lab_activated", None)
    if activated:
        st.success(f"Activated {md(repr(activated))}; the scores were rescored with it.")
    version = activation_version(app)
    st.markdown(f"**Activate a scorecard** (active now: **{md(active.name)}**)")
    others = [n for n in saved_scorecards(app)["name"].to_list() if n != active.name]
    if not others:
        st.caption("No other saved scorecard yet.")
        return
    chosen = st.selectbox("Scorecard", others, key=f"lab_activate_pick_{version}")
    card = load_saved(app, chosen)
    moving, sentence = activation_preview(
        lab.before, read(portfolio_components, account_filter, card.params), card
    )
    st.caption(sentence)
    show_table(moving, columns.band_moves())
    sure = st.checkbox("I have checked the band migration", key=f"lab_confirm_{version}")
    st.caption(
        f"Activated as {md(current_viewer().name)}. Today's scores and the kept history are "
        "scored again with it, so no trend or delta shows the change as a change of accounts."
    )
    st.button(
        "Activate and rescore",
        disabled=not sure,
        key=f"lab_activate_{version}",
        on_click=_activation_clicked,
        args=(version,),
    )


def audit_panel() -> None:
    with st.expander("Audit log: who changed the scorecard, when, and what"):
        show_table(scorecard_audit(stores().app), columns.scorecard_audit())
        st.caption("To revert, activate an earlier scorecard above.")


def _load_start(app: AppStore) -> None:
    load_into_editor(load_saved(app, st.session_state["lab_start"]))


def start_from(app: AppStore, active: Scorecard) -> None:
    """The saved scorecard the editor starts from (the active one first)."""
    names = saved_scorecards(app)["name"].to_list()
    st.selectbox(
        "Start from",
        names,
        key="lab_start",
        index=names.index(active.name) if active.name in names else 0,
        on_change=_load_start,
        args=(app,),
    )


def candidate_impact(lab: LabView) -> None:
    """What the candidate changes now: the cards, the distributions, the band moves."""
    kpi_row(lab.cards)
    one, two = st.columns(2)
    with one.container(border=True):
        st.markdown("**Health distribution**, active vs candidate")
        st.plotly_chart(charts.health_distributions(lab.histogram_before, lab.histogram_after, 5))
    with two.container(border=True):
        st.markdown("**Band migration**, active → candidate")
        st.plotly_chart(charts.band_sankey(lab.migration))
    m1, m2 = st.columns(2)
    with m1:  # the two matrices side by side, each under its caption
        st.caption("Accounts: rows active band, columns candidate band")
        show_table(
            lab.accounts_matrix, columns.band_matrix(lab.accounts_matrix.columns, money=False)
        )
    with m2:
        st.caption("ARR moved between bands")
        show_table(lab.arr_matrix, columns.band_matrix(lab.arr_matrix.columns, money=True))


def movers_panel(lab: LabView) -> None:
    """The accounts whose health moves most under the candidate."""
    st.subheader("Accounts that move most")
    if lab.movers.is_empty():
        st.caption("No account moves yet: change a weight, a band threshold or a parameter.")
    show_table(lab.movers, columns.movers(), download="tandem-lab-movers.csv")


def save_and_activate(
    lab: LabView, active: Scorecard, candidate: Scorecard, account_filter: AccountFilter
) -> None:
    """Save the candidate, activate it (a rerun of the whole app), and the audit."""
    st.subheader("Save and activate")
    s1, s2 = st.columns(2)
    with s1:
        save_panel(candidate)
    with s2.container(border=True):
        activate_panel(lab, active, account_filter)  # activating reruns the whole app
    audit_panel()
