"""Account: one account's full view, read through both lenses (reached by ?account=ID)."""

import streamlit as st

from dashboard.text import md
from dashboard.ui import charts
from dashboard.ui.account_panels import (
    account_picker,
    drivers_by_lens,
    header,
    privacy_panel,
    source_tabs,
)
from dashboard.ui.cards import verdict_line
from dashboard.ui.filters import current_filter
from dashboard.ui.handoff_panel import account_handoffs, account_tasks
from dashboard.ui.identity import current_viewer
from dashboard.ui.links import back_link, not_here
from dashboard.ui.queries import view
from dashboard.ui.state import today
from dashboard.views.account import account_view
from dashboard.workflows.access import LEADERS

back_link()  # to the page the account was opened from, its view kept
account_id = account_picker(current_filter())
if account_id is None:
    st.title("Account")
    st.info("No account matches the filters or the search.", icon=":material/search_off:")
    st.stop()
account = view(account_view, current_filter(), account_id, today())
if not account.found:  # outside the viewer's book reads exactly like not there
    st.title("Account")
    if account.erased and current_viewer().role in LEADERS:  # who erased it, for a leader
        st.error(
            f"There is no account with id {md(repr(account_id))}. It was erased (a privacy"
            f" request) {md(account.erased)}; nothing else was done.",
            icon=":material/error:",
        )
    else:
        not_here(account_id, current_filter().scope)  # or in the other workspace: offer it
    st.stop()

header(account.profile, account.churn_note)
verdict_line(account.verdict)
left, right = st.columns(2)
with left.container(border=True):
    st.markdown("**Health over time**")
    st.plotly_chart(charts.account_health(account.history, account.red, account.green))
with right.container(border=True):
    st.markdown("**Components against the band thresholds**")
    st.plotly_chart(charts.component_bars(account.components, account.red, account.green))

st.subheader("What pulls it down, and who does what")
p = account.profile
drivers_by_lens(
    account.drivers, bool(p.get("am_owner")), p.get("coverage"), bool(p.get("low_coverage"))
)

with st.container(border=True):
    if account.usage.is_empty():
        st.markdown("**Weekly active users against licensed seats**")
        st.caption("No product usage loaded for this account.")
    else:
        st.markdown("**Weekly active users against licensed seats**" if charts.usage_has_users(account.usage)
                    else "**Weekly usage events** — this account's usage does not name its users")  # fmt: skip
        st.plotly_chart(charts.usage_vs_seats(account.usage, account.profile.get("licensed_seats")))

st.subheader("Handoffs between the CSM and the AM")
account_handoffs(account.profile, "account")
account_tasks(account_id)
source_tabs(account_id)
privacy_panel(account_id)
