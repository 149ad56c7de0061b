"""Who is looking, which accounts they may see, and as whom they may act.

Leaders and ops see every account; a CSM or an AM sees the accounts where they are an owner
(which includes every account they share with their pair), and, while they cover for someone
on leave (workflows/covers.py), that person's accounts too. The scope is applied in the store
layer: it is part of the ``AccountFilter`` every account query goes through, and the Account
and Weekly sync pages check single accounts and pairs against it.

A signed-in person acts only as themself: their role on an account comes from the data (they
are its CSM, its AM, or both), never from a picker. Without an identity provider configured,
Tandem runs in single-user local mode: one local user who sees everything and picks which of
the account's owners they act as (the sidebar and the panel say so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.store import identities
from dashboard.store.account_detail import account_in_scope
from dashboard.store.appdata import AppStore
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
    # the owners whose books this person carries today, covering for them during their leave
    # (set on the server from the app store's covers: workflows/covers.py ``with_covers``)
    covering: tuple[str, ...] = ()

    @property
    def sees_everything(self) -> bool:
        return self.role in FULL_ACCESS

    def scope(self) -> list[str] | None:
        """The owners whose books this person may see (None: everything): their own, and
        those of the people they cover for today."""
        return None if self.sees_everything else [self.name, *self.covering]

    def acts_for(self, owner: str | None) -> bool:
        """True when this person acts on ``owner``'s accounts and tasks: their own, or those
        of someone they cover for today (always as themself)."""
        return owner is not None and (owner == self.name or owner in self.covering)


LOCAL = Viewer(name="local user", role="local")


@dataclass(frozen=True)
class Actor:
    """Who takes a step or writes a note, and in which role."""

    name: str
    role: str  # csm, am or leader


def actors_for(viewer: Viewer, csm_owner: str | None, am_owner: str | None) -> list[Actor]:
    """Whom this session may act as on an account with these owners. A signed-in person: only
    themself, in the roles the account's data gives them (CSM, AM, or both for a combined
    owner). A person covering for an owner acts in that owner's role, as themself. The single
    local user (no sign-in): either owner."""
    owners = [(csm_owner, "csm"), (am_owner, "am")]
    if viewer.role == "local":
        return [Actor(name, role) for name, role in owners if name]
    return [Actor(viewer.name, role) for name, role in owners if viewer.acts_for(name)]


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


class SignInRefused(NotAllowed):
    """The identity provider's answer is not enough to say who this is; logged."""


def _verified(claims: Mapping[str, Any], provider_verifies: bool) -> bool:
    value = claims.get("email_verified")
    if isinstance(value, str):  # some providers send the claim as a string
        value = {"true": True, "false": False}.get(value.strip().lower())
    if value is None:
        return provider_verifies
    return value is True


def sign_in(
    app: AppStore,
    owners: pl.DataFrame,
    claims: Mapping[str, Any],
    now: dt.datetime,
    *,
    provider_verifies: bool = False,
) -> Viewer | None:
    """The person an ID token's claims sign in as: None when the owners table has no one
    with that e-mail. Refused (``SignInRefused``, logged in the audit log) when the e-mail is
    not verified (``email_verified`` false; missing, unless the provider is configured as
    verifying), when there is no subject, or when the provider's subject (with its issuer)
    and the e-mail do not match the pair kept at the first sign-in."""
    email = str(claims.get("email") or "").strip()
    subject, issuer = str(claims.get("sub") or ""), str(claims.get("iss") or "")
    if not email:
        raise SignInRefused("the identity provider sent no e-mail address")
    if not _verified(claims, provider_verifies):
        reason = "the identity provider has not verified this e-mail address"
        identities.refuse(app, email, reason, now)
        raise SignInRefused(reason)
    if not subject:
        reason = "the identity provider sent no subject (sub) for this sign-in"
        identities.refuse(app, email, reason, now)
        raise SignInRefused(reason)
    viewer = viewer_for_email(owners, email)
    if viewer is None:
        return None
    reason = identities.bind(app, issuer, subject, email, now)
    if reason:
        raise SignInRefused(reason)
    return viewer


def account_visible(store: SourceStore, f: AccountFilter, account_id: str) -> bool:
    """True when the account exists and the filter's scope lets its viewer see it."""
    return account_in_scope(store, f, account_id)
