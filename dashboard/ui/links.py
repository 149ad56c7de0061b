"""Links are the view: what a page shows (the workspace, the sidebar's filters, a page's
breakdown, measure and chart pick) lives in its URL, so a copied link reproduces it.

Each view setting has a URL parameter. Before its widget is drawn, ``seed`` gives the widget
the URL's value (a shared link), else the value this session last had (Streamlit drops a
widget's state when another page runs, and the browser's Back keeps the URL of the page it
leaves); after it is drawn, ``keep`` remembers the value and writes it into the URL. Links
between pages (opening an account, the account's way back) carry the same parameters, and
``tidy`` takes out the parameters of other pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard.store.filters import FILTER_COLUMNS
from dashboard.store.workspaces import WORKSPACE_LABELS
from dashboard.text import BAND_ORDER, md
from dashboard.ui.nav import DEFAULT, PAGES, page
from dashboard.views.portfolio import DIMENSIONS, ChartPick

WORKSPACE = "ws"
GLOBAL = (WORKSPACE, *FILTER_COLUMNS)  # on every page's link
# each page's own parameters (the others' are taken out of its URL)
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "portfolio": ("by", "measure", "pick"),
    "account": ("account",),
    "renewals": ("month",),
    "sync": ("pair",),
    "unmanaged_middle": ("middle_by", "middle_pct", "middle_segment"),
}
_MEMORY = "links_kept"  # param -> the value this session last showed (None: the default)
BACK = "links_back"  # the page an account was opened from


def _memory() -> dict[str, Any]:
    return st.session_state.setdefault(_MEMORY, {})


def seed(key: str, param: str, parse: Callable[[list[str]], Any | None]) -> None:
    """Give the widget (or state) ``key`` the URL's value of ``param`` when it has none: a
    link's value (``parse`` of the parameter's values; None when they are not valid), else the
    value this session last had."""
    if key in st.session_state:
        return
    written = st.query_params.get_all(param)
    value = parse(written) if written else None
    remembered = _memory().get(param)
    if value is None and remembered not in (None, []):
        # remembered as the URL writes it ("25-75"): the widget's value is the parse of it
        value = parse([remembered] if isinstance(remembered, str) else remembered)
    if value is not None:
        st.session_state[key] = value


def keep(param: str, value: str | list[str] | None) -> None:
    """Remember ``value`` and write it into the URL (None or an empty list: left out)."""
    _memory()[param] = value
    if value is None or value == []:
        st.query_params.pop(param, None)
    elif st.query_params.get_all(param) != ([value] if isinstance(value, str) else value):
        st.query_params[param] = value


def kept(param: str) -> Any:
    """The value this session last showed for ``param`` (None: none)."""
    return _memory().get(param)


def tidy(page_name: str) -> None:
    """Take the parameters of other pages out of this page's URL (the browser's Back keeps the
    account's id on the Portfolio's address, for one)."""
    own = set(GLOBAL) | set(PAGE_PARAMS.get(page_name, ()))
    for param in [p for p in st.query_params if p not in own]:
        if any(param in params for params in PAGE_PARAMS.values()):
            del st.query_params[param]


def view_params(page_name: str | None = None, **extra: str) -> dict[str, str | list[str]]:
    """The parameters of a link to another page that keeps this view: the workspace and the
    filters, the target page's own settings as this session last had them, and ``extra``."""
    params: dict[str, str | list[str]] = {}
    for param in GLOBAL:
        values = st.query_params.get_all(param)
        if values:
            params[param] = values if len(values) > 1 or param != WORKSPACE else values[0]
    for param in PAGE_PARAMS.get(page_name or "", ()):
        value = kept(param)
        if value not in (None, []):
            params[param] = value
    return params | extra


_PAGE = "links_page"  # the page this run draws


def set_page(name: str) -> None:
    """Record the page this run draws (the shell calls this) and tidy its URL."""
    st.session_state[_PAGE] = name or DEFAULT
    tidy(name or DEFAULT)


def open_account(account_id: str) -> None:
    """Switch to the account's page, keeping the view; its back link returns to this page."""
    here = st.session_state.get(_PAGE, DEFAULT)
    if here != "account":
        st.session_state[BACK] = here
    st.switch_page(page("account"), query_params=view_params(account=account_id))


def back_link() -> None:
    """The account page's way back: to the page it was opened from, with its view."""
    origin = st.session_state.get(BACK, DEFAULT)
    st.page_link(
        page(origin),
        label=f"Back to {PAGES[origin][0]}",
        icon=":material/arrow_back:",
        query_params=view_params(origin),
    )


# -- the workspace ------------------------------------------------------------------------


def workspace_from_link() -> None:
    """On a session's first run, a link's workspace (``?ws=demo``) is the one it looks at,
    when that workspace holds data (a link never builds a demo)."""
    from dashboard.ui.state import choose_workspace, demo_exists, team_data_exists

    if "tandem_workspace" in st.session_state:
        return
    wanted = st.query_params.get(WORKSPACE)
    if (wanted == "data" and team_data_exists()) or (wanted == "demo" and demo_exists()):
        choose_workspace(wanted)


def keep_workspace() -> None:
    from dashboard.ui.state import workspace

    keep(WORKSPACE, workspace())


def switch_workspace(name: str) -> None:
    """A callback: look at workspace ``name`` from now on (its link says so too)."""
    from dashboard.ui.state import choose_workspace

    choose_workspace(name)  # type: ignore[arg-type]
    st.query_params[WORKSPACE] = name


def other_workspace_with(account_id: str, scope: list[str] | None) -> str | None:
    """The other workspace when it holds ``account_id`` in the viewer's book (None: it does
    not, or there is no other workspace)."""
    from dashboard.store.account_detail import account_in_scope
    from dashboard.store.filters import AccountFilter
    from dashboard.ui.state import demo_exists, team_data_exists, workspace, workspace_stores

    other = "demo" if workspace() == "data" else "data"
    if not (demo_exists() if other == "demo" else team_data_exists()):
        return None
    found = account_in_scope(
        workspace_stores(other).sources, AccountFilter(scope=scope), account_id
    )
    return other if found else None


def not_here(account_id: str, scope: list[str] | None) -> None:
    """The Account page's answer for an id this workspace does not hold: when the other
    workspace holds it, say so and offer the switch; else there is no such account."""
    other = other_workspace_with(account_id, scope)
    if other is None:
        st.error(f"There is no account with id {md(repr(account_id))}.", icon=":material/error:")
        return
    st.warning(
        f"{md(account_id)} is in the **{WORKSPACE_LABELS[other]}** workspace, not in "
        f"**{WORKSPACE_LABELS['demo' if other == 'data' else 'data']}**, which this page "
        "looks at.",
        icon=":material/swap_horiz:",
    )
    st.button(
        f"Switch to {WORKSPACE_LABELS[other]}",
        on_click=switch_workspace,
        args=(other,),
        type="primary",
        key="links_switch_workspace",
    )


# -- the Portfolio's breakdown, measure and chart pick ---------------------------------------

MEASURES = ("accounts", "arr")


def _pick_from(values: list[str]) -> ChartPick | None:
    """``segment:SMB:red`` (any part may be empty) as a chart pick; None when not valid."""
    try:
        dimension, rest = values[0].split(":", 1)
        value, band = rest.rsplit(":", 1)
    except ValueError:
        return None
    if dimension not in ("", *DIMENSIONS) or band not in ("", *BAND_ORDER):
        return None
    if not (band or (dimension and value)):
        return None
    return ChartPick(dimension or None, value if dimension and value else None, band or None)


def pick_text(pick: ChartPick | None) -> str | None:
    if pick is None:
        return None
    return (
        f"{pick.dimension or ''}:{pick.value if pick.value is not None else ''}:{pick.band or ''}"
    )


def seed_portfolio() -> None:
    """The Portfolio's breakdown (``by``), measure and chart pick from its link."""
    seed("portfolio_dim", "by", lambda v: v[0] if v[0] in DIMENSIONS else None)
    seed("portfolio_measure", "measure", lambda v: v[0] if v[0] in MEASURES else None)
    seed("portfolio_pick", "pick", _pick_from)
    st.session_state.setdefault("portfolio_measure", "accounts")  # the control's default


def keep_portfolio(dimension: str, measure: str | None, pick: ChartPick | None) -> None:
    keep("by", dimension)
    keep("measure", measure or "accounts")
    keep("pick", pick_text(pick))
