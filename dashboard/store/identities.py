"""Who signed in before, as the identity provider names them: its stable subject (``sub``,
with the issuer) beside the e-mail it came with at the first sign-in (app store
``identities``). A subject keeps its e-mail and an e-mail its subject: a later sign-in that
pairs either with another is refused (and the refusal is in the audit log)."""

from __future__ import annotations

import datetime as dt

import duckdb

from dashboard.store import audit_log
from dashboard.store.appdata import AppStore
from dashboard.store.ddl import APP_DDL


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    """The table, in an app store made before it existed (creating it is idempotent)."""
    con.execute(APP_DDL["identities"])


def bind(app: AppStore, issuer: str, subject: str, email: str, now: dt.datetime) -> str | None:
    """Record this subject's e-mail at its first sign-in, or check it against the one kept.
    Returns why the sign-in is refused (logged), or None when it may go on."""
    with app.transaction() as con:
        _ensure(con)
        by_subject = con.execute(
            "SELECT email FROM identities WHERE issuer = $iss AND subject = $sub",
            {"iss": issuer, "sub": subject},
        ).fetchall()
        by_email = con.execute(
            "SELECT issuer, subject FROM identities WHERE email = lower($email)",
            {"email": email},
        ).fetchall()
        reason = None
        if by_subject and by_subject[0][0] != email.lower():
            reason = (
                "this account at the identity provider signed in before with another e-mail address"
            )
        elif by_email and (by_email[0][0], by_email[0][1]) != (issuer, subject):
            reason = "this e-mail address signed in before from another account at the provider"
        if reason:
            audit_log.log_in(
                con,
                now,
                email,
                "sign-in refused",
                email,
                f"{reason} (issuer {issuer}, subject {subject}; kept: "
                f"{by_subject[0][0] if by_subject else by_email[0][1]})",
            )
            return reason
        if by_subject:
            con.execute(
                "UPDATE identities SET last_seen = $now WHERE issuer = $iss AND subject = $sub",
                {"now": now, "iss": issuer, "sub": subject},
            )
        else:
            con.execute(
                "INSERT INTO identities VALUES ($iss, $sub, lower($email), $now, $now)",
                {"iss": issuer, "sub": subject, "email": email, "now": now},
            )
            audit_log.log_in(con, now, email, "identity bound", email, f"{issuer} {subject}")
        return None


def refuse(app: AppStore, email: str | None, reason: str, now: dt.datetime) -> None:
    """Log a sign-in refused before any binding was looked at (an unverified e-mail)."""
    audit_log.log(app, now, email, "sign-in refused", email, reason)


def rebind_email(con: duckdb.DuckDBPyConnection, old: str, new: str | None) -> None:
    """A leader confirmed a person's new e-mail: the subject that signed in with the old one
    now signs in with the new one (inside the transaction that audits the change)."""
    _ensure(con)
    if new:
        con.execute(
            "UPDATE identities SET email = lower($new) WHERE email = lower($old)",
            {"new": new.strip(), "old": old.strip()},
        )
    else:
        con.execute("DELETE FROM identities WHERE email = lower($old)", {"old": old.strip()})
