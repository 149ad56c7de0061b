"""Weekly sync: one CSM+AM pair (or one combined owner) walks through its shared accounts —
what changed, renewals, handoffs, expansion signals, risks — and records its decisions. The
pair is in the URL (?pair=…), so one link opens the same view for both people."""

import datetime as dt

import polars as pl
import streamlit as st

from dashboard.store.pairs import pairs, split_pair
from dashboard.ui.cards import format_value
from dashboard.ui.identity import current_viewer, unmasked
from dashboard.ui.queries import read
from dashboard.ui.state import now, stores, today
from dashboard.ui.tables import account_columns, edited_rows, money_column, with_band_labels
from dashboard.views.sync import agenda_html, agenda_markdown, build_agenda
from dashboard.workflows import decisions as sync_notes
from dashboard.workflows.scorecards import active_scorecard

st.title("Weekly sync")
viewer = current_viewer()
all_pairs = read(pairs)
if not viewer.sees_everything:
    all_pairs = all_pairs.filter((pl.col("csm") == viewer.name) | (pl.col("am") == viewer.name))
if all_pairs.is_empty():
    st.info("No account has both a CSM and an AM, so there is no pair to sync.")
    st.stop()
keys = all_pairs["key"].to_list()
labels = {
    r["key"]: f"{r['key']} — {r['accounts']} accounts, {format_value(r['arr'], 'money')}"
    + (" (combined role)" if r["model"] == "combined" else "")
    for r in all_pairs.iter_rows(named=True)
}
wanted = st.query_params.get("pair")
if "sync_pair" not in st.session_state:
    st.session_state["sync_pair"] = wanted if wanted in keys else keys[0]
elif (
    wanted in keys
    and wanted != st.session_state["sync_pair"]
    and "sync_seen" not in st.session_state
):
    st.session_state["sync_pair"] = wanted
st.session_state["sync_seen"] = True
pair = st.selectbox("Pair", keys, format_func=labels.get, key="sync_pair")
st.query_params["pair"] = pair
if wanted and wanted not in keys:
    st.warning(f"There is no pair {wanted!r}; showing {pair}.")

card = active_scorecard(stores().app)
agenda = build_agenda(stores(), pair, today(), card.thresholds.red, unmasked())
csm, am = split_pair(pair)
st.caption(
    f"Changes since {'the last sync on ' if agenda.since_last_sync else ''}{agenda.since}"
    f"{'' if agenda.since_last_sync else ' (no earlier sync: the last 7 days)'} · "
    "share this page's link: it opens the same view for both of you."
)

with st.container(horizontal=True):
    st.metric("Shared accounts", f"{agenda.accounts.height:,}", border=True)
    st.metric("ARR", format_value(agenda.accounts["arr"].sum(), "money"), border=True)
    st.metric("Changes", f"{agenda.changes.height:,}", border=True)
    st.metric("Renewals in 90 days", f"{agenda.renewals.height:,}", border=True)
    st.metric("Handoffs waiting", f"{agenda.waiting.height:,}", border=True)
    st.metric("Risks", f"{agenda.risks.height:,}", border=True)

cc = st.column_config
st.subheader("Since last sync")
st.dataframe(
    agenda.changes, hide_index=True, placeholder="—",
    column_config={"account_name": cc.TextColumn("Account"), "change": cc.TextColumn("Change"),
                   "detail": cc.TextColumn("Detail", width="large"),
                   "on_date": cc.DateColumn("On", format="YYYY-MM-DD")},
    column_order=["account_name", "change", "detail", "on_date"],
)  # fmt: skip

left, right = st.columns(2)
with left:
    st.subheader("Renewals in 90 days")
    st.dataframe(
        agenda.renewals, hide_index=True, placeholder="—",
        column_config={**account_columns(),
                       "checks_passed": cc.ProgressColumn("Value validated", min_value=0,
                                                          max_value=4, format="%d of 4"),
                       "checks_missing": cc.TextColumn("Missing", width="medium"),
                       "value_review": cc.TextColumn("CSM review"),
                       "commercial_plan": cc.TextColumn("AM plan")},
        column_order=["account_name", "renewal_date", "arr", "checks_passed", "checks_missing",
                      "value_review", "commercial_plan"],
    )  # fmt: skip
with right:
    st.subheader("Handoffs waiting")
    st.dataframe(
        agenda.waiting, hide_index=True, placeholder="—",
        column_config={"account_name": cc.TextColumn("Account"), "kind": cc.TextColumn("Kind"),
                       "state": cc.TextColumn("State"), "waiting_on": cc.TextColumn("Waiting on"),
                       "created_by": cc.TextColumn("Flagged by"),
                       "created_at": cc.DatetimeColumn("Flagged", format="YYYY-MM-DD")},
        column_order=["account_name", "kind", "state", "waiting_on", "created_by", "created_at"],
    )  # fmt: skip

left, right = st.columns(2)
with left:
    st.subheader("Expansion signals not yet flagged")
    st.dataframe(
        agenda.signals, hide_index=True, placeholder="—",
        column_config={**account_columns(), "triggers_fired": cc.TextColumn("Triggers"),
                       "expansion_potential": money_column("Potential")},
        column_order=["account_name", "triggers_fired", "expansion_potential", "days_to_renewal"],
    )  # fmt: skip
with right:
    st.subheader("Risks")
    st.dataframe(
        with_band_labels(agenda.risks), hide_index=True, placeholder="—",
        column_config={**account_columns(), "csm_next": cc.TextColumn("CSM does"),
                       "am_next": cc.TextColumn("AM does")},
        column_order=["account_name", "arr", "health", "band", "top_cause", "csm_next",
                      "am_next"],
    )  # fmt: skip

st.subheader("Decisions")
if agenda.last_decisions.height:
    st.markdown(f"**From the last sync ({agenda.since})** — update their status")
    edited = st.data_editor(
        agenda.last_decisions.select("note_id", "account_name", "decision", "owner", "due_on",
                                     "status"),
        hide_index=True, key="last_decisions", disabled=["account_name", "decision", "owner",
                                                         "due_on"],
        column_config={"note_id": None, "account_name": cc.TextColumn("Account"),
                       "decision": cc.TextColumn("Decision", width="large"),
                       "owner": cc.TextColumn("Who"), "due_on": cc.DateColumn("By"),
                       "status": cc.SelectboxColumn("Status", options=list(sync_notes.STATUSES),
                                                    required=True)},
    )  # fmt: skip
    changed = edited_rows(edited, agenda.last_decisions, "note_id", ["status"])
    for row in changed.iter_rows(named=True):
        sync_notes.set_status(stores().app, row["note_id"], row["status"])
else:
    st.caption("No decision from an earlier sync.")

todays = agenda.decisions.filter(pl.col("sync_on") == today())
with st.form("new_decision", clear_on_submit=True):
    st.markdown("**Record a decision**")
    names = dict(zip(agenda.accounts["account_id"], agenda.accounts["account_name"], strict=True))
    one, two, three = st.columns([2, 1, 1])
    account_id = one.selectbox(
        "Account", [None, *names], format_func=lambda a: "(the whole book)" if a is None
        else names[a], key="decision_account",
    )  # fmt: skip
    owner = two.selectbox("Who does it", list(dict.fromkeys([csm, am])), key="decision_owner")
    due = three.date_input("By", today() + dt.timedelta(days=7), key="decision_due")
    decision = st.text_area("Decision", key="decision_text", height=80,
                            placeholder="e.g. Run an ROI review with the sponsor before the quote")  # fmt: skip
    author = st.selectbox(
        "Written by", [(csm, "csm"), (am, "am")] if csm != am else [(csm, "both")],
        format_func=lambda p: f"{p[0]} ({p[1].upper() if p[1] != 'both' else 'CSM + AM'})",
        key="decision_author",
    )  # fmt: skip
    if st.form_submit_button("Save the decision", type="primary"):
        try:
            sync_notes.add_decision(stores().app, pair, account_id, decision, owner, due,
                                    author[0], author[1], now())  # fmt: skip
        except ValueError as exc:
            st.error(str(exc), icon=":material/edit_off:")
        else:
            st.toast("Decision saved")
            st.rerun()
if todays.height:
    st.dataframe(
        todays.select("account_name", "decision", "owner", "due_on", "author"), hide_index=True,
        placeholder="—",
        column_config={"account_name": cc.TextColumn("Account"),
                       "decision": cc.TextColumn("Decision", width="large"),
                       "owner": cc.TextColumn("Who"), "due_on": cc.DateColumn("By"),
                       "author": cc.TextColumn("Written by")},
    )  # fmt: skip

st.subheader("Export the agenda")
with st.container(horizontal=True):
    slug = pair.lower().replace(" + ", "-").replace(" ", "-")
    st.download_button(
        "Agenda and decisions (Markdown)", lambda: agenda_markdown(agenda, todays),
        file_name=f"sync-{slug}-{today()}.md", mime="text/markdown", on_click="ignore",
        icon=":material/description:", key="download_agenda_md",
    )  # fmt: skip
    st.download_button(
        "Print view (HTML, print to PDF)", lambda: agenda_html(agenda, todays),
        file_name=f"sync-{slug}-{today()}.html", mime="text/html", on_click="ignore",
        icon=":material/print:", key="download_agenda_html",
    )  # fmt: skip
