"""The house rules, checked by reading the code: which layer may import which, SQL only in
the store and the ingest's staging engine, pages that only show, no module name repeated in
more than two layers."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the layers, and what each may import (besides itself and the core)
LAYERS: dict[str, set[str]] = {
    "pages": {"ui", "views", "workflows"},
    # the UI never reaches the import's engine: it goes through workflows/import_flow.py
    "ui": {"views", "workflows", "jobs", "store", "scoring"},
    "views": {"store", "workflows", "scoring"},
    "workflows": {"store", "ingest", "scoring"},  # ingest: for the import flow
    "jobs": {"views", "workflows", "ingest", "store", "scoring"},
    "ingest": {"store"},
    "store": {"scoring"},
    "scoring": set(),
    "core": set(),
}
CORE = {"dashboard.clock", "dashboard.config", "dashboard.schema", "dashboard.text"}
# the one module of another layer the core may read: the glossary, pure constants and Polars
# expressions it re-exports (scoring may import nothing of ours, and needs the same concepts)
CORE_READS = ("scoring.glossary",)
ENTRY = {"dashboard/app.py", "dashboard/cli.py"}  # the two entry points may import anything


def layer_of_module(module: str) -> str | None:
    if module in CORE:
        return "core"
    parts = module.split(".")
    if parts[0] == "scoring":
        return "scoring"
    if parts[0] == "pages":
        return "pages"
    if parts[0] == "dashboard" and len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    return None


def layer_of_file(path: Path) -> str | None:
    rel = path.relative_to(ROOT).as_posix()
    if rel in ENTRY:
        return None
    return layer_of_module(rel.removesuffix(".py").replace("/", ".").removesuffix(".__init__"))


def our_files() -> list[Path]:
    return sorted(p for d in ("dashboard", "scoring", "pages") for p in (ROOT / d).rglob("*.py"))


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def test_each_layer_imports_only_what_its_rule_allows():
    forbidden = []
    for path in our_files():
        layer = layer_of_file(path)
        if layer is None:
            continue
        allowed = LAYERS[layer] | {layer, "core"}
        for line, module in imports_of(path):
            if layer == "core" and module.startswith(CORE_READS):
                continue
            target = layer_of_module(module)
            if target is not None and target not in allowed:
                forbidden.append(
                    f"{path.relative_to(ROOT)}:{line}: {layer} imports {module} ({target})"
                )
    assert not forbidden, "forbidden imports:\n" + "\n".join(sorted(set(forbidden)))


SQL = re.compile(r"^\s*(select|insert|update|delete|create|drop|alter|with|copy|attach)\b", re.I | re.S)  # fmt: skip


def test_no_sql_outside_the_store_and_the_staging_engine():
    found = []
    for path in [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "pages").glob("*.py")]:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("dashboard/store/", "dashboard/ingest/")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            text = None
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            elif isinstance(node, ast.JoinedStr):
                text = "".join(
                    v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )  # fmt: skip
            if text and len(text) > 20 and SQL.match(text):
                found.append(f"{rel}:{node.lineno}: SQL text {text[:40]!r}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany", "sql")
            ):
                found.append(f"{rel}:{node.lineno}: .{node.func.attr}(…) call")
    assert not found, "\n".join(found)


def test_pages_only_show_and_fit_a_screen():
    for path in sorted((ROOT / "pages").glob("*.py")):
        lines = path.read_text().splitlines()
        assert len(lines) <= 100, f"{path.name}: {len(lines)} lines"
        text = path.read_text()
        assert "import duckdb" not in text and "dashboard.store" not in text, (
            f"{path.name} reaches into the store"
        )
        assert "st.column_config" not in text, f"{path.name}: column configs live in ui/columns"


def test_no_module_name_in_more_than_two_layers():
    layers_of_name: dict[str, set[str]] = defaultdict(set)
    for path in our_files():
        if path.name == "__init__.py":
            continue
        layer = layer_of_file(path) or "entry"
        layers_of_name[path.stem].add(layer)
    repeated = {n: sorted(ls) for n, ls in layers_of_name.items() if len(ls) > 2}
    assert not repeated, repeated


def test_scoring_is_pure():
    for path in (ROOT / "scoring").rglob("*.py"):
        for _, module in imports_of(path):
            root = module.split(".")[0]
            assert root not in ("streamlit", "duckdb", "dashboard"), f"{path.name} imports {module}"
        text = path.read_text()
        assert "date.today(" not in text and "datetime.now(" not in text, (
            f"{path.name} reads the clock"
        )
        assert "open(" not in text and "read_text(" not in text, f"{path.name} reads files"


def test_one_read_of_the_clock():
    """The date and time come from dashboard.clock (which TANDEM_TODAY pins), so tests and a
    replayed day count as of one date; durations use time.monotonic."""
    reads = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|time\.time)\(")
    found = []
    for folder in ("dashboard", "pages", "scoring", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() == "dashboard/clock.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if reads.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
