"""Account: one account's full view, read through both lenses (reached by ?account=ID)."""

import streamlit as st

from dashboard.ui import account_panels as panels
from dashboard.ui.cards import verdict_line
from dashboard.ui.filters import current_filter
from dashboard.ui.goal_panels import account_goals
from dashboard.ui.handoff_panel import account_handoffs, account_tasks
from dashboard.ui.links import back_link
from dashboard.ui.queries import view
from dashboard.ui.stakeholder_panel import stakeholder_panel
from dashboard.ui.state import today
from dashboard.views.account import account_view

back_link()  # to the page the account was opened from, its view kept
account_id = panels.account_picker(current_filter())
if account_id is None:
    st.title("Account")
    st.info("No account matches the filters or the search.", icon=":material/search_off:")
    st.stop()
account = view(account_view, current_filter(), account_id, today())
if not account.found:  # outside the viewer's book reads exactly like not there
    panels.not_found(account, account_id, current_filter().scope)
    st.stop()

panels.header(account.profile, account.churn_note)
verdict_line(account.verdict)
panels.health_and_components(account)
panels.what_changed(account)
panels.what_pulls_it_down(account)
stakeholder_panel(account_id)
with st.container(border=True):
    panels.usage_panel(account)
st.subheader("Handoffs between the CSM and the AM")
account_handoffs(account.profile, "account")
account_tasks(account_id)
st.subheader("Success plan")
account_goals(account_id)
panels.source_tabs(account_id)
panels.privacy_panel(account_id)
