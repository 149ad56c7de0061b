"""One rule for value maps: the Data page and the command line give the same valid rows on the
same files (issue 24, point 6). The page's column editor used to rebuild a preset's value map
from its selectboxes, matching the file's values case-sensitively and dropping the maps it did
not show, so Salesforce's ``Task``/``Event`` and Zendesk's ``Good``/``Offered`` were rejected on
the page and loaded from the command line."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ingest.mapping import Mapping, lookup_value, value_key
from dashboard.store import Stores
from tests.conftest import tandem

STAGES = ["Customer", "customer", "Evangelist", "Other", "Lead", "Former customer", "CUSTOMER"]
KINDS = ["Task", "Call", "Email", "List Email", "Event", "Cadence", "CALL", "email"]
SCORES = ["Good", "Bad", "Offered", "Unoffered", "good", ""]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def exports(folder: Path) -> list[Path]:
    """A HubSpot companies export (display labels, lifecycle stages in several cases), the
    Salesforce tasks logged on those companies (subtypes as Salesforce writes them) and a
    Zendesk tickets export (satisfaction Good/Bad/Offered), all dated in 2025."""
    companies = _write(
        folder / "hubspot-companies.csv",
        [
            "Record ID",
            "Company name",
            "Company Domain Name",
            "Company owner",
            "Create Date",
            "Lifecycle Stage",
            "Annual Revenue",
        ],
        [
            [
                str(5000 + i),
                f"Company {i}",
                f"company{i}.com",
                f"Owner {i % 5}",
                f"2024-03-{1 + i % 9:02d} 10:00",
                STAGES[i % len(STAGES)],
                10_000 * (i + 1),
            ]
            for i in range(56)
        ],
    )
    tasks = _write(
        folder / "salesforce-tasks.csv",
        [
            "id",
            "who_id",
            "what_id",
            "account_id",
            "activity_date",
            "task_subtype",
            "subject",
            "owner_id",
        ],
        [
            [
                f"00T{i:05d}",
                f"003{i:05d}",
                str(5000 + i % 14),
                str(5000 + i % 14),
                f"2025-05-{1 + i % 28:02d}",
                KINDS[i % len(KINDS)],
                "Follow up",
                "005000001",
            ]
            for i in range(48)
        ],
    )
    tickets = _write(
        folder / "zendesk-tickets.csv",
        [
            "Id",
            "Requester",
            "Requester email",
            "Organization",
            "Created at",
            "Status",
            "Priority",
            "Satisfaction Score",
        ],
        [
            [
                str(100 + i),
                f"Person {i}",
                f"p{i}@company{i % 14}.com",
                f"Company {i % 14}",
                f"2025-06-{1 + i % 28:02d} 09:00:00",
                "Solved",
                ["Normal", "High", "Urgent", "Low"][i % 4],
                SCORES[i % len(SCORES)],
            ]
            for i in range(36)
        ],
    )
    return [companies, tasks, tickets]


def cli_valid_rows(data_dir: Path, files: list[Path]) -> dict[str, int]:
    done = tandem(data_dir, "import", *map(str, files), "--dry-run", "--json")
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {f["file"]: f["rows_valid"] for f in report["files"]}


def page_valid_rows(data_dir: Path, files: list[Path], monkeypatch) -> dict[str, int]:
    from dashboard.config import get_settings

    Stores.open(data_dir)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TANDEM_DEMO_ACCOUNTS", "60")
    get_settings.cache_clear()
    try:
        at = AppTest.from_file("../dashboard/app.py", default_timeout=120).run()
        at.switch_page("../pages/data.py").run()
        uploads = [(f.name, f.read_bytes(), "text/csv") for f in files]
        at.file_uploader(key="uploads").set_value(uploads).run()
        at.button(key="import_check").click().run()
        assert not at.exception, at.exception
    finally:
        get_settings.cache_clear()
    found: dict[str, int] = {}
    source = None
    for block in at.markdown:  # "**accounts** ← file.csv · preset", then "N of M rows are fine"
        named = re.search(r"← (\S+\.csv)", block.value)
        if named:
            source = named.group(1).replace("\\", "")
        fine = re.match(r"([\d,]+) of [\d,]+ rows are fine", block.value)
        if fine and source:
            found[source] = int(fine.group(1).replace(",", ""))
    return found


def test_the_page_and_the_command_line_give_the_same_valid_rows(tmp_path, monkeypatch):
    files = exports(tmp_path)
    cli = cli_valid_rows(tmp_path / "cli", files)
    page = page_valid_rows(tmp_path / "page", files, monkeypatch)
    assert set(cli) == {f.name for f in files}
    assert page == cli
    # the maps were applied, not merely equally missed: every row loads but those on the two
    # companies that are leads (Company 4 and 11: not customers)
    on_leads = {n: sum(1 for i in range(n) if i % 14 in (4, 11)) for n in (48, 36)}
    assert cli["salesforce-tasks.csv"] == 48 - on_leads[48]
    assert cli["zendesk-tickets.csv"] == 36 - on_leads[36]


@pytest.mark.parametrize(
    ("written", "mapped"),
    [("Task", "note"), ("TASK", "note"), (" event ", "meeting"), ("List Email", "email")],
)
def test_a_value_map_matches_any_case(written, mapped):
    preset = {"task": "note", "event": "meeting", "list email": "email"}
    assert lookup_value(preset, written) == mapped
    assert value_key(written) in preset


def test_changing_one_value_keeps_the_rest_of_the_map():
    mapping = Mapping(
        table="activities",
        values={"kind": {"task": "note", "event": "meeting"}, "role": {"cs": "csm"}},
    )
    changed = mapping.with_value("kind", "Task", "call")
    assert changed.values == {"kind": {"event": "meeting", "Task": "call"}, "role": {"cs": "csm"}}
    assert changed.value_for("kind", "TASK") == "call"
    assert mapping.with_value("kind", "EVENT", None).values["kind"] == {"task": "note"}
