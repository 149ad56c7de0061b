"""Contacts through the import: roles by the stated rule (from a role or a title column; a
value the rule does not place is kept unknown and reported, never guessed as "user"), and a
later contact list replacing the people of the accounts it names (not appended twice)."""

from __future__ import annotations

import datetime as dt

from dashboard.ingest.impact import LoadMode
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.session import ImportSession
from dashboard.store import Stores

TODAY = dt.date(2026, 6, 15)
ACCOUNTS = b"account_id,account_name,arr\nA1,Acme,100000\nA2,Beta,20000\n"
COLUMNS = {"account_id": "Account", "name": "Name", "email": "Email", "left_on": "Left"}


def load(stores: Stores, name: str, data: bytes, mapping: Mapping):
    session = ImportSession()
    try:
        session.add(name, data)
        view = next(iter(session.files))
        prepared = session.prepare([(mapping, view)], stores, TODAY, LoadMode.UPDATE)
        assert all(p.ok for p in prepared), prepared[0].errors
        impacts = session.impact(prepared, stores, LoadMode.UPDATE)
        session.load(stores, prepared, impacts, "test")
        return prepared[0], impacts[0]
    finally:
        session.close()


def accounts(stores: Stores) -> None:
    load(
        stores,
        "accounts.csv",
        ACCOUNTS,
        Mapping(table="accounts", columns={c: c for c in ("account_id", "account_name", "arr")}),
    )


def people(stores: Stores) -> list[tuple]:
    return stores.sources.query(
        "SELECT account_id, name, role, left_on FROM contacts ORDER BY account_id, name"
    ).rows()


def test_roles_from_a_role_column_by_the_rule_unknown_kept_unknown_and_reported(
    empty_stores: Stores,
):
    accounts(empty_stores)
    data = (
        b"Account,Name,Email,Stakeholder role,Left\n"
        b"A1,Ana,ana@acme.io,Champion,\n"
        b"A1,Bo,bo@acme.io,Economic Buyer,\n"
        b"A1,Cy,cy@acme.io,Kingmaker,\n"
        b"A1,Di,di@acme.io,Budget Holder,\n"
        b"A2,Ed,ed@beta.io,Executive Sponsor,2026-05-01\n"
        b"A2,Flo,flo@beta.io,,\n"
    )
    mapping = Mapping(
        table="contacts",
        columns=COLUMNS | {"role": "Stakeholder role"},
        values={"role": {"Budget Holder": "admin"}},  # a person's map comes first
    )
    prepared, _ = load(empty_stores, "contacts.csv", data, mapping)
    assert prepared.valid_rows == 6
    assert people(empty_stores) == [
        ("A1", "Ana", "champion", None),
        ("A1", "Bo", "economic buyer", None),
        ("A1", "Cy", None, None),  # "Kingmaker": unknown, not a guessed "user"
        ("A1", "Di", "admin", None),
        ("A2", "Ed", "sponsor", dt.date(2026, 5, 1)),
        ("A2", "Flo", None, None),  # no role given: unknown, not "user"
    ]
    assert [n for n in prepared.notes if "column 'role'" in n] == [
        "column 'role' (from 'Stakeholder role'): 1 row(s) have a role or title the rule does "
        "not place; their role is kept unknown ('Kingmaker': 1); give a value a role in the "
        "value map"
    ]


def test_without_a_role_column_the_role_is_read_from_the_title(empty_stores: Stores):
    accounts(empty_stores)
    data = (
        b"Account,Name,Email,Job Title,Left\n"
        b"A1,Ana,ana@acme.io,VP Operations,\n"
        b"A1,Bo,bo@acme.io,Chief Financial Officer,\n"
        b"A1,Cy,cy@acme.io,IT Administrator,\n"
        b"A1,Di,di@acme.io,Data Analyst,\n"
    )
    mapping = Mapping(table="contacts", columns=COLUMNS | {"title": "Job Title"})
    load(empty_stores, "contacts.csv", data, mapping)
    got = empty_stores.sources.query("SELECT name, title, role FROM contacts ORDER BY name").rows()
    assert got == [
        ("Ana", "VP Operations", "sponsor"),
        ("Bo", "Chief Financial Officer", "economic buyer"),
        ("Cy", "IT Administrator", "admin"),
        ("Di", "Data Analyst", None),  # the title is kept; the role is unknown
    ]


def test_a_later_contact_list_replaces_the_people_of_the_accounts_it_names(empty_stores: Stores):
    accounts(empty_stores)
    mapping = Mapping(table="contacts", columns=COLUMNS | {"role": "Role"})
    first = (
        b"Account,Name,Email,Role,Left\n"
        b"A1,Ana,ana@acme.io,champion,\n"
        b"A1,Bo,bo@acme.io,user,\n"
        b"A2,Ed,ed@beta.io,champion,\n"
    )
    load(empty_stores, "contacts.csv", first, mapping)
    later = b"Account,Name,Email,Role,Left\nA1,Ana,ana@acme.io,champion,2026-06-01\n"
    _, impact = load(empty_stores, "contacts.csv", later, mapping)
    assert (impact.rows_now, impact.rows_after, impact.rows_removed) == (3, 2, 1)
    assert people(empty_stores) == [
        ("A1", "Ana", "champion", dt.date(2026, 6, 1)),  # once, not twice
        ("A2", "Ed", "champion", None),  # an account the file does not name keeps its people
    ]


def test_a_contacts_id_and_e_mail_lead_rows_of_later_files_to_its_account(empty_stores: Stores):
    accounts(empty_stores)
    people = (
        b"Account,Name,Email,Left,Id\n"
        b"A1,Ana,ana@gmail.com,,0031G00000q9jPQAQ\n"  # a personal address: no domain matches
        b"A2,Ed,ed@beta.io,,12\n"  # a small number: any system's id, never a key
    )
    mapping = Mapping(table="contacts", columns=COLUMNS | {"contact_id": "Id"})
    load(empty_stores, "contacts.csv", people, mapping)
    tasks = (
        b"WhoId,Date,Subject\n"
        b"0031G00000q9jPQAQ,2026-06-01,QBR prep\n"  # the contact's CRM id
        b"ANA@gmail.com,2026-06-02,Follow-up\n"  # the contact's e-mail, any case
        b"12,2026-06-03,Call\n"
    )
    session = ImportSession()
    try:
        session.add("tasks.csv", tasks)
        view = next(iter(session.files))
        activity = Mapping(
            table="activities",
            columns={"account_id": "WhoId", "occurred_at": "Date", "summary": "Subject"},
        )
        (prepared,) = session.prepare([(activity, view)], empty_stores, TODAY, LoadMode.UPDATE)
    finally:
        session.close()
    assert prepared.valid_rows == 2
    assert prepared.matched_by == {"foreign_id": 2}
    (reason,) = prepared.rejects["reasons"].to_list()
    assert reason.startswith("column account_id: no account matches (key 12")
