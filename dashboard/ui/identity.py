"""The person using the app: signed in through Streamlit's OIDC sign-in when an identity
provider is configured (``[auth]`` in secrets), else the single local user."""

from __future__ import annotations

import streamlit as st

from dashboard.config import get_settings, org_for_email
from dashboard.store import audit_log
from dashboard.store.marts import owner_rows
from dashboard.text import md
from dashboard.ui.state import now, stores, today
from dashboard.workflows.access import LOCAL, SignInRefused, Viewer, sign_in
from dashboard.workflows.covers import with_covers


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def current_viewer() -> Viewer:
    """Who is looking, with the books they cover for today (read on every run, so a cover
    ends by itself after its last day). Kept in the session once known (set here, on the
    server, only)."""
    viewer = _signed_in()
    if viewer.role == "local":  # sees everything and covers nobody: no store to open
        return viewer
    return with_covers(stores().app, viewer, today())


def _signed_in() -> Viewer:
    if "viewer" in st.session_state:
        return st.session_state["viewer"]
    settings = get_settings()
    if not _auth_configured():
        viewer = LOCAL
        if settings.orgs:  # the single local user picks the organisation to look at
            st.session_state.setdefault("org", next(iter(settings.orgs)))
    else:
        if not st.user.is_logged_in:
            st.title("Tandem")
            st.button("Sign in", on_click=st.login, type="primary")
            st.stop()
        if settings.orgs:  # each organisation has its own stores, chosen by e-mail domain
            org = org_for_email(settings, str(st.user.email or ""))
            if org is None:
                st.error(f"{md(st.user.email)} belongs to no organisation configured here.")
                st.button("Sign out", on_click=st.logout)
                st.stop()
            st.session_state["org"] = org
        owners = owner_rows(stores().sources)
        try:  # the ID token's claims, as the server got them from the provider
            found = sign_in(
                stores().app,
                owners,
                st.user.to_dict(),
                now(),
                provider_verifies=settings.oidc_verifies_email,
            )
        except SignInRefused as exc:
            st.error(f"You cannot sign in: {md(str(exc))}. Ask a leader.", icon=":material/lock:")
            st.button("Sign out", on_click=st.logout)
            st.stop()
        if found is None:
            st.error(f"{md(st.user.email)} is not in the owners table: ask a leader to add you.")
            st.button("Sign out", on_click=st.logout)
            st.stop()
        viewer = found
    st.session_state["viewer"] = viewer
    return viewer


def unmasked() -> bool:
    """True when a leader has switched PII unmasking on for this session."""
    viewer = st.session_state.get("viewer")
    return bool(viewer and viewer.role == "leader" and st.session_state.get("unmask_pii"))


def _log_unmask() -> None:
    viewer = st.session_state["viewer"]
    on = st.session_state.get("unmask_pii", False)
    audit_log.log(
        stores().app, now(), viewer.name, "unmask pii" if on else "mask pii", viewer.email
    )


def sidebar_identity(viewer: Viewer) -> None:
    orgs = list(get_settings().orgs)
    with st.sidebar:
        if orgs and viewer.role == "local":
            st.selectbox("Organisation", orgs, key="org")
        elif orgs:
            st.caption(f":material/corporate_fare: {md(st.session_state.get('org'))}")
        if viewer.role == "leader":
            st.toggle(
                "Show e-mails and phone numbers",
                key="unmask_pii",
                on_change=_log_unmask,
                help="Free text is masked by default; switching this on is logged.",
            )
        if viewer.role == "local":
            st.caption(
                ":material/person: Single-user local mode: no sign-in is configured, so this "
                "session sees every account."
            )
        else:
            scope = "every account" if viewer.sees_everything else "the accounts you own"
            if viewer.covering and not viewer.sees_everything:
                scope += f" and those of {md(', '.join(viewer.covering))}, whom you cover for"
            st.caption(f":material/person: {md(viewer.name)} ({md(viewer.role)}) · you see {scope}")


def sidebar_workspace() -> None:
    """Which workspace this session looks at: the team's data or the demo. The switch shows
    only when both exist; the demo says it is the demo."""
    from dashboard.store.workspaces import WORKSPACE_LABELS
    from dashboard.ui.state import choose_workspace, demo_exists, team_data_exists, workspace

    with st.sidebar:
        if team_data_exists() and demo_exists():
            current = workspace()
            key = f"workspace_pick_{current}"  # a new widget whenever the workspace changes
            st.segmented_control(
                "Workspace",
                ["data", "demo"],
                format_func=WORKSPACE_LABELS.get,
                default=current,
                key=key,
                required=True,
                on_change=lambda: choose_workspace(st.session_state[key]),
            )
        elif workspace() == "demo":
            st.caption(
                ":material/science: **Demo portfolio**, built from a seeded generator. Your own "
                "data, loaded on the Data page, goes into a workspace of its own."
            )


def require_full_access(viewer: Viewer, what: str) -> None:
    """Stop the page for a person who is not a leader or ops (or the local user)."""
    if not viewer.sees_everything:
        st.error(f"{what} is for leaders and ops.", icon=":material/lock:")
        st.stop()
