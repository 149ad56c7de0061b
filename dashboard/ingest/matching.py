"""Accounts matched across systems, in SQL on the staging connection.

Systems key the same customer differently: the CRM by its record id, billing by its
customer id, support and surveys by the organisation's name or the person's e-mail. A row
that names an account (its ``account_id`` column, and the match hints its mapping gives:
an e-mail, a domain, a name) finds it by the first rule that fits, in this order:

1. ``pinned``: a match a person pinned on the Data page (system and key → account);
2. ``crm_id``: the key is an account's id (case and surrounding spaces ignored);
3. ``foreign_id``: the key is another system's id for an account: an ``account_keys`` row
   (a Stripe customer, a Zendesk organisation, this import's or stored), or a value of an
   id-like column of this import's account file (a "Stripe Customer ID" column in the CRM);
4. ``email_domain``: the row's e-mail or domain is an account's domain (personal mail
   providers never match);
5. ``name``: the row's organisation name, normalised (case, punctuation, Inc/Ltd/GmbH…), is
   one account's name.

A domain or a name shared by two accounts matches neither. Unmatched rows are rejected with
the key, domain and name that were tried, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from dashboard.ingest.readers import create_table
from dashboard.store.sql import ident, literal

RULES = ("pinned", "crm_id", "foreign_id", "email_domain", "name")
LEGAL_SUFFIXES = (
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "llp",
    "lp",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "bv",
    "nv",
    "oy",
    "ab",
    "as",
    "aps",
    "srl",
    "spa",
    "pty",
    "kk",
    "kg",
    "se",
    "sl",
    "group",
    "holdings",
)
PERSONAL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
)

DIRECTORY = "__account_directory"  # account_id, id_key, domain, name_key
KEYS = "__account_keys"  # key, system, account_id
PINS = "__account_pins"  # key, system, account_id


def name_key(expr: str) -> str:
    """SQL: a company name reduced to what identifies it ("ACME Corp., Inc." -> "acme")."""
    suffixes = "|".join(LEGAL_SUFFIXES)
    cleaned = (
        f"regexp_replace(lower(strip_accents(CAST({expr} AS VARCHAR))), '[^a-z0-9]+', ' ', 'g')"
    )
    return (
        f"nullif(trim(regexp_replace(regexp_replace({cleaned}, '(\\s({suffixes}))+\\s*$', '', 'g'),"
        " '\\s+', ' ', 'g')), '')"
    )


def domain_key(expr: str) -> str:
    """SQL: the domain of an e-mail, a URL or a bare domain ("Jo <jo@Acme.com>" -> "acme.com")."""
    text = f"lower(trim(CAST({expr} AS VARCHAR)))"
    host = (
        f"CASE WHEN {text} LIKE '%@%' THEN regexp_extract({text}, '@([a-z0-9.-]+)', 1)"
        f" ELSE regexp_extract(regexp_replace({text}, '^[a-z]+://', ''), '^(?:www\\.)?([a-z0-9.-]+)', 1) END"
    )
    return f"nullif(regexp_replace({host}, '^www\\.', ''), '')"


def id_key(expr: str) -> str:
    return f"nullif(lower(trim(CAST({expr} AS VARCHAR))), '')"


@dataclass(frozen=True)
class Hints:
    """The source columns a row is matched by, besides its key (the account_id column)."""

    key: str | None = None
    email: str | None = None
    domain: str | None = None
    name: str | None = None
    system: str | None = None  # the system the keys come from (for pins and account_keys)

    def any(self) -> bool:
        return any((self.key, self.email, self.domain, self.name))


def build_directory(
    con: duckdb.DuckDBPyConnection, stored: pl.DataFrame | None, imported: list[str]
) -> None:
    """The accounts rows can match: stored ones (``account_id``, ``account_name``, ``domain``)
    and this import's valid account views."""
    parts = [f"SELECT account_id, account_name, domain FROM {ident(v)}" for v in imported]
    if stored is not None and stored.height:
        create_table(
            con,
            "__stored_directory",
            stored.select("account_id", "account_name", "domain").to_arrow(),
        )
        parts.append("SELECT account_id, account_name, domain FROM __stored_directory")
    union = " UNION ALL ".join(parts) or (
        "SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS account_name, NULL::VARCHAR AS domain WHERE false"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {DIRECTORY} AS SELECT DISTINCT ON (account_id) account_id,"
        f" account_name, {id_key('account_id')} AS id_key, {domain_key('domain')} AS domain,"
        f" {name_key('account_name')} AS name_key FROM ({union})"
    )


def build_keys(
    con: duckdb.DuckDBPyConnection,
    stored: pl.DataFrame | None,
    id_columns: list[tuple[str, str]],
    imported_keys: list[str],
    pins: pl.DataFrame | None,
) -> None:
    """The foreign ids: stored ``account_keys``, this import's (resolved) key views, and the
    id-like columns of this import's account files (view, column); and the pinned matches."""
    parts = [
        f"SELECT key, system, account_id FROM {ident(v)} WHERE account_id IS NOT NULL"
        for v in imported_keys
    ]
    if stored is not None and stored.height:
        create_table(con, "__stored_keys", stored.select("key", "system", "account_id").to_arrow())
        parts.append("SELECT key, system, account_id FROM __stored_keys")
    parts += [
        f"SELECT CAST({ident(c)} AS VARCHAR) AS key, {literal(c)} AS system, account_id"
        f" FROM {ident(v)} WHERE {ident(c)} IS NOT NULL"
        for v, c in id_columns
    ]
    union = " UNION ALL ".join(parts) or (
        "SELECT NULL::VARCHAR AS key, NULL::VARCHAR AS system, NULL::VARCHAR AS account_id WHERE false"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {KEYS} AS SELECT {id_key('key')} AS key,"
        " any_value(account_id) AS account_id FROM (" + union + ")"
        f" WHERE key IS NOT NULL GROUP BY {id_key('key')} HAVING count(DISTINCT account_id) = 1"
    )
    frame = (
        pins
        if pins is not None
        else pl.DataFrame(
            {"system": [], "key": [], "account_id": []},
            schema={"system": pl.String, "key": pl.String, "account_id": pl.String},
        )
    )
    create_table(con, "__stored_pins", frame.select("system", "key", "account_id").to_arrow())
    con.execute(
        f"CREATE OR REPLACE TABLE {PINS} AS SELECT coalesce(system, '') AS system,"
        f" {id_key('key')} AS key, any_value(account_id) AS account_id FROM __stored_pins GROUP BY ALL"
    )


def id_like_columns(con: duckdb.DuckDBPyConnection, view: str, skip: set[str]) -> list[str]:
    """The columns of an account file whose values look like another system's ids: unique per
    row, mostly filled, and not free text (no spaces)."""
    cols = [c for c in con.sql(f"SELECT * FROM {ident(view)} LIMIT 0").columns if c not in skip]
    found = []
    for column in cols:
        filled, distinct, spaced, total = con.execute(
            f"SELECT count({ident(column)}), count(DISTINCT {ident(column)}),"
            f" count(*) FILTER (WHERE CAST({ident(column)} AS VARCHAR) LIKE '% %'), count(*)"
            f" FROM {ident(view)}"
        ).fetchall()[0]
        if total and filled >= 0.5 * total and distinct == filled and not spaced:
            found.append(column)
    return found


def match_source(con: duckdb.DuckDBPyConnection, source: str, hints: Hints, target: str) -> None:
    """``target``: the source's rows, in order, with ``__account_id`` (the matched account, or
    the key itself when none matched), ``__matched_by`` (the rule, or null) and
    ``__match_tried`` (what was tried, for the reject's message)."""
    key = id_key(ident(hints.key)) if hints.key else "NULL"
    domain_src = hints.domain or hints.email
    domain = (
        domain_key(ident(domain_src))
        if domain_src
        else (
            f"CASE WHEN {key} LIKE '%@%' THEN {domain_key(ident(hints.key))} END"
            if hints.key
            else "NULL"
        )
    )
    name = (
        name_key(ident(hints.name))
        if hints.name
        else (name_key(ident(hints.key)) if hints.key else "NULL")
    )
    system = literal(hints.system or "")
    personal = ", ".join(literal(d) for d in PERSONAL_DOMAINS)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {ident(target)} AS
        WITH rows_in AS (
            SELECT row_number() OVER () AS __row, *, {key} AS __key, {domain} AS __domain,
                {name} AS __name
            FROM {source}
        ),
        unique_domains AS (
            SELECT domain, any_value(account_id) AS account_id FROM {DIRECTORY}
            WHERE domain IS NOT NULL AND domain NOT IN ({personal})
            GROUP BY domain HAVING count(*) = 1
        ),
        unique_names AS (
            SELECT name_key, any_value(account_id) AS account_id FROM {DIRECTORY}
            WHERE name_key IS NOT NULL GROUP BY name_key HAVING count(*) = 1
        ),
        matched AS (
            SELECT r.*,
                pin.account_id AS __by_pin, crm.account_id AS __by_crm, fk.account_id AS __by_key,
                dom.account_id AS __by_domain, nam.account_id AS __by_name
            FROM rows_in r
            LEFT JOIN {PINS} pin ON pin.key = r.__key AND pin.system IN ({system}, '')
            LEFT JOIN {DIRECTORY} crm ON crm.id_key = r.__key
            LEFT JOIN {KEYS} fk ON fk.key = r.__key
            LEFT JOIN unique_domains dom ON dom.domain = r.__domain
            LEFT JOIN unique_names nam ON nam.name_key = r.__name
        )
        SELECT * EXCLUDE (__by_pin, __by_crm, __by_key, __by_domain, __by_name, __key, __domain, __name, __row),
            coalesce(__by_pin, __by_crm, __by_key, __by_domain, __by_name, __key) AS __account_id,
            CASE WHEN __by_pin IS NOT NULL THEN 'pinned' WHEN __by_crm IS NOT NULL THEN 'crm_id'
                 WHEN __by_key IS NOT NULL THEN 'foreign_id'
                 WHEN __by_domain IS NOT NULL THEN 'email_domain'
                 WHEN __by_name IS NOT NULL THEN 'name' END AS __matched_by,
            concat_ws(', ', 'key ' || __key, 'domain ' || __domain,
                      CASE WHEN __name IS DISTINCT FROM __key THEN 'name ' || __name END)
                AS __match_tried
        FROM matched ORDER BY __row
        """
    )


def match_counts(
    con: duckdb.DuckDBPyConnection, matched: str, valid_view: str | None = None
) -> tuple[dict[str, int], int, int]:
    """Rows matched by each rule, distinct accounts matched, distinct keys unmatched."""
    rows = con.execute(
        f"SELECT __matched_by, count(*) FROM {ident(matched)} WHERE __matched_by IS NOT NULL GROUP BY 1"
    ).fetchall()
    accounts, unmatched = con.execute(
        f"SELECT count(DISTINCT __account_id) FILTER (WHERE __matched_by IS NOT NULL),"
        f" count(DISTINCT __account_id) FILTER (WHERE __matched_by IS NULL) FROM {ident(matched)}"
    ).fetchall()[0]
    by_rule = dict.fromkeys(RULES, 0) | {r: int(n) for r, n in rows}
    return {r: n for r, n in by_rule.items() if n}, int(accounts), int(unmatched)


def unmatched_keys(con: duckdb.DuckDBPyConnection, matched: str, limit: int = 200) -> list[str]:
    """The keys that matched no account, most rows first (for pinning them by hand)."""
    rows = con.execute(
        f"SELECT __account_id FROM {ident(matched)} WHERE __matched_by IS NULL"
        " AND __account_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ?",
        [limit],
    ).fetchall()
    return [r[0] for r in rows]


def find_in_directory(con: duckdb.DuckDBPyConnection, text: str, limit: int = 50) -> dict[str, str]:
    """Accounts whose id or name contains ``text``: id -> "name (id)"."""
    rows = con.execute(
        f"SELECT account_id, account_name FROM {DIRECTORY} WHERE contains(lower(account_id), $t)"
        " OR contains(lower(account_name), $t) ORDER BY account_name LIMIT $n",
        {"t": text.strip().lower(), "n": limit},  # as typed: % and _ are characters
    ).fetchall()
    return {a: f"{n} ({a})" for a, n in rows}
