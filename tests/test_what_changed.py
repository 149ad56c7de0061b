"""What changed and why in the app: the Account page's view, the sync agenda, the Portfolio's
largest movers, the digests, and the optional language-model hook (off by default)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import polars as pl

from dashboard.config import Settings
from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.digests import build_digests, digest_markdown
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.filters import AccountFilter
from dashboard.store.pairs import pairs
from dashboard.views import what_changed as wc
from dashboard.views.portfolio import portfolio_movers
from dashboard.views.sync import agenda_markdown, build_agenda
from scoring.story import KINDS, STORY_MAX, Sentence
from tests.conftest import TODAY

WEEK = TODAY - dt.timedelta(days=7)


def _ids(stores: Stores) -> list[str]:
    return stores.sources.query("SELECT account_id FROM account_scores")["account_id"].to_list()


def test_every_account_gets_one_to_five_sentences_and_band_changes_match_the_snapshots(
    demo_stores: Stores,
):
    since, frame = wc.story_rows(demo_stores, _ids(demo_stores), WEEK, TODAY)
    assert since == WEEK  # the demo keeps a weekly snapshot
    per = frame.group_by("account_id").agg(n=pl.len(), kinds=pl.col("kind"))
    assert per.height == len(_ids(demo_stores))
    assert per["n"].is_between(1, STORY_MAX).all()
    assert set(frame["kind"]) <= set(KINDS) and "unavailable" not in set(frame["kind"])
    alone = frame.filter(pl.col("kind").is_in(["nothing"]))
    assert alone.join(frame, on="account_id").height == alone.height  # "nothing" stands alone
    # the band sentences are exactly the accounts whose band differs from last week's snapshot
    direct = demo_stores.sources.query(
        "SELECT a.account_id FROM account_scores a JOIN score_snapshots s USING (account_id)"
        " WHERE s.as_of = ? AND a.band <> s.band AND a.health IS NOT NULL"
        " AND s.health IS NOT NULL",
        [WEEK],
    )
    said = frame.filter(pl.col("kind") == "band")
    assert sorted(said["account_id"]) == sorted(direct["account_id"]) and said.height > 0


def test_account_changes_say_the_dates_compared_and_unknown_stays_unknown(demo_stores: Stores):
    account = _ids(demo_stores)[0]
    profile = demo_stores.sources.query(
        "SELECT * FROM account_scores WHERE account_id = ?", [account]
    ).row(0, named=True)
    stories = wc.account_changes(demo_stores, profile, TODAY)
    assert stories[0].label == "since last week" and stories[0].since == WEEK
    assert stories[0].compared == "since last week: the scores of 2026-06-08 against 2026-06-15"
    assert 1 <= len(stories[0].sentences) <= STORY_MAX
    long_ago = wc.changes_between(demo_stores, account, dt.date(2020, 1, 1), TODAY, "since then")
    assert [s.kind for s in long_ago.sentences] == ["unavailable"]
    assert long_ago.since is None and "not available" in long_ago.sentences[0].text


def test_the_sync_agenda_reads_what_changed_on_the_pairs_accounts(demo_stores: Stores):
    pair = pairs(demo_stores.sources).filter(pl.col("model") == "pair")["key"][0]
    agenda = build_agenda(demo_stores, pair, TODAY)
    assert agenda.stories_note is None
    ids = set(agenda.accounts["account_id"])
    assert set(agenda.stories["account_id"]) <= ids and agenda.stories.height > 0
    _, frame = wc.story_rows(demo_stores, sorted(ids), agenda.since, agenda.as_of)
    moved = frame.filter(pl.col("kind") != "nothing")["account_id"].unique()
    assert sorted(agenda.stories["account_id"]) == sorted(moved)
    first = agenda.stories.row(0, named=True)
    md = agenda_markdown(agenda)
    assert "## What changed and why" in md and first["changes"].split(":")[0] in md


def test_the_portfolio_lists_the_largest_movers_with_their_sentence(demo_stores: Stores):
    movers = portfolio_movers(demo_stores, AccountFilter(), TODAY)
    assert movers.since == WEEK and movers.until == TODAY
    rows = movers.rows
    assert 0 < rows.height <= wc.MOVERS and rows["change"].is_not_null().all()
    moves = rows["health_change"].abs().to_list()
    assert moves == sorted(moves, reverse=True)
    # the largest move of all, read straight from the two snapshots
    direct = demo_stores.sources.query(
        "SELECT max(abs(a.health - s.health)) FROM account_scores a"
        " JOIN score_snapshots s USING (account_id) WHERE s.as_of = ?",
        [WEEK],
    ).item()
    assert abs(moves[0] - direct) < 1e-9


def test_digests_carry_what_changed_on_the_owners_movers():
    scored = pl.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "account_name": ["Acme", "Birch", "Cedar"],
            "csm_owner": ["Ann", "Ann", "Bo"],
            "am_owner": ["Cy", "Cy", "Cy"],
            "arr": [100.0, 200.0, 300.0],
            "health": [30.0, 80.0, 50.0],
            "band": ["red", "green", "yellow"],
            "days_to_renewal": [40, 200, 100],
            "health_falling": [True, False, False],
            "risk_before_deadline": [True, False, False],
            "invoices_overdue": [0, 0, 0],
            "max_days_past_due": [0, 0, 0],
            "expansion_ready": [False, False, False],
            "expansion_window": [None, None, None],
            "triggers_fired": [None, None, None],
            "top_cause": ["c", "c", "c"],
            "top_action": ["a", "a", "a"],
            "csm_next": ["x", "x", "x"],
            "am_next": ["y", "y", "y"],
        }
    )
    stories = pl.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A3"],
            "kind": ["band", "component", "nothing", "champion"],
            "text": [
                "Health fell from 45 to 30: the band went from yellow to red.",
                "Adoption fell 20 points (60 → 40).",
                "Nothing in the data changed between 2026-06-08 and 2026-06-15.",
                "The champion left: Omar Silva (on 2026-06-10).",
            ],
            "magnitude": [40.0, 20.0, 0.0, 71.0],
            "rank": [1, 2, 1, 1],
        }
    )
    owners = pl.DataFrame({"owner": ["Lee"], "role": ["leader"]})
    digests = {(d.owner, d.role): d for d in build_digests(scored, owners, TODAY, stories=stories)}
    ann = digest_markdown(digests[("Ann", "csm")])
    assert "## What changed since last week" in ann
    assert (
        "**Acme** (A1): Health fell from 45 to 30\\: the band went from yellow to red. "
        "Adoption fell 20 points (60 → 40)." in ann
    )
    assert "Birch" not in ann.split("## What changed")[1]  # nothing changed: not a mover
    assert digests[("Cy", "am")].changes["account_id"].to_list() == ["A3", "A1"]
    assert digests[("Lee", "leader")].changes["account_id"].to_list() == ["A3", "A1"]
    none = build_digests(scored, owners, TODAY, stories_note="Not available: no scores.")
    assert "Not available: no scores." in digest_markdown(none[0])


def test_the_nightly_digests_say_what_changed_once_a_week_of_scores_is_kept(tmp_path):
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=60, seed=5, anchor=TODAY))
    first = refresh(stores, TODAY, tmp_path, backfill_weeks=2)
    text = " ".join(p.read_text() for p in first.digests if p.suffix == ".md")
    assert "no scores were kept on or before 2026-06-08" in text  # this run's are not kept yet
    again = refresh(stores, TODAY, tmp_path)
    texts = [p.read_text() for p in again.digests if p.suffix == ".md"]
    assert any("## What changed since last week" in t and " points (" in t for t in texts)
    assert not any("no scores were kept" in t for t in texts)


def test_the_language_model_hook_is_off_by_default_and_sends_nothing(monkeypatch):
    monkeypatch.delenv("TANDEM_STORY_MODEL_URL", raising=False)
    assert Settings().story_model_url is None

    def no_network(*args, **kwargs):
        raise AssertionError("the hook called out while off")

    monkeypatch.setattr(wc.urllib.request, "urlopen", no_network)
    said = [Sentence("band", "Health fell from 45 to 30.", 40.0)]
    assert wc.model_summary(Settings().story_model_url, "Acme", said) is None


def test_the_language_model_hook_posts_the_facts_to_the_teams_url():
    got: list[dict] = []

    class Model(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps({"summary": "Health fell; the band is red."}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Model)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/summarise"
    said = [Sentence("band", "Health fell from 45 to 30.", 40.0)]
    try:
        assert wc.model_summary(url, "Acme", said) == "Health fell; the band is red."
    finally:
        thread.join(5)
        server.server_close()
    assert got == [wc.model_request("Acme", said)]
    assert got[0]["facts"] == [{"kind": "band", "text": "Health fell from 45 to 30."}]


def test_an_owner_change_between_two_nightly_runs_is_said_and_a_backfill_knows_no_owners(
    tmp_path,
):
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=40, seed=5, anchor=TODAY))
    refresh(stores, WEEK, tmp_path, digests=False)  # last week's nightly run
    row = stores.sources.query(
        "SELECT account_id, csm_owner FROM account_scores WHERE csm_owner IS NOT NULL"
        " ORDER BY account_id LIMIT 1"
    ).row(0, named=True)
    with stores.sources.writer() as writer:  # the CRM gives the account to another CSM
        writer.execute(
            "UPDATE accounts SET csm_owner = 'Nia New' WHERE account_id = ?", [row["account_id"]]
        )
    refresh(stores, TODAY, tmp_path, digests=False)
    _, frame = wc.story_rows(stores, [row["account_id"]], WEEK, TODAY)
    said = frame.filter(pl.col("kind") == "owner")["text"].to_list()
    assert said == [f"The CSM changed from {row['csm_owner']} to Nia New."]
    # a backfill scores last week again from today's CRM: that day's owners are unknown
    refresh(stores, TODAY, tmp_path, backfill_weeks=1, digests=False)
    kept = stores.sources.query(
        "SELECT count(csm_owner) AS n FROM score_snapshots WHERE as_of = ?", [WEEK]
    )
    assert kept["n"][0] == 0
    _, frame = wc.story_rows(stores, [row["account_id"]], WEEK, TODAY)
    assert "owner" not in frame["kind"].to_list()


def test_the_digest_email_says_what_changed_masked_and_escaped():
    from dashboard.jobs.digests import Digest
    from dashboard.jobs.messages import digest_message

    changes = pl.DataFrame(
        {
            "account_id": ["A1"],
            "account_name": ["<b>Acme</b>"],
            "changes": ["The champion left: ann@acme.com (on 2026-06-10). See evil.example/x."],
        }
    )
    digest = Digest(
        "Ann", "csm", TODAY, "Ann — CSM digest", "Intro.", pl.DataFrame(), None, changes
    )
    message = digest_message(digest)
    assert "What changed since last week" in message.text
    assert "ann@acme.com" not in message.text and "evil.example" not in message.text
    assert "- <b>Acme</b>: The champion left: " in message.text  # plain text: as written
    assert "<li><strong>&lt;b&gt;Acme&lt;/b&gt;</strong>: The champion left" in message.html
    assert "evil[.]example" in message.html and "ann@acme.com" not in message.html
    note = Digest("Ann", "csm", TODAY, "T", "I.", pl.DataFrame(), None, changes_note="Not kept.")
    assert message.changes and digest_message(note).text.endswith(
        "What changed since last week\nNot kept.\n"
    )
