"""Cached reads for pages. ``read(fn, *args)`` runs a store query or view function with the
source store and caches the result, keyed by the function, its arguments and the published
generation of the source store, so a load or the nightly job invalidates it. ``view(fn,
*args)`` does the same for a view that also reads what people typed (both stores): its key
adds the app store's signature, so a new note or step invalidates it too."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from dashboard.store.marts import money_info
from dashboard.text import use_currency
from dashboard.ui.state import stores

T = TypeVar("T")


def generation() -> str:
    """The published generation, qualified by its folder (two data folders never share keys)."""
    source = stores().sources
    return f"{source.root}/{source.identity()}"


def _call(name: str, args: tuple[Any, ...]) -> Any:
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module), function)(stores().sources, *args)


def _name(fn: Callable[..., Any]) -> str:
    if not fn.__module__.startswith("dashboard."):
        raise ValueError(f"{fn.__module__}.{fn.__qualname__} is not a dashboard query")
    return f"{fn.__module__}.{fn.__qualname__}"


@st.cache_data(show_spinner=False, max_entries=512)
def _read(generation: str, name: str, args: tuple[Any, ...]) -> Any:
    return _call(name, args)


@st.cache_resource(show_spinner=False, max_entries=2)
def _kept(generation: str, name: str, args: tuple[Any, ...]) -> Any:
    return _call(name, args)


def read(fn: Callable[..., T], *args: Any) -> T:
    """``fn(source_store, *args)``, cached per generation and arguments."""
    return _read(generation(), _name(fn), args)


def kept(fn: Callable[..., T], *args: Any) -> T:
    """Like ``read``, for a large result built once per generation and shared, not copied, by
    every run and session (``st.cache_resource``; the two latest are kept): the backtest's
    snapshots, which a weight change does not change. Callers must not modify it."""
    return _kept(generation(), _name(fn), args)


@st.cache_resource(show_spinner=False, max_entries=8)
def _shared(generation: str, name: str, args: tuple[Any, ...]) -> Any:
    return _call(name, args)


def shared(fn: Callable[..., T], *args: Any) -> T:
    """Like ``read``, for a result every run reads whole (the Portfolio view, with every
    account of a filter: 35 MB at 100k accounts; the search box's names): kept once and
    shared by every run and session instead of copied out of the cache on each run (8 are
    kept; ``kept`` keeps 2 of the far larger backtest snapshots). Callers must not modify it."""
    return _shared(generation(), _name(fn), args)


def _call_both(name: str, args: tuple[Any, ...]) -> Any:
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module), function)(stores(), *args)


@st.cache_data(show_spinner=False, max_entries=256)
def _view(generation: str, app_signature: str, name: str, args: tuple[Any, ...]) -> Any:
    return _call_both(name, args)


def view(fn: Callable[..., T], *args: Any) -> T:
    """``fn(stores, *args)``, cached per source generation, app-store state and arguments."""
    return _view(generation(), repr(stores().app.signature()), _name(fn), args)


def use_data_currency() -> None:
    """Show money in the data's currency (the one the nightly job recorded) in this run. Every
    run, a fragment's rerun too, has a thread of its own: the app's shell and every fragment
    call this first."""
    use_currency(read(money_info).currency)
