"""The notebooks in notebooks/: they run top to bottom, use only the public API, ship clean.

Each notebook is executed in a real Jupyter kernel (nbclient, kernel ``python3``), from
``notebooks/`` as Jupyter would. The executed copy stays in memory; the file is not touched.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import geogroup

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
TIMEOUT = 120  # seconds per cell; each notebook should take well under two minutes in all


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _client(nb: nbformat.NotebookNode) -> NotebookClient:
    # jupyter_client starts the kernel with this interpreter (sys.executable) when the
    # kernelspec's argv names plain "python", as ipykernel's spec does; checked below.
    return NotebookClient(
        nb,
        kernel_name="python3",
        timeout=TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )


def _code(nb: nbformat.NotebookNode) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 4, f"expected the notebooks in {NOTEBOOK_DIR}"


def test_kernel_runs_this_python() -> None:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys, geogroup\nprint(sys.executable)")]
    )
    _client(nb).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs).strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve(), (
        f"the notebook kernel runs {printed}, the tests {sys.executable}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs(path: Path) -> None:
    """Every cell runs without an error (nbclient raises CellExecutionError) or a warning."""
    nb = _read(path)
    start = time.perf_counter()
    _client(nb).execute()
    seconds = time.perf_counter() - start
    print(f"{path.name}: {seconds:.1f} s")
    assert seconds < 120, f"{path.name} took {seconds:.0f} s; keep a notebook under two minutes"
    warned = [
        (i, out.get("text", ""))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "stream"
        and out.get("name") == "stderr"
        and "Warning" in out.get("text", "")
    ]
    assert not warned, f"{path.name} warns: {warned}"


def _committed_versions(path: Path) -> list[tuple[str, nbformat.NotebookNode]]:
    """The file on disk and, when git knows it, the copy in the index and in HEAD."""
    versions = [("working tree", _read(path))]
    rel = path.relative_to(ROOT).as_posix()
    for label, spec in (("index", f":{rel}"), ("HEAD", f"HEAD:{rel}")):
        try:
            text = subprocess.run(
                ["git", "show", spec], cwd=ROOT, capture_output=True, check=True, text=True
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            continue  # no git, or the file is not committed yet
        versions.append((label, nbformat.reads(text, as_version=4)))
    return versions


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_stripped(path: Path) -> None:
    for label, nb in _committed_versions(path):
        dirty = [
            i
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
        ]
        assert not dirty, (
            f"{path.name} ({label}): code cells {dirty} keep outputs or execution counts; clear "
            "them before committing (Jupyter: Edit > Clear Outputs of All Cells, then save)"
        )


def _geogroup_uses(source: str) -> tuple[set[str], set[str], list[str]]:
    """Names taken from geogroup in one cell: gg.<name>, from geogroup import <name>, and
    any import of a geogroup submodule (which the notebooks must not do)."""
    tree = ast.parse(source)
    aliases: set[str] = set()
    imported: set[str] = set()
    submodules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "geogroup":
                    aliases.add(a.asname or "geogroup")
                elif a.name.startswith("geogroup."):
                    submodules.append(a.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "geogroup":
                imported.update(a.name for a in node.names)
            elif node.module.startswith("geogroup."):
                submodules.append(node.module)
    return aliases, imported, submodules


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_public_api_only(path: Path) -> None:
    public = set(geogroup.__all__)
    sources = _code(_read(path))
    aliases: set[str] = set()
    used: set[str] = set()
    submodules: list[str] = []
    for source in sources:
        a, imported, subs = _geogroup_uses(source)
        aliases |= a
        used |= imported
        submodules += subs
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                used.add(node.attr)
    assert aliases or used, f"{path.name} does not use geogroup"
    assert not submodules, f"{path.name} imports geogroup submodules: {submodules}"
    private = sorted(name for name in used if name not in public)
    assert not private, f"{path.name} uses names geogroup does not export: {private}"


def test_api_checker_catches_private_use() -> None:
    aliases, imported, subs = _geogroup_uses(
        "import geogroup as gg\nfrom geogroup import plan_map, _coords\n"
        "from geogroup.group import DistrictGrouper\nimport geogroup.present\ngg._x"
    )
    assert aliases == {"gg"}
    assert imported == {"plan_map", "_coords"}
    assert subs == ["geogroup.group", "geogroup.present"]
