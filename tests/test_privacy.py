import polars as pl
import pytest

from dashboard import clock
from dashboard.text import EMAIL_MASK, PHONE_MASK, mask_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe+crm@acme.co.uk today", f"mail {EMAIL_MASK} today"),
        ("call +44 20 7946 0958", f"call {PHONE_MASK}"),
        ("call (415) 555-0100 or 415.555.0100", f"call ({PHONE_MASK} or {PHONE_MASK}"),
        ("renewal 2026-11-22, 120 seats, $45,000", "renewal 2026-11-22, 120 seats, $45,000"),
        ("ACC-000123 grew 20%", "ACC-000123 grew 20%"),
        (None, None),
        # an address or a number split by a character that shows nothing is masked all the same
        ("mail jane\x00@acme.io", f"mail {EMAIL_MASK}"),
        ("mail jane\u200b@acme.io or ana\u200d@acme.io", f"mail {EMAIL_MASK} or {EMAIL_MASK}"),
        ("call +44 20\u202e 7946\u00ad 0958", f"call {PHONE_MASK}"),
        (
            "team \U0001f468\u200d\U0001f469 ok",
            "team \U0001f468\u200d\U0001f469 ok",
        ),  # emoji kept whole
    ],
)
def test_mask_emails_and_phones_but_not_dates_or_amounts(text, expected):
    frame = pl.DataFrame(
        {"summary": [text], "arr": [1.0]}, schema={"summary": pl.String, "arr": pl.Float64}
    )
    assert mask_pii(frame)["summary"][0] == expected


def test_free_text_is_masked_wherever_it_is_read(empty_stores):
    import datetime as dt

    from dashboard.store.account_detail import account_rows
    from dashboard.workflows import decisions as sync_notes
    from dashboard.workflows import handoffs as h
    from dashboard.workflows import tasks

    stores = empty_stores
    accounts = pl.DataFrame({"account_id": ["A1"], "account_name": ["Acme"]})
    activities = pl.DataFrame(
        {
            "account_id": ["A1"],
            "occurred_at": [dt.datetime(2026, 11, 1)],
            "kind": ["call"],
            "summary": ["Sam (sam@acme.io, +1 415 555 0100) asked for a quote"],
        }
    )
    with stores.sources.writer() as writer:
        writer.replace_table("accounts", accounts)
        writer.replace_table("activities", activities)
    shown = account_rows(stores.sources, "activities", "A1")["summary"][0]
    assert shown == f"Sam ({EMAIL_MASK}, {PHONE_MASK}) asked for a quote"
    now = dt.datetime(2026, 11, 22)
    h.flag(stores.app, "A1", "expansion", "ping ana@acme.io", "Cleo", "csm", now=now)
    assert h.handoffs(stores.app)["evidence"][0] == f"ping {EMAIL_MASK}"
    assert EMAIL_MASK in h.handoff_history(stores.app, "A1")["note"][0]
    sync_notes.add_decision(
        stores.app, "P", "A1", "call 020 7946 0958 first", None, None, "x", "csm", now
    )
    assert sync_notes.decisions(stores.app, "P")["decision"][0] == f"call {PHONE_MASK} first"
    stored = stores.app.query("SELECT decision FROM sync_notes")["decision"][0]
    assert "0958" in stored  # kept as written; masked on the way out
    assert tasks.tasks(stores.app).is_empty()


def test_only_a_leader_can_unmask_and_it_is_logged(tmp_path, app_data_dir):

    from streamlit.testing.v1 import AppTest

    from dashboard.ingest.demo import DemoSpec, load_demo
    from dashboard.jobs.refresh import refresh
    from dashboard.store import Stores
    from dashboard.workflows.access import LOCAL, Viewer

    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=40, seed=5, anchor=clock.today()))
    account = stores.sources.query("SELECT account_id FROM accounts ORDER BY 1 LIMIT 1")[0, 0]
    with stores.sources.writer() as writer:
        writer.execute(
            "INSERT INTO activities (account_id, occurred_at, kind, summary)"
            " VALUES (?, ?::TIMESTAMP - INTERVAL 1 DAY, 'note', 'mail zoe@client.example')",
            [account, clock.now()],
        )
    refresh(stores, clock.today(), tmp_path, digests=False)
    app_data_dir(tmp_path)

    def account_page(viewer):
        at = AppTest.from_file("../dashboard/app.py", default_timeout=30)
        at.session_state["viewer"] = viewer
        at.query_params["account"] = account  # a link to the account's page
        at.switch_page("../pages/account.py").run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    def summaries(at) -> str:
        return " ".join(
            " ".join(map(str, d.value["summary"])) for d in at.dataframe if "summary" in d.value
        )

    lee = Viewer(name="Lee", role="leader", email="lee@tandem.example")
    at = account_page(lee)
    assert EMAIL_MASK in summaries(at) and "zoe@client.example" not in summaries(at)
    at.sidebar.toggle(key="unmask_pii").set_value(True).run()
    assert "zoe@client.example" in summaries(at)
    log = stores.app.query("SELECT actor, action FROM audit_log WHERE action LIKE '%pii'")
    assert log.rows() == [("Lee", "unmask pii")]
    for viewer in (LOCAL, Viewer(name="Sam", role="csm")):
        assert not [t for t in account_page(viewer).sidebar.toggle if t.key == "unmask_pii"]
