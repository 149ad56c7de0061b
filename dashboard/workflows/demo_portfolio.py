"""The demo portfolio a first start builds when there is no data (the generator is
``ingest/demo.py``): the app reaches it here, never through ingest (``tests/test_house.py``)."""

from __future__ import annotations

from collections.abc import Callable

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.store.sources import SourceStore

__all__ = ["DemoSpec", "load_demo_portfolio"]


def load_demo_portfolio(
    sources: SourceStore, spec: DemoSpec, progress: Callable[[float, str], None]
) -> dict[str, int]:
    """Generate the demo portfolio of ``spec`` into ``sources``; the rows written per table."""
    return load_demo(sources, spec, progress)
