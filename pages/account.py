"""Account: one account's full view, read through both lenses (reached by ?account=ID)."""

import streamlit as st

from dashboard.store import account_detail as account
from dashboard.ui import charts
from dashboard.ui.account_panels import (
    account_picker,
    drivers_by_lens,
    header,
    privacy_panel,
    source_tabs,
)
from dashboard.ui.filters import current_filter
from dashboard.ui.handoff_panel import handoff_panel, history_table, task_editor
from dashboard.ui.identity import unmasked
from dashboard.ui.queries import read
from dashboard.ui.state import stores
from dashboard.workflows.access import account_visible
from dashboard.workflows.handoffs import handoff_history
from dashboard.workflows.scorecards import active_scorecard
from dashboard.workflows.tasks import tasks

account_id = account_picker(current_filter())
if account_id is None:
    st.title("Account")
    st.info("No account matches the filters or the search.", icon=":material/search_off:")
    st.stop()

# an account outside the person's book reads exactly like one that does not exist
profile = read(account.account_profile, account_id)
if profile is None or not read(account_visible, current_filter(), account_id):
    st.title("Account")
    st.error(f"There is no account with id {account_id!r}.", icon=":material/error:")
    st.stop()

scorecard = active_scorecard(stores().app)
red, green = scorecard.thresholds.red, scorecard.thresholds.green
header(profile)

left, right = st.columns(2)
with left.container(border=True):
    st.markdown("**Health over time**")
    st.plotly_chart(charts.account_health(read(account.health_history, account_id), red, green))
with right.container(border=True):
    st.markdown("**Components against the band thresholds**")
    scores = {c: profile.get(c) for c in charts.COMPONENT_LABELS}
    st.plotly_chart(charts.component_bars(scores, red, green))

st.subheader("What pulls it down, and who does what")
drivers_by_lens(read(account.account_drivers, account_id))

with st.container(border=True):
    st.markdown("**Weekly active users against licensed seats**")
    usage = read(account.weekly_usage, account_id, 26)
    if usage.is_empty():
        st.caption("No product usage loaded for this account.")
    else:
        st.plotly_chart(charts.usage_vs_seats(usage, profile.get("licensed_seats")))

st.subheader("Handoffs between the CSM and the AM")
handoff_side, history_side = st.columns(2)
with handoff_side:
    handoff_panel(profile, "account")
with history_side:
    history_table(handoff_history(stores().app, account_id, unmasked()))
    st.markdown("**Tasks**")
    task_editor(tasks(stores().app, [account_id], unmask=unmasked()), "account_tasks")

source_tabs(account_id)
privacy_panel(account_id)
