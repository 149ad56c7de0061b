"""The real server (`streamlit run`) with several sessions at once, over Streamlit's own
websocket protocol (no browser): what the first people to open a freshly started app see."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.load import PATHS, protocol_view
from tests.test_browser import streamlit_server


async def _open_every_page_at_once(url: str) -> list[tuple[str, str | None]]:
    import websockets

    async def one(path: str) -> tuple[str, str | None]:
        stream = url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(stream, subprotocols=["streamlit"], max_size=None) as ws:
            error, _ = await protocol_view(ws, path)
            return path, error

    return await asyncio.gather(*(one(path) for path in PATHS))


@pytest.mark.parametrize("start", range(3))
def test_a_fresh_server_serves_every_page_to_sessions_arriving_at_once(demo_dir: Path, start):
    # Before the entry script imported pandas first, a session drawing a Plotly chart while
    # another imported pandas failed about one cold start in two: "partially initialized
    # module 'pandas' has no attribute 'Series'".
    with streamlit_server(demo_dir) as url:
        results = asyncio.run(_open_every_page_at_once(url))
    assert len(results) == 8
    assert [(path, error) for path, error in results if error] == []
