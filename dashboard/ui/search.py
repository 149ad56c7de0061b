"""The sidebar's account search, on every page: type a name or an id and the account opens.

Up to ``LISTED`` accounts of the viewer's book are listed in the box, filtered as you type;
a text that is not one of them is searched in the whole book on Enter (one match, or an
exact id or name, opens it; several are offered as links). The search covers the viewer's
book, not the sidebar's filters: a person looking for an account wants it wherever it is."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboard.store.account_detail import account_names, find_accounts
from dashboard.store.filters import AccountFilter
from dashboard.ui.links import open_account, view_params
from dashboard.ui.nav import page
from dashboard.ui.queries import read, shared

LISTED = 2_000  # accounts listed in the box (weakest first); beyond, typed text is searched
OFFERED = 8  # matches offered as links when a typed text names several accounts
KEY = "search_account"


def _label(account_id: str, names: dict[str, str]) -> str:
    name = names.get(account_id)
    return f"{name} · {account_id}" if name else account_id


def _on_pick(book: AccountFilter, names: dict[str, str]) -> None:
    chosen = st.session_state.get(KEY)
    st.session_state[KEY] = None  # the box is empty again on the page that opens
    st.session_state.pop("search_matches", None)
    if not chosen:
        return
    if chosen in names:
        st.session_state["search_open"] = chosen
        return
    matches = read(find_accounts, book, str(chosen), OFFERED + 1)
    typed = str(chosen).strip().lower()
    exact = matches.filter(
        (matches["account_id"].str.to_lowercase() == typed)
        | (matches["account_name"].str.to_lowercase() == typed)
    )
    if matches.height == 1 or exact.height == 1:
        st.session_state["search_open"] = (exact if exact.height else matches)["account_id"][0]
    else:
        st.session_state["search_matches"] = (str(chosen), matches.head(OFFERED).rows())


def kept_names(book: AccountFilter) -> dict[str, str]:
    """The accounts the box lists, id → name: built once per data generation and book and
    shared by every run (a dict, not a frame copied out of the cache each run)."""
    return shared(account_names, book, LISTED)


def account_search(scope: list[str] | None) -> None:
    """Draw the search in the sidebar; open the account it found (the Account page)."""
    book = AccountFilter(scope=scope)
    names = kept_names(book)
    with st.sidebar:
        st.selectbox(
            "Find an account",
            list(names),
            index=None,
            key=KEY,
            accept_new_options=True,
            placeholder="Type a name or id",
            format_func=partial(_label, names=names),
            on_change=_on_pick,
            args=(book, names),
        )
        found = st.session_state.get("search_matches")
        if found:
            typed, rows = found
            if not rows:
                st.caption(f"No account in your book matches “{typed}”.")
            else:
                st.caption(f"Accounts matching “{typed}”:")
                for account_id, name, *_ in rows:
                    st.page_link(
                        page("account"),
                        label=f"{name} · {account_id}",
                        query_params=view_params(account=account_id),
                    )
    target = st.session_state.pop("search_open", None)
    if target:
        open_account(target)
