"""Who is looking, and which accounts they may see.

Leaders and ops see every account; a CSM or an AM sees the accounts where they are an owner
(which includes every account they share with their pair). The scope is applied in the store
layer: it is part of the ``AccountFilter`` every account query goes through, and the Account
and Weekly sync pages check single accounts and pairs against it.

Without an identity provider configured, Tandem runs in single-user local mode: one local
user who sees everything (the sidebar says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard.store.account_detail import account_in_scope
from dashboard.store.filters import AccountFilter
from dashboard.store.sources import SourceStore

FULL_ACCESS = ("leader", "ops", "local")


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
