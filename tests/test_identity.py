"""Identity is not data, and the record says who: an import cannot re-key a person by name
alone (a change to an owner's e-mail, role or team is listed, needs a leader's own yes and is
audited with the old value), and every load is in the audit log with who made it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.ingest.impact import ImportRefused, LoadMode, identity_changes, refusals
from dashboard.ingest.mapping import Mapping, suggest_columns
from dashboard.ingest.session import ImportSession
from dashboard.store import Stores
from dashboard.store.audit_log import audit_rows
from dashboard.store.overview import load_history
from dashboard.workflows.access import NotAllowed, Viewer
from dashboard.workflows.imports import may_confirm_identities, require_identity_approver

TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 9, 30)
LEADER = Viewer(name="Lee Park", role="leader", email="lee@tandem.test")
OWNERS = (
    b"owner,role,email,team\n"
    b"Ann Lee,csm,ann@tandem.test,EMEA\n"
    b"Bo Chan,am,bo@tandem.test,EMEA\n"
    b"Lee Park,leader,lee@tandem.test,\n"
)
# a customer's contacts export: one contact shares the CSM's name
CONTACTS = (
    b"Name,Email,Company,Phone,Lifecycle Stage\n"
    b"Ann Lee,ann.lee@customer.example,Customer Inc,+1 415 555 0100,customer\n"
    b"Cy Moss,cy@customer.example,Customer Inc,,lead\n"
)


def _prepare(stores: Stores, name: str, data: bytes, table: str, mode=LoadMode.UPDATE):
    session = ImportSession()
    session.add(name, data)
    view = next(iter(session.files))
    mapping = Mapping(table=table, columns=suggest_columns(table, session.files[view].columns))
    prepared = session.prepare([(mapping, view)], stores, TODAY, mode)
    assert all(p.ok for p in prepared), [p.errors for p in prepared]
    return session, prepared, session.impact(prepared, stores, mode)


def _owner(stores: Stores, name: str) -> dict:
    rows = stores.sources.query("SELECT * FROM owners WHERE owner = ?", [name])
    return rows.row(0, named=True)


@pytest.fixture
def team(empty_stores: Stores) -> Stores:
    session, prepared, impacts = _prepare(empty_stores, "owners.csv", OWNERS, "owners")
    session.load(empty_stores, prepared, impacts, "test", actor="Lee Park", now=NOW)
    session.close()
    return empty_stores


def test_a_contacts_export_cannot_rewrite_a_csm_without_a_leaders_identity_yes(team: Stores):
    before = _owner(team, "Ann Lee")
    session, prepared, impacts = _prepare(team, "contacts.csv", CONTACTS, "owners")
    try:
        changes = identity_changes(impacts)
        # the impact lists the change to who Ann is, field by field, with the old value
        assert [(c.owner, c.field, c.old, c.new) for c in changes] == [
            ("Ann Lee", "email", "ann@tandem.test", "ann.lee@customer.example"),
            ("Ann Lee", "role", "csm", None),
            ("Ann Lee", "team", "EMEA", None),
        ]
        # the row-count yes is not the identity yes: without it, nothing is written
        assert any("a leader must confirm identity changes" in r for r in refusals(impacts, True))
        with pytest.raises(ImportRefused, match="Ann Lee: email ann@tandem.test"):
            session.load(team, prepared, impacts, "upload", confirmed=True, actor="Lee Park")
        assert _owner(team, "Ann Lee") == before
        assert team.sources.row_count("owners") == 3
        # only a leader (or the single local user) may give it, checked from who is signed in
        for role in ("csm", "am", "ops", "both"):
            someone = Viewer(name="Bo Chan", role=role)
            assert not may_confirm_identities(someone)
            with pytest.raises(NotAllowed, match="only a leader can confirm"):
                require_identity_approver(someone, len(changes))
        require_identity_approver(LEADER, len(changes))
        require_identity_approver(Viewer(name="Bo Chan", role="csm"), 0)  # nothing to confirm
        # with the leader's yes the change lands, and the audit log keeps the old e-mail
        session.load(
            team,
            prepared,
            impacts,
            "upload",
            confirmed=True,
            identity_confirmed=True,
            actor=LEADER.name,
            now=NOW,
        )
    finally:
        session.close()
    assert _owner(team, "Ann Lee")["email"] == "ann.lee@customer.example"
    audit = audit_rows(team.app, "identity change")
    assert audit.height == 3 and set(audit["actor"]) == {"Lee Park"}
    email = [json.loads(d) for d in audit["detail"] if json.loads(d)["field"] == "email"]
    assert email[0]["old"] == "ann@tandem.test" and email[0]["new"] == "ann.lee@customer.example"
    assert set(audit["subject"]) == {"Ann Lee"}


def test_a_new_owner_with_someone_elses_email_and_a_replace_that_drops_people_need_the_yes(
    team: Stores,
):
    clash = b"owner,email\nEve Stone,ANN@tandem.test\n"
    session, prepared, impacts = _prepare(team, "people.csv", clash, "owners", LoadMode.APPEND)
    try:
        changes = identity_changes(impacts)
        assert [(c.owner, c.field, c.new, c.holder) for c in changes] == [
            ("Eve Stone", "email", "ANN@tandem.test", "Ann Lee")
        ]
        with pytest.raises(ImportRefused, match="which Ann Lee holds"):
            session.load(team, prepared, impacts, "upload", confirmed=True)
    finally:
        session.close()
    same = b"owner,role,email,team\nAnn Lee,csm,ANN@tandem.test ,emea\n"
    session, prepared, impacts = _prepare(team, "o.csv", same, "owners", LoadMode.REPLACE)
    try:  # the same person in another case is no change; the two left out are removed
        assert [(c.owner, c.field) for c in identity_changes(impacts)] == [
            ("Bo Chan", "removed"),
            ("Lee Park", "removed"),
        ]
    finally:
        session.close()
    assert team.sources.row_count("owners") == 3


def test_an_unchanged_or_new_person_loads_without_the_identity_yes(team: Stores):
    data = OWNERS + b"Dee Ray,csm,dee@tandem.test,APAC\n"
    session, prepared, impacts = _prepare(team, "owners.csv", data, "owners")
    try:
        assert identity_changes(impacts) == [] and refusals(impacts, False) == []
        session.load(team, prepared, impacts, "upload", actor="Lee Park", now=NOW)
    finally:
        session.close()
    assert _owner(team, "Dee Ray")["email"] == "dee@tandem.test"


ACCOUNTS = "account_id,account_name,csm_owner,arr\n" + "".join(
    f"a{i},Acct {i},Ann Lee,{1000 + i}\n" for i in range(300)
)


def test_a_replace_is_audited_with_who_and_the_counts_and_the_history_names_them(team: Stores):
    session, prepared, impacts = _prepare(team, "accounts.csv", ACCOUNTS.encode(), "accounts")
    session.load(team, prepared, impacts, "upload", actor="Lee Park", now=NOW)
    session.close()
    five = "account_id,account_name,csm_owner,arr\n" + "".join(
        f"a{i},Acct {i},Ann Lee,1\n" for i in range(5)
    )
    session, prepared, impacts = _prepare(
        team, "five.csv", five.encode(), "accounts", LoadMode.REPLACE
    )
    try:
        with pytest.raises(ImportRefused, match="removes 295 of the 300"):
            session.load(team, prepared, impacts, "upload", actor="Lee Park")
        later = NOW + dt.timedelta(hours=1)
        session.load(team, prepared, impacts, "upload", confirmed=True, actor="Lee Park", now=later)
    finally:
        session.close()
    assert team.sources.row_count("accounts") == 5
    replaced = audit_rows(team.app, "load replace")
    assert replaced.height == 1
    row = replaced.row(0, named=True)
    assert row["actor"] == "Lee Park" and row["subject"] == "accounts"
    assert "300 -> 5 rows" in row["detail"] and "295 removed" in row["detail"]
    assert "five.csv" in row["detail"]
    assert audit_rows(team.app, "load %").height == 3  # owners, the 300, the replace
    history = load_history(team.sources)
    assert history["source"][0] == "upload by Lee Park: five.csv (replace)"


# -- sign-in: a verified e-mail, and the provider's subject kept beside it ----------------
ISSUER = "http://127.0.0.1:9/"


def _claims(email: str, sub: str, **extra) -> dict:
    return {
        "is_logged_in": True,
        "iss": ISSUER,
        "sub": sub,
        "email": email,
        "email_verified": True,
        **extra,
    }


def test_sign_in_needs_a_verified_email_and_keeps_the_subject_beside_it(team: Stores):
    from dashboard.store.marts import owner_rows
    from dashboard.workflows.access import SignInRefused, sign_in

    owners = owner_rows(team.sources)
    app = team.app
    for unverified in ({"email_verified": False}, {"email_verified": "false"}):
        with pytest.raises(SignInRefused, match="not verified"):
            sign_in(app, owners, _claims("lee@tandem.test", "s-lee", **unverified), NOW)
    missing = _claims("lee@tandem.test", "s-lee")
    del missing["email_verified"]
    with pytest.raises(SignInRefused, match="not verified"):
        sign_in(app, owners, missing, NOW)
    with pytest.raises(SignInRefused, match="not verified"):  # false stays false
        sign_in(
            app,
            owners,
            _claims("lee@tandem.test", "s-lee", email_verified=False),
            NOW,
            provider_verifies=True,
        )
    # a provider configured as verifying: the missing claim is accepted, the subject is kept
    assert sign_in(app, owners, missing, NOW, provider_verifies=True) == Viewer(
        name="Lee Park", role="leader", email="lee@tandem.test"
    )
    kept = app.query("SELECT issuer, subject, email FROM identities")
    assert kept.rows() == [(ISSUER, "s-lee", "lee@tandem.test")]
    assert sign_in(app, owners, _claims("LEE@tandem.test", "s-lee"), NOW).name == "Lee Park"
    # the same e-mail from another subject, the same subject with another e-mail: refused
    with pytest.raises(SignInRefused, match="another account at the provider"):
        sign_in(app, owners, _claims("lee@tandem.test", "s-mallory"), NOW)
    with pytest.raises(SignInRefused, match="another e-mail"):
        sign_in(app, owners, _claims("ann@tandem.test", "s-lee"), NOW)
    with pytest.raises(SignInRefused, match="no subject"):
        sign_in(app, owners, _claims("ann@tandem.test", ""), NOW)
    refused = audit_rows(app, "sign-in refused")
    assert refused.height == 7
    assert any("s-mallory" in d for d in refused["detail"])
    assert app.query("SELECT count(*) AS n FROM identities")["n"][0] == 1
    # someone not in the owners table is no one here (and nothing is kept for them)
    assert sign_in(app, owners, _claims("eve@evil.test", "s-eve"), NOW) is None


def test_a_confirmed_email_change_moves_the_sign_in_with_the_person(team: Stores):
    from dashboard.store.marts import owner_rows
    from dashboard.workflows.access import SignInRefused, sign_in

    assert sign_in(team.app, owner_rows(team.sources), _claims("ann@tandem.test", "s-ann"), NOW)
    new = b"owner,role,email,team\nAnn Lee,csm,ann.lee@tandem.test,EMEA\n"
    session, prepared, impacts = _prepare(team, "owners.csv", new, "owners")
    try:
        session.load(
            team, prepared, impacts, "upload", identity_confirmed=True, actor=LEADER.name, now=NOW
        )
    finally:
        session.close()
    owners = owner_rows(team.sources)
    assert sign_in(team.app, owners, _claims("ann.lee@tandem.test", "s-ann"), NOW).name == "Ann Lee"
    assert sign_in(team.app, owners, _claims("ann@tandem.test", "s-other"), NOW) is None
    with pytest.raises(SignInRefused):  # nor does the new one let another subject in
        sign_in(team.app, owners, _claims("ann.lee@tandem.test", "s-other"), NOW)


@pytest.fixture
def team_app(team: Stores, tmp_path, monkeypatch):
    """The app over the team's workspace (owners and 300 accounts), as on the Data page."""
    from dashboard.config import get_settings

    session, prepared, impacts = _prepare(team, "accounts.csv", ACCOUNTS.encode(), "accounts")
    session.load(team, prepared, impacts, "upload", actor="Lee Park", now=NOW)
    session.close()
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield team
    get_settings.cache_clear()


def _data_page_with_contacts(viewer: Viewer):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    at.session_state["viewer"] = viewer  # what the sign-in step sets on the server
    at.run()
    at.switch_page("../pages/data.py").run()
    at.file_uploader(key="uploads").set_value([("contacts.csv", CONTACTS, "text/csv")]).run()
    at.selectbox(key="table_contacts").set_value("owners").run()
    at.button(key="import_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(
        "Ann Lee\\: email ann@tandem.test → ann.lee@customer.example" in w.value for w in at.warning
    )
    return at


def test_on_the_data_page_only_a_leader_confirms_an_identity_change(team_app: Stores):
    ops = _data_page_with_contacts(Viewer(name="Oli Ops", role="ops", email="oli@tandem.test"))
    assert any("Only a leader can confirm" in e.value for e in ops.error)
    assert not [c for c in ops.checkbox if c.key == "import_identity_yes"]
    assert ops.button(key="import_load").disabled
    assert _owner(team_app, "Ann Lee")["email"] == "ann@tandem.test"
    at = _data_page_with_contacts(LEADER)
    assert at.button(key="import_load").disabled
    at.checkbox(key="import_identity_yes").check().run()
    at.button(key="import_load").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _owner(team_app, "Ann Lee")["email"] == "ann.lee@customer.example"
    audit = audit_rows(team_app.app, "identity change")
    assert set(audit["actor"]) == {"Lee Park"} and audit.height == 3


def test_the_command_line_needs_confirm_identities_and_audits_the_user(team_app: Stores, tmp_path):
    from tests.conftest import tandem

    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes(CONTACTS)
    refused = tandem(tmp_path, "import", "owners", str(contacts), "--confirm")
    assert refused.returncode == 2, refused.stderr
    assert "a leader must confirm identity changes" in refused.stderr
    assert _owner(team_app, "Ann Lee")["email"] == "ann@tandem.test"
    done = tandem(tmp_path, "import", "owners", str(contacts), "--confirm-identities")
    assert done.returncode == 0, done.stderr
    assert _owner(Stores.open(tmp_path), "Ann Lee")["email"] == "ann.lee@customer.example"
    audit = audit_rows(Stores.open(tmp_path).app, "identity change")
    assert audit.height == 3 and audit["actor"].str.ends_with("(command line)").all()
