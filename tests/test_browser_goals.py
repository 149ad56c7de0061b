"""Success plans end to end in headless Chromium (issue 27, point 3): a pair opens its weekly
sync, reads what changed since their last sync (the section drawn, and the agenda they
download holds it), updates a goal in the goals panel, and exports the account's success
plan; the files downloaded are the plan as the store now holds it. Every wait is on a condition."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import polars as pl
import pytest

from dashboard.store import Stores
from dashboard.store.marts import largest_pairs
from dashboard.views import success_plan
from dashboard.views.sync import agenda_markdown, build_agenda
from dashboard.workflows import goal_edits
from tests.conftest import TODAY
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    require_chromium,
    streamlit_server,
)
from tests.test_browser import _wait_for_run as wait_for_run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app over a copy of the demo folder: this test writes."""
    require_chromium()
    data = tmp_path_factory.mktemp("goals") / "data"
    shutil.copytree(demo_dir, data)
    with streamlit_server(data) as url:
        yield url, data


def _pick(tab, label: str, option: str) -> None:
    """Pick ``option``: typed first, since a long list draws its first options only; picked
    again when a rerun closed the list before the option was clicked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        box = tab.get_by_label(label, exact=True)
        box.click()
        box.fill(option)
        try:
            tab.get_by_role("option", name=option, exact=True).click(timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(ARTIFACTS / "goal-pick-failed.png"), full_page=True)
                raise
            tab.keyboard.press("Escape")
            wait_for_run(tab)


def _section(markdown: str, title: str) -> str:
    """The part of an exported agenda under the heading ``title``, to the next heading."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and title in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start:end])


def test_a_pair_updates_a_goal_in_the_sync_and_exports_the_success_plan(served, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, data = served
    stores = Stores.open(data)
    top = largest_pairs(stores.sources, 1).row(0, named=True)
    pair = f"{top['csm_owner']} + {top['am_owner']}"
    goals = success_plan.pair_goals(stores, pair, TODAY)
    goal = goals.filter(pl.col("metric") == "manual", pl.col("status") != "done").row(0, named=True)
    new_value = goal["current_value"] + 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_context(
            viewport={"width": 1440, "height": 2400}, accept_downloads=True
        ).new_page()
        tab.goto(f"{url}/sync?pair={quote(pair)}")
        wait_for_run(tab)
        # the goals panel is drawn (its downloads are its last part); behind and stuck first
        expect(tab.get_by_role("button", name="Success plan (Markdown)")).to_be_visible(
            timeout=60_000
        )
        expect(tab.get_by_text("behind or stuck: review those first").first).to_be_visible()
        # the pair reads what changed since their last sync: the section is drawn, and the
        # agenda they take away holds it as the store gives it
        expect(tab.get_by_role("heading", name="What changed and why")).to_be_visible()
        with tab.expect_download(timeout=60_000) as download:
            tab.get_by_role("button", name="Agenda and decisions (Markdown)").click()
        taken = tmp_path / "agenda.md"
        download.value.save_as(taken)
        label = f"{goal['account_name']} — {goal['title']}"
        _pick(tab, "Goal to update", label)
        _pick(tab, "Editing the plan as (single-user mode)", f"{top['am_owner']} (AM)")
        now_box = tab.get_by_label(f"Now ({goal['unit']})", exact=True)
        expect(now_box).to_have_value(f"{goal['current_value']:.2f}", timeout=30_000)
        now_box.fill(f"{new_value:g}")
        now_box.press("Tab")
        tab.get_by_role("button", name="Save the goal").click()
        saved = f"Goal saved: {goal['title']} (version {goal['version'] + 1})"
        expect(tab.get_by_text(saved).first).to_be_visible(timeout=60_000)
        wait_for_run(tab)
        tab.screenshot(path=str(ARTIFACTS / "sync-goal-updated.png"), full_page=True)
        # the store holds the new version, written as the AM
        stored = goal_edits.goals(Stores.open(data).app, [goal["account_id"]]).filter(
            pl.col("goal_id") == goal["goal_id"]
        )
        assert stored.select("version", "current_value", "edited_by").row(0) == (
            goal["version"] + 1,
            new_value,
            top["am_owner"],
        )
        # the success plan, downloaded: the plan as the store now holds it
        plan = success_plan.account_plan(Stores.open(data), goal["account_id"], TODAY)
        files = {}
        for name, kind in (
            ("Success plan (Markdown)", "md"),
            ("Success plan (HTML, print to PDF)", "html"),
        ):
            with tab.expect_download(timeout=60_000) as download:
                tab.get_by_role("button", name=name).click()
            path = tmp_path / f"plan.{kind}"
            download.value.save_as(path)
            assert download.value.suggested_filename == (
                f"success-plan-{goal['account_id']}-{TODAY}.{kind}"
            )
            files[kind] = path.read_text()
        browser.close()
    agenda = build_agenda(Stores.open(data), pair, TODAY)
    assert not agenda.stories.is_empty()  # the demo's pair has accounts whose week moved
    assert _section(taken.read_text(), "What changed and why") == _section(
        agenda_markdown(agenda, agenda.todays), "What changed and why"
    )
    for name in agenda.stories["account_name"].head(3):
        assert name in _section(taken.read_text(), "What changed and why")
    assert files["md"] == success_plan.plan_markdown(plan)
    unit = goal["unit"]
    row = f"| {goal['title']} | Entered by hand | {goal['start_value']:g} {unit} | {new_value:g} {unit} |"
    assert row in files["md"]
    assert files["md"].startswith(f"# Success plan — {goal['account_name']}")
    assert files["html"] == success_plan.plan_html(plan)
    assert f"<td>{new_value:g} {unit}</td>" in files["html"]
    assert goal["goal_id"] not in files["md"] + files["html"]


def test_a_stale_tab_cannot_overwrite_a_goal(served):
    """Two tabs on one goal (issue 24, item 1): A saves a new current value; B, still showing
    the old version, saves another: refused with who set it to what and when, and the store
    keeps A's value at A's version."""
    from playwright.sync_api import expect, sync_playwright

    url, data = served
    stores = Stores.open(data)
    top = largest_pairs(stores.sources, 1).row(0, named=True)
    pair = f"{top['csm_owner']} + {top['am_owner']}"
    goals = success_plan.pair_goals(stores, pair, TODAY)
    goal = goals.filter(pl.col("metric") == "manual", pl.col("status") != "done").row(
        -1, named=True
    )
    label = f"{goal['account_name']} — {goal['title']}"
    a_value, b_value = goal["current_value"] + 3, goal["current_value"] + 5
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tabs = []
        for _ in range(2):
            tab = browser.new_context(viewport={"width": 1440, "height": 2400}).new_page()
            tab.goto(f"{url}/sync?pair={quote(pair)}")
            wait_for_run(tab)
            expect(tab.get_by_role("button", name="Success plan (Markdown)")).to_be_visible(
                timeout=60_000
            )
            _pick(tab, "Goal to update", label)
            _pick(tab, "Editing the plan as (single-user mode)", f"{top['am_owner']} (AM)")
            box = tab.get_by_label(f"Now ({goal['unit']})", exact=True)
            expect(box).to_have_value(f"{goal['current_value']:.2f}", timeout=30_000)
            tabs.append(tab)
        a, b = tabs
        for tab, value in ((a, a_value), (b, b_value)):
            box = tab.get_by_label(f"Now ({goal['unit']})", exact=True)
            box.fill(f"{value:g}")
            box.press("Tab")
            tab.get_by_role("button", name="Save the goal").click()
            if tab is a:
                saved = f"Goal saved: {goal['title']} (version {goal['version'] + 1})"
                expect(a.get_by_text(saved).first).to_be_visible(timeout=60_000)
        refusal = b.get_by_text("this goal changed since you saw it").first
        expect(refusal).to_be_visible(timeout=60_000)
        expect(refusal).to_contain_text(f"{top['am_owner']} (AM)")
        expect(refusal).to_contain_text("Nothing was recorded")
        b.screenshot(path=str(ARTIFACTS / "stale-goal-refused.png"), full_page=True)
        browser.close()
    stored = goal_edits.goals(Stores.open(data).app, [goal["account_id"]]).filter(
        pl.col("goal_id") == goal["goal_id"]
    )
    assert stored.select("version", "current_value", "edited_by").row(0) == (
        goal["version"] + 1,
        a_value,
        top["am_owner"],
    )
