"""Actions that can't flip, end to end: two tabs in headless Chromium on one record; the tab
left open clicks after the other tab changed the record, and is refused with what changed, by
whom and when, and nothing is recorded (issue 24, item 1). Every wait is on a condition."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from dashboard.store import Stores
from dashboard.workflows import handoffs as h
from dashboard.workflows.scorecards import (
    active_scorecard,
    save_scorecard,
    scorecard_audit,
)
from tests.conftest import TODAY
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    _wait_for_run,
    require_chromium,
    streamlit_server,
)
from tests.test_flip import _two_loads

pytestmark = pytest.mark.browser
NOW = dt.datetime.combine(TODAY - dt.timedelta(days=15), dt.time(10))  # the app runs on TODAY


@pytest.fixture(scope="module")
def served(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app over a copy of the demo folder: these tests write."""
    require_chromium()
    data = tmp_path_factory.mktemp("flip") / "data"
    shutil.copytree(demo_dir, data)
    with streamlit_server(data) as url:
        yield url, data


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _free_account(stores: Stores) -> dict:
    """A live account with a CSM and an AM and no handoff yet."""
    busy = stores.app.query("SELECT account_id FROM handoffs")["account_id"].to_list()
    return stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM account_scores WHERE csm_owner IS NOT NULL"
        " AND am_owner IS NOT NULL AND account_id NOT IN (SELECT unnest($busy::VARCHAR[]))"
        " ORDER BY account_id DESC LIMIT 1",
        {"busy": busy},
    ).row(0, named=True)


def _two_tabs(chromium, url: str) -> list:
    """Two tabs (two browser contexts: two sessions) on one page, each drawn to the end."""
    tabs = []
    for _ in range(2):
        tab = chromium.new_context(viewport={"width": 1440, "height": 2400}).new_page()
        tab.goto(url)
        _wait_for_run(tab)
        tabs.append(tab)
    return tabs


def _pick(tab, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``; picked again when a rerun closed
    the list before the option was clicked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        tab.get_by_label(label, exact=True).click()
        try:
            tab.get_by_role("option", name=option, exact=True).click(timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            tab.keyboard.press("Escape")
            _wait_for_run(tab)


def _close(tabs: list) -> None:
    for tab in tabs:
        tab.context.close()


def test_a_stale_tab_cannot_record_a_step_nobody_chose(chromium, served):
    """The issue's scenario: both tabs as the AM on a flagged expansion; A records Qualify;
    B, still showing flagged with Qualify selected, clicks Record the step: refused, and the
    history stays flagged → qualified (no 'Move to proposal')."""
    from playwright.sync_api import expect

    url, data = served
    stores = Stores.open(data)
    account = _free_account(stores)
    aid = account["account_id"]
    h.flag(stores.app, aid, "expansion", "seats full", account["csm_owner"], "csm", now=NOW)
    tabs = _two_tabs(chromium, f"{url}/account?account={aid}")
    am = f"{account['am_owner']} (AM)"
    for tab in tabs:
        _pick(tab, "Acting as (single-user mode: pick the owner you are)", am)
        # as the AM the flag form is gone: the rerun is over
        expect(tab.get_by_text("Flag to the AM")).to_have_count(0, timeout=30_000)
        expect(tab.get_by_label("Next step").first).to_have_value("Qualify (AM)", timeout=30_000)
    a, b = tabs
    a.get_by_role("button", name="Record the step").click()
    expect(a.get_by_text("Qualify recorded on the expansion handoff").first).to_be_visible(
        timeout=30_000
    )
    b.get_by_role("button", name="Record the step").click()
    refusal = b.get_by_text("this handoff changed since you saw it").first
    expect(refusal).to_be_visible(timeout=30_000)
    expect(refusal).to_contain_text(f"{account['am_owner']} (AM) recorded 'Qualify'")
    expect(refusal).to_contain_text("Nothing was recorded")
    b.screenshot(path=str(ARTIFACTS / "stale-step-refused.png"), full_page=True)
    states = h.handoff_history(Stores.open(data).app, aid)["state"].to_list()
    assert states == ["flagged", "qualified"]
    # B now offers the steps from 'qualified'
    expect(b.get_by_label("Next step").first).to_have_value("Move to proposal (AM)")
    _close(tabs)


def test_a_stale_tab_cannot_flag_another_kind(chromium, served):
    """A flags an expansion; B, still showing no handoff, picks Risk and flags: refused with
    A's flag named, and no risk is recorded."""
    from playwright.sync_api import expect

    url, data = served
    account = _free_account(Stores.open(data))
    aid = account["account_id"]
    tabs = _two_tabs(chromium, f"{url}/account?account={aid}")
    for tab in tabs:
        tab.get_by_role("button", name="Flag", exact=True).wait_for(timeout=30_000)
        tab.get_by_label("Evidence (usage, outcomes, stakeholder context)").fill("seats full")
    a, b = tabs
    b.get_by_text("Risk", exact=True).first.click()
    a.get_by_role("button", name="Flag", exact=True).click()
    expect(a.get_by_text("Expansion-ready flagged, as").first).to_be_visible(timeout=30_000)
    b.get_by_role("button", name="Flag", exact=True).click()
    refusal = b.get_by_text(f"{aid}'s handoffs changed since you saw it").first
    expect(refusal).to_be_visible(timeout=30_000)
    expect(refusal).to_contain_text(f"{account['csm_owner']} (CSM) flagged a expansion")
    b.screenshot(path=str(ARTIFACTS / "stale-flag-kind-refused.png"), full_page=True)
    kinds = h.handoffs(Stores.open(data).app, [aid])["kind"].to_list()
    assert kinds == ["expansion"]
    _close(tabs)


def test_a_stale_tab_cannot_activate_another_scorecard(chromium, served):
    """Two lab tabs: A activates one scorecard; B, still showing the old active one with
    another picked and the migration checked, clicks Activate: refused, nothing recorded."""
    from playwright.sync_api import expect

    url, data = served
    app = Stores.open(data).app
    card = active_scorecard(app)
    names = ("flip-billing", "flip-support")
    for name in names:
        weights = {**card.weights, "billing" if "billing" in name else "support": 45.0}
        save_scorecard(app, card.model_copy(update={"name": name, "weights": weights}), "ops", NOW)
    before = scorecard_audit(app)["action"].to_list().count("activate scorecard")
    tabs = _two_tabs(chromium, f"{url}/lab")
    a, b = tabs
    for tab, name in zip(tabs, names, strict=True):
        # the lab is drawn to its end (the activate button is its last widget) before a click
        expect(tab.get_by_role("button", name="Activate and rescore")).to_be_visible(
            timeout=120_000
        )
        expect(tab.get_by_text("Audit log: who changed the scorecard")).to_be_visible()
        _pick(tab, "Scorecard", name)
        expect(tab.get_by_label("Scorecard", exact=True)).to_have_value(name)
        check = tab.get_by_text("I have checked the band migration")
        check.wait_for(timeout=60_000)
        check.click()
        expect(tab.get_by_role("button", name="Activate and rescore")).to_be_enabled(timeout=60_000)
    a.get_by_role("button", name="Activate and rescore").click()
    expect(a.get_by_text(f"Activated '{names[0]}'").first).to_be_visible(timeout=180_000)
    b.get_by_role("button", name="Activate and rescore").click()
    refusal = b.get_by_text("the active scorecard changed since you saw it").first
    expect(refusal).to_be_visible(timeout=60_000)
    expect(refusal).to_contain_text(f"activated '{names[0]}'")
    b.screenshot(path=str(ARTIFACTS / "stale-activation-refused.png"), full_page=True)
    app = Stores.open(data).app
    assert active_scorecard(app).name == names[0]
    assert scorecard_audit(app)["action"].to_list().count("activate scorecard") == before + 1
    _close(tabs)


def _task_account(stores: Stores) -> tuple[str, str]:
    """An account with exactly one task, open, and no handoff (one editable table above the
    account's data tabs): its id and the task's key."""
    busy = stores.app.query("SELECT account_id FROM handoffs")["account_id"].to_list()
    row = stores.app.query(
        "SELECT account_id, any_value(task_key) AS task_key FROM tasks"
        " WHERE account_id NOT IN (SELECT unnest($busy::VARCHAR[]))"
        " GROUP BY account_id HAVING count(*) = 1 AND bool_and(status = 'open')"
        " ORDER BY account_id LIMIT 1",
        {"busy": busy},
    ).row(0)
    return row[0], row[1]


def _set_status(tab, status: str) -> None:
    """Edit the status cell of the task table's first row (account id, role, owner, task, due,
    status: five columns right of the first), once the page is drawn to its end (the privacy
    section is its last)."""
    from playwright.sync_api import expect

    expect(tab.get_by_text("Privacy requests (GDPR)")).to_be_visible(timeout=60_000)
    # the task editor by its key (``account_tasks_v<version>``): other tables come before it
    grid = tab.locator("[class*='st-key-account_tasks_v'] [data-testid='stDataFrame']").first
    _pick_in_grid(tab, grid, 5, status)


def _pick_in_grid(tab, grid, right: int, option: str) -> None:
    """In ``grid``, select the first row's first cell, move ``right`` columns, open the cell's
    editor (a select) and pick ``option``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    expect(grid).to_be_visible(timeout=30_000)
    editor = tab.locator("#portal .glide-select").first
    for attempt in range(6):  # a click that lands while the grid is still settling selects nothing
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()  # again each time: the page above may have moved it
        tab.mouse.click(box["x"] + 20, box["y"] + 35 + 17)
        for _ in range(right):
            tab.keyboard.press("ArrowRight")
        tab.keyboard.press("Enter")
        try:  # the cell's editor (a select over the grid) opens
            editor.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == 5:
                tab.screenshot(path=str(ARTIFACTS / "grid-editor-not-open.png"), full_page=True)
                raise
            tab.keyboard.press("Escape")
    options = tab.get_by_role("listbox")
    tab.get_by_role("option", name=option, exact=True).click()
    try:  # the pick closes the editor and commits the cell
        expect(options).to_be_hidden(timeout=5_000)
    except AssertionError:  # a click that landed as the menu opened: pick with the keys
        tab.keyboard.type(option)
        tab.keyboard.press("Enter")
        expect(options).to_be_hidden(timeout=10_000)


def test_a_stale_tab_cannot_overwrite_a_task(chromium, served):
    """A marks the task done; B, still showing it open, marks it dismissed: refused with who
    set it to what, and the task stays done."""
    from playwright.sync_api import expect

    from dashboard.workflows import tasks as t

    url, data = served
    aid, key = _task_account(Stores.open(data))
    tabs = _two_tabs(chromium, f"{url}/account?account={aid}")
    a, b = tabs
    _set_status(a, "done")
    expect(a.get_by_text("Saved: 1 task(s)").first).to_be_visible(timeout=30_000)
    _set_status(b, "dismissed")
    refusal = b.get_by_text("this task changed since you saw it").first
    expect(refusal).to_be_visible(timeout=30_000)
    expect(refusal).to_contain_text("local user set it to 'done'")
    expect(refusal).to_contain_text("Nothing was recorded")
    b.screenshot(path=str(ARTIFACTS / "stale-task-refused.png"), full_page=True)
    row = t.tasks(Stores.open(data).app).filter(pl.col("task_key") == key).row(0, named=True)
    assert (row["status"], row["updated_by"]) == ("done", "local user")
    _close(tabs)


def _quiet_pair(stores: Stores) -> str:
    """A CSM+AM pair with no decision recorded yet."""
    from dashboard.views.sync import pair_choices

    noted = set(stores.app.query("SELECT DISTINCT pair FROM sync_notes")["pair"].to_list())
    return next(k for k in pair_choices(stores.sources, None).keys if k not in noted and " + " in k)


def test_a_stale_tab_cannot_overwrite_a_decision(chromium, served):
    """Two sync tabs show last sync's decision open; A marks it done; B, still showing it
    open, marks it dropped: refused with who set it to what, and the decision stays done."""
    from urllib.parse import quote

    from playwright.sync_api import expect

    from dashboard.store.audit_log import audit_rows
    from dashboard.store.pairs import split_pair
    from dashboard.workflows import decisions as d

    url, data = served
    stores = Stores.open(data)
    pair = _quiet_pair(stores)
    csm, _am = split_pair(pair)
    # a sync before today's: its decisions' status is what the page edits
    note = d.add_decision(
        stores.app,
        pair,
        None,
        "Send the ROI deck",
        csm,
        NOW.date() + dt.timedelta(days=5),
        csm,
        "csm",
        NOW,
    )
    tabs = _two_tabs(chromium, f"{url}/sync?pair={quote(pair)}")
    for tab in tabs:  # the page is drawn to its end (the exports are its last part)
        expect(tab.get_by_role("button", name="Print view (HTML, print to PDF)")).to_be_visible(
            timeout=60_000
        )
    grids = [
        tab.get_by_text("From the last sync").locator(
            "xpath=following::*[@data-testid='stDataFrame'][1]"
        )
        for tab in tabs
    ]
    a, b = tabs
    # account, decision, who, by, due, status
    _pick_in_grid(a, grids[0], 5, "done")
    expect(a.get_by_text("Saved: 1 decision(s)").first).to_be_visible(timeout=30_000)
    _pick_in_grid(b, grids[1], 5, "dropped")
    refusal = b.get_by_text("this decision changed since you saw it").first
    expect(refusal).to_be_visible(timeout=30_000)
    expect(refusal).to_contain_text("local user set it to 'done' ('Send the ROI deck'")
    expect(refusal).to_contain_text("Nothing was recorded")
    b.screenshot(path=str(ARTIFACTS / "stale-decision-refused.png"), full_page=True)
    app = Stores.open(data).app
    row = d.decisions(app, pair).filter(pl.col("note_id") == note).row(0, named=True)
    assert (row["status"], row["edited_by"]) == ("done", "local user")
    assert audit_rows(app, "decision edit").filter(pl.col("subject") == note).height == 1
    _close(tabs)


def test_a_stale_tab_cannot_undo_a_load_again(chromium, tmp_path):
    """Two Data tabs on a team's workspace; B asks to undo the newest load and sees the
    confirmation; A undoes it; B says yes: refused with A's undo named, nothing undone."""
    from playwright.sync_api import expect

    from dashboard.store.audit_log import audit_rows
    from dashboard.store.load_log import load_records

    root = tmp_path / "data"
    newest, _ = _two_loads(root)
    with streamlit_server(root) as url:
        tabs = _two_tabs(chromium, f"{url}/data")
        undo = [tab.locator(f".st-key-undo_{newest} button") for tab in tabs]
        for button in undo:
            expect(button).to_be_visible(timeout=60_000)
        a, b = tabs
        yes = f"Yes, undo {newest}"
        undo[1].click()
        expect(b.get_by_role("button", name=yes)).to_be_visible(timeout=30_000)
        undo[0].click()
        a.get_by_role("button", name=yes).click()
        expect(a.get_by_text(f"Undid {newest} as U").first).to_be_visible(timeout=120_000)
        b.get_by_role("button", name=yes).click()
        refusal = b.get_by_text("the load history changed since it was shown").first
        expect(refusal).to_be_visible(timeout=30_000)
        expect(refusal).to_contain_text(f"(undo of {newest}, by local user")
        expect(refusal).to_contain_text("nothing was undone")
        b.screenshot(path=str(ARTIFACTS / "stale-undo-refused.png"), full_page=True)
        _close(tabs)
    stores = Stores.open(root)
    assert load_records(stores.sources)["kind"].to_list().count("undo") == 1
    assert audit_rows(stores.app, "undo load").height == 1


def test_a_stale_tab_cannot_pin_a_key_again(chromium, tmp_path):
    """Two Data tabs check a support export whose keys match no account; A pins 'zd-0' to
    Acct 1; B, still showing it unpinned, pins it to Acct 2: refused with A's pin named, and
    the key stays pinned to Acct 1."""
    from playwright.sync_api import expect

    from dashboard.store.audit_log import audit_rows
    from dashboard.store.pins import pin_rows

    root = tmp_path / "data"
    _two_loads(root)  # a team's workspace: accounts a0 … a29, "Acct 0" … "Acct 29"
    tickets = tmp_path / "support_tickets.csv"
    tickets.write_text(
        "ticket_id,account_id,opened_at,priority,status\n"
        + "".join(f"t{i},zd-{i % 3},2026-11-0{1 + i % 5},high,open\n" for i in range(9))
    )
    with streamlit_server(root) as url:
        tabs = _two_tabs(chromium, f"{url}/data")
        for tab, account in zip(tabs, ("Acct 1", "Acct 2"), strict=True):
            tab.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
                str(tickets)
            )
            check = tab.get_by_role("button", name="Check the data")
            check.wait_for(timeout=60_000)
            _wait_for_run(tab)
            check.click()
            tab.get_by_text("Pin a match (3 keys matched no account)").click(timeout=60_000)
            _wait_for_run(tab)
            expect(tab.get_by_label("Key in the file", exact=True)).to_have_value("zd-0")
            find = tab.get_by_label("Find the account (name or id contains)", exact=True)
            find.fill(account)
            find.press("Enter")
            picked = tab.get_by_label("is the account", exact=True)
            expect(picked).to_have_value(f"{account} ({account.replace('Acct ', 'a')})")
            _wait_for_run(tab)
        a, b = tabs
        a.get_by_role("button", name="Pin", exact=True).click()
        expect(a.get_by_text("Pinned zd-0 to a1: check the data again").first).to_be_visible(
            timeout=30_000
        )
        b.get_by_role("button", name="Pin", exact=True).click()
        refusal = b.get_by_text("the pin of 'zd-0' changed since you saw it").first
        expect(refusal).to_be_visible(timeout=30_000)
        expect(refusal).to_contain_text("local user pinned it to 'a1'")
        expect(refusal).to_contain_text("Nothing was recorded")
        b.screenshot(path=str(ARTIFACTS / "stale-pin-refused.png"), full_page=True)
        _close(tabs)
    app = Stores.open(root).app
    assert [(k, a) for _, k, a in pin_rows(app).rows()] == [("zd-0", "a1")]
    assert audit_rows(app, "pin match").height == 1


def test_a_stale_tab_cannot_load_a_checked_file_again(chromium, tmp_path):
    """Two Data tabs check the same accounts file; A loads it; B, whose check was given for
    the data before A's load, presses Load: refused with A's load named, nothing loaded."""
    from playwright.sync_api import expect

    from dashboard.store.load_log import load_records

    root = tmp_path / "data"
    _two_loads(root)
    before = load_records(Stores.open(root).sources).height
    update = tmp_path / "accounts_update.csv"
    update.write_text("account_id,account_name,arr\na1,Acct 1,7000\n")
    with streamlit_server(root) as url:
        tabs = _two_tabs(chromium, f"{url}/data")
        for tab in tabs:
            tab.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
                str(update)
            )
            check = tab.get_by_role("button", name="Check the data")
            check.wait_for(timeout=60_000)
            _wait_for_run(tab)
            check.click()
            expect(tab.get_by_role("button", name="Load into Tandem")).to_be_enabled(timeout=60_000)
            _wait_for_run(tab)
        a, b = tabs
        a.get_by_role("button", name="Load into Tandem").click()
        expect(a.get_by_text("Loaded 1 accounts into your workspace").first).to_be_visible(
            timeout=120_000
        )
        b.get_by_role("button", name="Load into Tandem").click()
        refusal = b.get_by_text("the stored data changed since the check").first
        expect(refusal).to_be_visible(timeout=60_000)
        expect(refusal).to_contain_text("(accounts_update.csv, by local user, ")
        expect(refusal).to_contain_text("nothing was loaded")
        b.screenshot(path=str(ARTIFACTS / "stale-load-refused.png"), full_page=True)
        _close(tabs)
    log = load_records(Stores.open(root).sources)
    assert log.height == before + 1 and log["files"][0] == '["accounts_update.csv"]'


def test_a_stale_tab_cannot_erase_an_account_again(chromium, served):
    """Two account tabs, both with the erasure typed; A erases the account; B clicks Erase:
    B's page says the account was erased, by whom and when, and nothing more is done (one
    erasure audited)."""
    from playwright.sync_api import expect

    from dashboard.store.audit_log import audit_rows

    url, data = served
    aid = _free_account(Stores.open(data))["account_id"]
    tabs = _two_tabs(chromium, f"{url}/account?account={aid}")
    for tab in tabs:
        tab.get_by_text("Privacy requests (GDPR)").click(timeout=60_000)
        typed = tab.get_by_label(f"Type {aid} to confirm the erasure", exact=True)
        typed.fill(aid)
        typed.press("Enter")
        expect(tab.get_by_role("button", name="Erase this account")).to_be_enabled(timeout=30_000)
        _wait_for_run(tab)
    a, b = tabs
    a.get_by_role("button", name="Erase this account").click()
    expect(a.get_by_text(f"{aid} erased:").first).to_be_visible(timeout=120_000)
    b.get_by_role("button", name="Erase this account").click()
    refusal = b.get_by_text(f"There is no account with id '{aid}'").first
    expect(refusal).to_be_visible(timeout=60_000)
    expect(refusal).to_contain_text("It was erased (a privacy request) by local user at ")
    expect(refusal).to_contain_text("nothing else was done")
    b.screenshot(path=str(ARTIFACTS / "stale-erase-refused.png"), full_page=True)
    erasures = audit_rows(Stores.open(data).app, "gdpr delete")
    assert erasures.filter(pl.col("subject") == aid).height == 1
    _close(tabs)


def test_a_stale_tab_cannot_save_a_scorecard_under_a_name_taken_meanwhile(chromium, served):
    """Two lab tabs type one name for their candidate; A saves; B saves: refused with who
    saved it when, and A's scorecard is kept."""
    from playwright.sync_api import expect

    from dashboard.workflows.scorecards import saved_scorecards

    url, data = served
    tabs = _two_tabs(chromium, f"{url}/lab")
    for tab in tabs:
        expect(tab.get_by_role("button", name="Save", exact=True)).to_be_visible(timeout=120_000)
        expect(tab.get_by_text("Audit log: who changed the scorecard")).to_be_visible()
        tab.get_by_label("Name", exact=True).fill("tabs-q1")
    a, b = tabs
    a.get_by_role("button", name="Save", exact=True).click()
    expect(a.get_by_text("Saved 'tabs-q1'").first).to_be_visible(timeout=60_000)
    b.get_by_role("button", name="Save", exact=True).click()
    refusal = b.get_by_text("a scorecard named 'tabs-q1' exists").first
    expect(refusal).to_be_visible(timeout=60_000)
    expect(refusal).to_contain_text("(saved by local user at ")
    expect(refusal).to_contain_text("nothing was saved")
    b.screenshot(path=str(ARTIFACTS / "stale-save-refused.png"), full_page=True)
    saved = saved_scorecards(Stores.open(data).app)["name"].to_list()
    assert saved.count("tabs-q1") == 1
    _close(tabs)
