"""The onboarding panel (Portfolio): time to value by the configured rule, the accounts stuck in
onboarding with the CSM's action, and onboarding by start month and segment."""

from __future__ import annotations

import streamlit as st

from dashboard.config import get_settings
from dashboard.store.filters import AccountFilter
from dashboard.ui import columns
from dashboard.ui.queries import read
from dashboard.ui.state import today
from dashboard.ui.tables import show_table
from dashboard.views.onboarding import onboarding_view, value_rule


def onboarding_panel(account_filter: AccountFilter) -> None:
    """Time to value for the accounts of the filter that started in the last 12 months."""
    view = read(onboarding_view, account_filter, today(), value_rule(get_settings()))
    st.subheader("Onboarding: time to value")
    st.caption(
        f"{view.rule} Set by TANDEM_VALUE_RULE, TANDEM_VALUE_SEAT_SHARE, "
        "TANDEM_VALUE_WEEKS and TANDEM_ONBOARDING_DAYS."
    )
    st.markdown(view.summary)
    if view.accounts.is_empty():
        return
    stuck, cohorts = st.tabs([f"Stuck in onboarding ({view.stuck.height:,})", "By cohort"])
    with stuck:
        if view.unknown_past:
            st.caption(
                f"{view.unknown_past:,} more accounts past the expected duration have an "
                "unknown first value (no seats on record or no usage rows for them): not "
                "listed as stuck; check their data in the account page."
            )
        if view.stuck.is_empty():
            st.caption("No account is stuck in onboarding.")
        else:
            show_table(
                view.stuck,
                columns.onboarding_stuck(),
                download="tandem-stuck-onboarding.csv",
                download_label="Download the stuck accounts (CSV)",
            )
    with cohorts:
        show_table(view.cohorts, columns.onboarding_cohorts())
