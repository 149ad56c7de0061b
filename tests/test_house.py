"""The house rules, checked by reading the code: which layer may import which, SQL only in
the store and the ingest's staging engine, pages that only show, no module name repeated in
more than two layers."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The layers, and what each may import (besides itself and the core): the table of
# ../shared/DESIGN.md and the README's "Layout", word for word. Change the code to meet it,
# never the table to fit the code.
LAYERS: dict[str, set[str]] = {
    "pages": {"ui", "views", "workflows"},
    "ui": {"views", "workflows", "store"},
    "views": {"store", "workflows", "scoring"},
    "workflows": {"store", "ingest"},
    "jobs": {"views", "workflows", "ingest", "store", "scoring"},
    "ingest": {"store"},
    "store": {"scoring"},  # the scorecard model's types only: STORE_READS_OF_SCORING
    "scoring": set(),
    "core": set(),
}
# the one core vocabulary module (bands, components, "no data", PII masking, verdict words,
# numbers as people read them), which every layer may read, scoring included
CORE = {"dashboard.text", "scoring.glossary"}  # text.py re-exports the glossary's concepts
# what the store may read of scoring: the scorecard model it stores, never a function
STORE_READS_OF_SCORING = {
    "scoring.scorecard",
    "scoring.scorecard.Scorecard",
    "scoring.scorecard.ComponentParams",
    "scoring.scorecard.Thresholds",
    "scoring.scorecard.ExpansionTriggers",
}
# Outside the table: the settings and the canonical schema, read by the layers named here
# only (scoring and the core read neither).
OUTSIDE: dict[str, set[str]] = {
    "dashboard.config": {"ui", "store", "jobs"},
    "dashboard.schema": {"ui", "workflows", "ingest", "store", "jobs"},
    # the date and time (TANDEM_TODAY pins them); scoring is handed its dates, never reads one
    "dashboard.clock": {"pages", "ui", "views", "workflows", "jobs", "ingest", "store"},
}
ENTRY = {"dashboard/app.py", "dashboard/cli.py"}  # the app shell and the command line


def layer_of_module(module: str) -> str | None:
    if module in CORE or module.rsplit(".", 1)[0] in CORE:
        return "core"
    if module in OUTSIDE or module.rsplit(".", 1)[0] in OUTSIDE:
        return None
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
    """(line, module) of every absolute import; ``from m import n`` gives ``m`` and ``m.n``."""
    return [(line, full) for line, full, _ in imports_with_module(path)]


def imports_with_module(path: Path) -> list[tuple[int, str, str]]:
    """(line, module or module.name, the module imported from) of every absolute import."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}", node.module) for a in node.names]
    return found


def forbidden_imports() -> list[tuple[str, int, str, str]]:
    """Every import the table forbids: (file, line, the importing layer, the module)."""
    found: set[tuple[str, int, str, str]] = set()
    for path in our_files():
        rel = path.relative_to(ROOT).as_posix()
        layer = layer_of_file(path)
        if layer is None:
            continue
        allowed = LAYERS[layer] | {layer, "core"}
        for line, full, module in imports_with_module(path):
            for name, readers in OUTSIDE.items():
                if name in (module, full) and layer not in readers:
                    found.add((rel, line, layer, name))
            target = layer_of_module(full)
            if target is None or target == layer:
                continue
            if target not in allowed:  # ``from scoring import x``: scoring.x
                found.add((rel, line, layer, module if "." in module else full))
            elif layer == "store" and target == "scoring" and full not in STORE_READS_OF_SCORING:
                found.add((rel, line, layer, full))
    # ``from scoring.pipeline import snapshot_scores``: the name says more than its module
    named = {(f, n, la, m.rsplit(".", 1)[0]) for f, n, la, m in found if "." in m}
    return sorted(found - named)


def test_each_layer_imports_only_what_its_rule_allows():
    forbidden = forbidden_imports()
    assert not forbidden, f"{len(forbidden)} forbidden imports:\n" + "\n".join(
        f"{file}:{line}: {layer} imports {module}" for file, line, layer, module in forbidden
    )


def test_the_walk_finds_a_forbidden_import(tmp_path, monkeypatch):
    """The walk itself can fail: a UI module importing a job, a workflow importing scoring
    and the store importing a scoring function are each reported with file, line and module."""
    (tmp_path / "dashboard" / "ui").mkdir(parents=True)
    (tmp_path / "dashboard" / "workflows").mkdir()
    (tmp_path / "dashboard" / "store").mkdir()
    (tmp_path / "dashboard" / "ui" / "bad.py").write_text(
        "import streamlit\nfrom dashboard.jobs.refresh import refresh\n"
    )
    (tmp_path / "dashboard" / "workflows" / "bad.py").write_text(
        "from dashboard.text import BANDS\nimport scoring.health\nfrom scoring import churn_risk\n"
    )
    (tmp_path / "dashboard" / "store" / "bad.py").write_text(
        "from scoring.scorecard import Scorecard\nfrom scoring.pipeline import snapshot_scores\n"
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert forbidden_imports() == [
        ("dashboard/store/bad.py", 2, "store", "scoring.pipeline.snapshot_scores"),
        ("dashboard/ui/bad.py", 2, "ui", "dashboard.jobs.refresh"),
        ("dashboard/workflows/bad.py", 2, "workflows", "scoring.health"),
        ("dashboard/workflows/bad.py", 3, "workflows", "scoring.churn_risk"),
    ]


SQL = re.compile(
    r"^\s*(select|insert|update|delete|create|drop|alter|with|copy|attach)\b", re.I | re.S
)


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
                    v.value
                    for v in node.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
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
    """A page is a storyboard: at most 60 lines as the formatter writes them, one view
    module read (plus workflow actions), no SQL and no column configs of its own."""
    for path in sorted((ROOT / "pages").glob("*.py")):
        lines = path.read_text().splitlines()
        assert len(lines) <= 60, f"{path.name}: {len(lines)} lines"
        views = {m for _, m in imports_of(path) if m.count(".") == 2 and ".views." in m}
        assert len(views) == 1, f"{path.name} reads the views {sorted(views)}"
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
    core = [ROOT / (m.replace(".", "/") + ".py") for m in CORE]
    for path in [*(ROOT / "scoring").rglob("*.py"), *core]:
        for _, module in imports_of(path):
            root = module.split(".")[0]
            assert root not in ("streamlit", "duckdb"), f"{path.name} imports {module}"
            if path not in core:  # scoring reads the core; the core reads nothing of ours
                assert root != "dashboard" or layer_of_module(module) == "core", (
                    f"{path.name} imports {module}"
                )
            else:  # the core reads nothing of ours but itself (text.py: the glossary)
                assert root not in ("dashboard", "scoring") or layer_of_module(module) == "core", (
                    f"{path.name} imports {module}"
                )
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


def test_session_state_holds_only_what_pickles():
    """Streamlit checks every script run's session state with pickle (every AppTest too): a
    live connection or a function kept there fails the run that stored it."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["enforceSerializableSessionState"] is True


def test_the_formatter_is_never_overruled():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("dashboard", "scoring", "pages", "bench", "tests")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "fmt: " + "skip" in line or "fmt: " + "off" in line
    ]
    assert not found, found
