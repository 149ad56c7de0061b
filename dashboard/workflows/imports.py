"""The rules of an import a person runs on the Data page, apart from the import itself
(``ingest/``): who may confirm a change to who people are, and what a check is bound to.

A check (and every yes given after it) holds for the workspace folder it read, the plan it
checked (files, mappings, mode) and the version of the stored data it compared with. A load
is refused when any of these differs at the moment it is asked for: an organisation switched
in the sidebar, a mapping changed, or another load landing in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.store.load_log import describe, load_records
from dashboard.store.sources import SourceStore
from dashboard.workflows.access import LEADERS, NotAllowed, Viewer


@dataclass(frozen=True)
class CheckStamp:
    """What a check of an import was given for."""

    folder: str  # the workspace folder the check read and the load must write into
    plan: str  # the plan and mode checked (a signature)
    data_version: str | None  # the stored data compared with (None: no data yet)

    @classmethod
    def of(cls, folder: Path, plan: str, data_version: str | None) -> CheckStamp:
        return cls(str(Path(folder).resolve()), plan, data_version)


class StaleCheck(NotAllowed):
    """The check (and its yes) was given for another organisation, plan or data."""


def require_same_check(
    checked: CheckStamp, current: CheckStamp, store: SourceStore | None = None
) -> None:
    """Refuse a load whose check was given for something else; the message says what (for
    stored data changed since, the newest entry of ``store``'s load log: what was loaded or
    undone, by whom, when)."""
    if checked.folder != current.folder:
        raise StaleCheck(
            "the data was checked for another organisation or workspace than the one selected "
            "now: nothing was loaded; check the data again here"
        )
    if checked.plan != current.plan:
        raise StaleCheck(
            "the files, mappings or mode changed since the check: nothing was loaded; check "
            "the data again"
        )
    if checked.data_version != current.data_version:
        log = load_records(store) if store is not None else None
        latest = (
            f"the latest load: {describe(log.row(0, named=True))}"
            if log is not None and log.height
            else "another load or an erasure"
        )
        raise StaleCheck(
            f"the stored data changed since the check ({latest}): nothing was loaded; check "
            "the data again"
        )


def may_confirm_identities(viewer: Viewer) -> bool:
    """Leaders (and the single local user, who is the admin of their own install)."""
    return viewer.role in LEADERS


def require_identity_approver(viewer: Viewer, changes: int) -> None:
    """Only a leader confirms changes to who people are (the owners' e-mail, role, team)."""
    if changes and not may_confirm_identities(viewer):
        raise NotAllowed(
            f"this load changes who {changes} person(s) are (e-mail, role or team in the "
            "owners table); only a leader can confirm that"
        )
