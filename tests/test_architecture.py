"""The shape of the house (issue 15): every module imports only downwards — no cycles, the core
knows no wing, the wings do not know each other except where the flow says so — and no module
reaches for another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "pipeline"

# which wing may import which (besides itself and core); the flow is
# survey → stats → findings ← interviews, and report reads everything (stats reads the questionnaire)
ALLOWED = {
    "core": set(),
    "survey": set(),
    "stats": {"survey"},
    "interviews": set(),
    "findings": {"stats", "interviews"},
    "report": {"interviews", "survey", "stats", "findings"},
}
# core modules that tie the wings together (the study file knows where definitions live, the
# registry names each stage's runner): they may import any wing
TOP_OF_CORE = {"pipeline.core.study", "pipeline.core.registry", "pipeline.core.resources"}


def modules() -> dict[str, Path]:
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        parts = list(f.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def imports(path: Path, name: str, known: set[str]) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every import in the file, at any depth (function-level
    imports count: they are dependencies too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("pipeline"):
                continue
            for a in node.names:  # `from pipeline.interviews import coding` imports a module
                sub = f"{mod}.{a.name}"
                out.append((sub, []) if sub in known else (mod, [a.name]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("pipeline")]
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    g: dict[str, set[str]] = {}
    for name, path in mods.items():
        g[name] = {m for m, _ in imports(path, name, known) if m in known and m != name}
    return g


def test_import_graph_has_no_cycles():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(g[n]):
            if m in ("pipeline",) or m.endswith("__init__"):
                continue
            if state.get(m) == 1:
                cycle = stack[stack.index(m):] + [m]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(g):
        if n not in state:
            visit(n)


def _wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_wings_import_only_downwards():
    bad = []
    for mod, deps in graph().items():
        wing = _wing(mod)
        if wing is None or mod in TOP_OF_CORE:
            continue
        for d in deps:
            other = _wing(d)
            if other in (None, wing, "core"):
                continue
            if other not in ALLOWED[wing]:
                bad.append(f"{mod} imports {d}")
    assert not bad, bad


def test_core_imports_no_wing():
    bad = [f"{m} imports {d}" for m, deps in graph().items() if _wing(m) == "core" and m not in TOP_OF_CORE
           for d in deps if _wing(d) not in (None, "core")]
    assert not bad, bad


def test_no_module_imports_another_modules_private_names():
    mods = modules()
    bad = []
    for name, path in mods.items():
        for mod, names in imports(path, name, set(mods)):
            bad += [f"{name}: from {mod} import {n}" for n in names if n.startswith("_") and mod != name]
    assert not bad, bad
