"""The Account page's building blocks."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.config import get_settings
from dashboard.store import account_detail as account
from dashboard.store.filters import AccountFilter
from dashboard.text import CHURN_RISK_HELP, CHURN_RISK_LABEL, CHURNED, NO_DATA, md
from dashboard.ui import charts
from dashboard.ui.cards import change_in_days, format_value
from dashboard.ui.identity import current_viewer, unmasked
from dashboard.ui.links import not_here
from dashboard.ui.queries import read
from dashboard.ui.tables import auto_columns, download_csv, humanize, money_column
from dashboard.views.account import AccountView
from dashboard.views.what_changed import model_summary
from dashboard.workflows.access import LEADERS

BADGE_COLORS = {"red": "red", "yellow": "orange", "green": "green"}


def account_picker(account_filter: AccountFilter) -> str | None:
    """The account in the URL (``?account=ID``; the sidebar's search puts it there), or the
    weakest account in the filter when the URL names none."""
    wanted = st.query_params.get("account")
    if wanted:
        return wanted  # the page says when it is not there, or not in the viewer's book
    first = read(account.find_accounts, account_filter, "", 1)
    if first.is_empty():
        return None
    st.query_params["account"] = first["account_id"][0]
    return first["account_id"][0]


def renewal_basis(p: dict) -> str | None:
    """Where the renewal date comes from, when it is not the CRM's own."""
    crm, used = p.get("crm_renewal_date"), p.get("renewal_date")
    if used is None or crm == used:
        return None
    why = "the CRM has no renewal date" if crm is None else f"the CRM's date, {crm}, has passed"
    start = str(p.get("renewal_basis") or "").removeprefix("estimated from ").rsplit(" ", 1)[0]
    return f"Estimated: the next anniversary of the {start or 'contract start'} ({why})."


def header(p: dict, churn_note: str | None = None) -> None:
    """Name, owners, ARR, band, days to renewal."""
    band = p.get("band") or (CHURNED if p.get("churned") else NO_DATA)
    st.title(md(p["account_name"]))
    st.badge(f"{band} band", color=BADGE_COLORS.get(band, "gray"))
    st.caption(
        f"{md(p['account_id'])} · {md(p.get('segment'))} · {md(p.get('region'))} · "
        f"{md(p.get('plan'))} plan · {md(p.get('industry'))} · "
        f"CSM **{md(p.get('csm_owner'))}** · AM **{md(p.get('am_owner')) if p.get('am_owner') else 'none'}**"
    )
    if p.get("churned"):
        st.warning(
            f"This account churned (renewal date {p.get('renewal_date')}).",
            icon=":material/logout:",
        )
    with st.container(horizontal=True):
        health = p.get("health")
        change, arrow = change_in_days(p.get("health_change_30d"))
        st.metric(
            "Health",
            "—" if health is None else f"{health:.0f}",
            delta=change,
            delta_arrow=arrow,
            delta_color="normal" if arrow == "auto" else "off",
            border=True,
        )
        st.metric("Band", band.capitalize(), border=True)
        risk = p.get("churn_probability")
        st.metric(
            CHURN_RISK_LABEL,
            "—" if risk is None else f"{risk:.0%}",
            border=True,
            help=f"{CHURN_RISK_HELP}: this health's churn rate in the "
            "portfolio's own history (fitted on past snapshots)"
            if risk is not None
            else f"Not shown: {churn_note or 'no health score'}.",
        )
        st.metric("ARR", format_value(p.get("arr"), "money"), border=True)
        days = p.get("days_to_renewal")
        st.metric(
            "Renewal",
            str(p.get("renewal_date") or "—"),
            delta=None
            if days is None
            else f"in {days} days" + (", estimated" if renewal_basis(p) else ""),
            delta_color="off",
            delta_arrow="off",
            border=True,
            help=renewal_basis(p),
        )
        coverage = p.get("coverage")
        st.metric(
            "Data coverage",
            "—" if coverage is None else f"{coverage:.0%}",
            border=True,
            help="Share of the scorecard's weight whose component had data",
        )
    coverage = p.get("coverage")
    missing = p.get("missing_sources")
    if coverage is not None and p.get("low_coverage"):
        st.warning(
            f"Low data coverage: only {coverage:.0%} of the scorecard's weight had data, so this "
            "health is a rough read, not a confident number."
            + (f" No data for this account from: {md(missing)}." if missing else ""),
            icon=":material/data_alert:",
        )
    elif missing:
        st.caption(f"No data for this account from: {md(missing)} (those components are left out).")


def no_drivers_said(coverage: float | None, low: bool) -> tuple[str, str]:
    """What an account without drivers is told, and how (``success`` or ``info``): "nothing
    pulls it down" only when its health was read from enough data; at no (or low) coverage
    the rest is unknown, not fine."""
    if not coverage:
        return (
            "info",
            "No driver can be read: none of the scorecard's sources has data for this account, "
            "so what pulls it down is unknown.",
        )
    if low:
        return (
            "info",
            f"Nothing pulls it down among the components with data, but they are only "
            f"{coverage:.0%} of the scorecard's weight: the rest is unknown.",
        )
    return "success", "Nothing pulls this account down by more than a couple of points."


def drivers_by_lens(
    drivers: pl.DataFrame,
    has_am: bool = True,
    coverage: float | None = 1.0,
    low_coverage: bool = False,
) -> None:
    """The same drivers, side by side: what the CSM does and what the AM does. With no AM on
    the account, the revenue lens says so instead of giving actions nobody owns."""
    if drivers.is_empty():
        kind, text = no_drivers_said(coverage, low_coverage)
        getattr(st, kind)(text)
        return
    value, revenue = st.columns(2)
    for column, role, action in (
        (value, "CSM — value lens", "csm_action"),
        (revenue, "AM — revenue lens", "am_action"),
    ):
        with column.container(border=True):
            st.markdown(f"**{role}**")
            if action == "am_action" and not has_am:
                st.info(
                    "No AM on this account: nobody owns the revenue actions. It is listed on "
                    "the Unmanaged middle page until an AM is assigned.",
                    icon=":material/person_off:",
                )
                continue
            for row in drivers.iter_rows(named=True):
                st.markdown(
                    f"**{row['component'].replace('_', ' ').capitalize()}** "
                    f"(−{row['health_points_lost']:.0f} health pts): {md(row['cause'])}  \n"
                    f"→ {md(row[action])}"
                )


def source_tabs(account_id: str) -> None:
    """Tickets, invoices, surveys, the activity timeline, outcomes and CRM-vs-billing."""
    tabs = st.tabs(["Activity", "Tickets", "Invoices", "Surveys", "Outcomes", "CRM vs billing"])
    for tab, table in zip(
        tabs[:5], ["activities", "tickets", "invoices", "surveys", "outcomes"], strict=True
    ):
        with tab:
            rows = read(account.account_rows, table, account_id, unmasked())
            if rows.is_empty():
                st.caption(f"No {table} loaded for this account.")
                continue
            st.dataframe(
                rows.head(200),
                hide_index=True,
                placeholder="—",
                column_config=auto_columns(rows, _source_columns()),
            )
            download_csv(rows.rename(humanize), f"{account_id}-{table}.csv")  # labelled as shown
    with tabs[5]:
        mismatches = read(account.crm_billing_mismatches, account_id)
        if mismatches.is_empty():
            st.caption(
                "CRM and billing agree on ARR, seats and renewal date (or billing has no data)."
            )
        else:
            st.warning(f"{mismatches.height} field(s) differ between the CRM and billing.")
            st.dataframe(
                mismatches, hide_index=True, placeholder="—", column_config=auto_columns(mismatches)
            )


def _source_columns() -> dict[str, object]:
    cc = st.column_config
    return {
        "amount": money_column("Amount"),
        "arr": money_column("ARR"),
        "arr_change": money_column("ARR change"),
        "occurred_at": cc.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
        "created_at": cc.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
        "resolved_at": cc.DatetimeColumn("Resolved", format="YYYY-MM-DD HH:mm"),
        "responded_at": cc.DatetimeColumn("Responded", format="YYYY-MM-DD"),
        "summary": cc.TextColumn("Summary", width="large"),
    }


def privacy_panel(account_id: str) -> None:
    """GDPR requests for this account, for leaders: export everything (unmasked, for the data
    subject) or erase it everywhere. Both are audited with the signed-in identity. The export
    is built in this session's run, from this session's workspace and organisation."""
    from dashboard.ui.identity import current_viewer
    from dashboard.ui.state import data_dir, now, stores
    from dashboard.workflows.gdpr import delete_account, export_account

    viewer = current_viewer()
    if viewer.role not in LEADERS:
        return
    with st.expander("Privacy requests (GDPR)", icon=":material/shield_person:"):
        key = f"gdpr_export_{account_id}"
        if st.button(
            "Prepare an export of everything stored about this account",
            key=f"gdpr_prepare_{account_id}",
        ):
            st.session_state[key] = export_account(
                stores(), account_id, data_dir(), now(), viewer.name
            )
        if key in st.session_state:
            st.download_button(
                "Download the export (zip)",
                st.session_state[key],
                file_name=f"{account_id}-export.zip",
                mime="application/zip",
                on_click="ignore",
                icon=":material/folder_zip:",
                key="gdpr_export",
            )
        st.caption(
            "Erasure deletes the account in every table, snapshot, handoff, note, task and "
            "digest. It cannot be undone; the audit log keeps only the id, the time and who asked."
        )
        typed = st.text_input(f"Type {account_id} to confirm the erasure", key="gdpr_confirm")
        if st.button(
            "Erase this account", type="primary", disabled=typed != account_id, key="gdpr_delete"
        ):
            done = delete_account(stores(), account_id, data_dir(), now(), viewer.name)
            st.query_params.clear()
            st.success(
                f"{account_id} erased: {sum(done.rows.values()):,} rows in "
                f"{len(done.rows)} tables, {done.digest_files} digest files."
            )
            st.stop()


def not_found(account: AccountView, account_id: str, scope: list[str] | None) -> None:
    """An id this viewer cannot open: erased (who and when, for a leader), in the other
    workspace (offer it), or no such account (outside the book reads exactly like that)."""
    st.title("Account")
    if account.erased and current_viewer().role in LEADERS:
        st.error(
            f"There is no account with id {md(repr(account_id))}. It was erased (a privacy"
            f" request) {md(account.erased)}; nothing else was done.",
            icon=":material/error:",
        )
    else:
        not_here(account_id, scope)  # or in the other workspace: offer it


def health_and_components(account: AccountView) -> None:
    """Health over time beside the components against the band thresholds."""
    left, right = st.columns(2)
    with left.container(border=True):
        st.markdown("**Health over time**")
        st.plotly_chart(charts.account_health(account.history, account.red, account.green))
    with right.container(border=True):
        st.markdown("**Components against the band thresholds**")
        st.plotly_chart(charts.component_bars(account.components, account.red, account.green))


def what_pulls_it_down(account: AccountView) -> None:
    """The drivers, read through the CSM's and the AM's lenses."""
    st.subheader("What pulls it down, and who does what")
    p = account.profile
    drivers_by_lens(
        account.drivers, bool(p.get("am_owner")), p.get("coverage"), bool(p.get("low_coverage"))
    )


def usage_panel(account: AccountView) -> None:
    """Weekly active users against licensed seats (or events, when users are not named)."""
    if account.usage.is_empty():
        st.markdown("**Weekly active users against licensed seats**")
        st.caption("No product usage loaded for this account.")
        return
    st.markdown(
        "**Weekly active users against licensed seats**"
        if charts.usage_has_users(account.usage)
        else "**Weekly usage events** — this account's usage does not name its users"
    )
    st.plotly_chart(charts.usage_vs_seats(account.usage, account.profile.get("licensed_seats")))


def what_changed(account: AccountView) -> None:
    """What changed and why: three to five sentences from the data, since last week, the
    pair's last sync or the last QBR (the view's ``changes``); the team's own language
    model's summary beside them only when one is configured."""
    st.subheader("What changed and why")
    if not account.changes:
        st.caption("No comparison date for this account.")
        return
    labels = [c.label for c in account.changes]
    picked = st.segmented_control("Since", labels, default=labels[0], key="account_changes_since")
    story = next((c for c in account.changes if c.label == picked), account.changes[0])
    with st.container(border=True):
        st.caption(md(story.compared))
        st.markdown("\n".join(f"- {md(s.text)}" for s in story.sentences))
        name = account.profile.get("account_name", "")
        summary = model_summary(get_settings().story_model_url, name, story.sentences)
        if summary:
            st.caption(f"Your team's language model: {md(summary)}")
