"""Who is looking, which accounts they may see, and as whom they may act.

Leaders and ops see every account; a CSM or an AM sees the accounts where they are an owner
(which includes every account they share with their pair). The scope is applied in the store
layer: it is part of the ``AccountFilter`` every account query goes through, and the Account
and Weekly sync pages check single accounts and pairs against it.

A signed-in person acts only as themself: their role on an account comes from the data (they
are its CSM, its AM, or both), never from a picker. Without an identity provider configured,
Tandem runs in single-user local mode: one local user who sees everything and picks which of
the account's owners they act as (the sidebar and the panel say so).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard.store.account_detail import account_in_scope
from dashboard.store.filters import AccountFilter
from dashboard.store.sources import SourceStore

FULL_ACCESS = ("leader", "ops", "local")
LEADERS = ("leader", "local")  # who may erase an account or export it unmasked
ROLE_NAMES = {"csm": "CSM", "am": "AM", "leader": "leader"}


class NotAllowed(PermissionError):
    """This person may not do this; the message says why (without naming anyone else's data)."""


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str  # leader, ops, csm, am, both, or local (no sign-in configured)
    email: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role in FULL_ACCESS

    def scope(self) -> list[str] | None:
        """The owners whose books this person may see (None: everything)."""
        return None if self.sees_everything else [self.name]


LOCAL = Viewer(name="local user", role="local")


@dataclass(frozen=True)
class Actor:
    """Who takes a step or writes a note, and in which role."""

    name: str
    role: str  # csm, am or leader


def actors_for(viewer: Viewer, csm_owner: str | None, am_owner: str | None) -> list[Actor]:
    """Whom this session may act as on an account with these owners. A signed-in person: only
    themself, in the roles the account's data gives them (CSM, AM, or both for a combined
    owner). The single local user (no sign-in): either owner."""
    owners = [(csm_owner, "csm"), (am_owner, "am")]
    if viewer.role == "local":
        return [Actor(name, role) for name, role in owners if name]
    return [Actor(viewer.name, role) for name, role in owners if name and name == viewer.name]


def check_actor(viewer: Viewer, actor: Actor, csm_owner: str | None, am_owner: str | None) -> None:
    """Refuse an actor this viewer may not be (a stale form, a forged value)."""
    if actor not in actors_for(viewer, csm_owner, am_owner):
        raise NotAllowed(
            f"you can act here only as yourself, in your own role on the account "
            f"(not as {actor.name}, {ROLE_NAMES.get(actor.role, actor.role)})"
        )


def require_leader(viewer: Viewer, what: str) -> None:
    """Erasure and unmasked export are for leaders (and the single local user)."""
    if viewer.role not in LEADERS:
        raise NotAllowed(f"{what} is for leaders")


def viewer_for_email(owners: pl.DataFrame, email: str) -> Viewer | None:
    """The person the ``owners`` table links to this e-mail (case-insensitive), if any."""
    match = owners.filter(pl.col("email").str.to_lowercase() == email.strip().lower())
    if match.is_empty():
        return None
    row = match.row(0, named=True)
    return Viewer(name=row["owner"], role=row.get("role") or "csm", email=email)


def account_visible(store: SourceStore, f: AccountFilter, account_id: str) -> bool:
    """True when the account exists and the filter's scope lets its viewer see it."""
    return account_in_scope(store, f, account_id)
