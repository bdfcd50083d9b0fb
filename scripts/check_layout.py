"""Check the package layout: imports flow one way along the pipeline, no import cycle, no
private name imported from another stage, no module longer than the limit.

Run:  .venv/bin/python scripts/check_layout.py        (exit 1 and a list when any fails)

Stages, in pipeline order (a module may import from its own stage and earlier ones only)::

    base (errors, schema, outputs, policy, datasets, csv_cells, pool) -> rules -> read -> locate
    -> core (plan, plan_files)
    -> group -> evaluate -> present -> cli

Every import counts, those inside functions too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "geogroup"
MAX_LINES = 600

STAGES = (
    "base", "rules", "read", "locate", "core", "group", "evaluate", "present", "scenarios", "cli"
)  # fmt: skip
_ROOT_STAGE = {
    "errors": "base",
    "schema": "base",
    "outputs": "base",
    "output_names": "base",
    "policy": "base",
    "policy_checks": "base",
    "presets": "base",
    "datasets": "base",
    "csv_cells": "base",
    "pool": "base",
    "plan": "core",
    "scenarios": "scenarios",
    "plan_files": "core",
    "cli": "cli",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def stage_of(module: str) -> str | None:
    """The stage of a module of the package; None for the package's own ``__init__``."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    head = parts[1]
    return _ROOT_STAGE.get(head, head)


def imports_of(path: Path, module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names, line) for every import of the package in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("geogroup")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("geogroup"):
                out.append((base, [a.name for a in node.names], node.lineno))
    return out


def _resolve(target: str, names: list[str], modules: set[str]) -> list[tuple[str, str | None]]:
    """Each (module, name) an import reaches: ``from pkg import mod`` imports the module."""
    out = []
    for name in names or [None]:
        sub = f"{target}.{name}" if name else None
        if sub in modules:
            out.append((sub, None))
        else:
            out.append((target, name))
    return out


def check() -> list[str]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(f): f for f in files}
    problems: list[str] = []
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            problems.append(f"{path.relative_to(ROOT)}: {lines} lines (limit {MAX_LINES})")
        here = stage_of(module)
        for target, names, line in imports_of(path, module):
            for reached, name in _resolve(target, names, set(modules)):
                if reached not in modules:
                    continue
                graph[module].add(reached)
                there = stage_of(reached)
                where = f"{path.relative_to(ROOT)}:{line}"
                if here is None or there is None or here == there:
                    continue
                if STAGES.index(there) > STAGES.index(here):
                    problems.append(f"{where}: {here} imports {reached} of the later stage {there}")
                private = [p for p in reached.split(".")[1:] if p.startswith("_")]
                if private or (name or "").startswith("_"):
                    shown = reached + (f".{name}" if name else "")
                    problems.append(f"{where}: private {shown} imported from stage {there}")
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def largest() -> tuple[int, str]:
    sizes = [
        (len(p.read_text(encoding="utf-8").splitlines()), str(p.relative_to(ROOT)))
        for p in PACKAGE.rglob("*.py")
    ]
    return max(sizes)


def main() -> int:
    problems = check()
    lines, path = largest()
    for p in problems:
        print(p)
    print(f"largest module: {path}, {lines} lines (limit {MAX_LINES})")
    if problems:
        print(f"{len(problems)} layout problem(s)")
        return 1
    print("layout: imports flow one way, no cycle, no private cross-stage import")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
