"""The mutation check: deliberate bugs that the test suite must catch.

Each mutant in ``tests/mutants.toml`` names a rule or a behaviour, a file, a piece of its
text and what to put instead. For every mutant this script copies the repository into a
scratch folder (``../shared`` linked beside it, as in CI), applies the one change, and runs
the tests the mutant lists (stopping at the first failure). A mutant is *killed* when some
test fails (or its tests hang past ``TIMEOUT_S``), and *survives* when all pass; the check
fails when any mutant survives, or when a mutant's text is not found exactly once (the code
moved: the mutant must follow it).

Run:  .venv/bin/python scripts/mutation_check.py [--jobs 2] [--only NAME[,NAME]] [--list]

Prints one line per mutant: its name, killed or SURVIVED, the test that killed it and the
seconds it took; exit 0 when every mutant is killed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "tests" / "mutants.toml"
_PYTEST = "-m pytest -x -q -p no:cacheprovider -o addopts=--import-mode=importlib --no-header -rf"
TIMEOUT_S = 600  # seconds for one mutant's tests, far more than any takes when it ends
_COPY = ("geogroup", "tests", "data", "pyproject.toml")
_IGNORE = shutil.ignore_patterns("__pycache__", "node_modules", ".hypothesis", "artifacts")
DEFAULT_TESTS = [
    "tests/test_rules.py",
    "tests/test_guards.py",
    "tests/test_brute_force.py",
    "tests/test_group_contract.py",
]


@dataclass
class Mutant:
    name: str
    meaning: str
    file: str
    old: str
    new: str
    tests: list[str]


@dataclass
class Outcome:
    mutant: Mutant
    killed: bool
    by: str
    seconds: float
    output: str


def load(path: Path = MUTANTS) -> list[Mutant]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for entry in data["mutant"]:
        out.append(
            Mutant(
                name=entry["name"],
                meaning=entry["meaning"],
                file=entry["file"],
                old=entry["old"],
                new=entry["new"],
                tests=entry.get("tests", DEFAULT_TESTS),
            )
        )
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise SystemExit(f"{path}: mutant names repeat")
    return out


def check_texts(mutants: list[Mutant]) -> list[str]:
    """Mutants whose text is not found exactly once in their file."""
    problems = []
    for m in mutants:
        text = (ROOT / m.file).read_text(encoding="utf-8")
        count = text.count(m.old)
        if count != 1:
            problems.append(f"{m.name}: its text occurs {count} times in {m.file} (expected once)")
    return problems


def run(m: Mutant) -> Outcome:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"geogroup-mutant-{m.name}-") as scratch:
        repo = Path(scratch) / "repo"
        repo.mkdir()
        for name in _COPY:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, repo / name, ignore=_IGNORE)
            else:
                shutil.copy2(source, repo / name)
        os.symlink(ROOT.parent / "shared", Path(scratch) / "shared")
        target = repo / m.file
        target.write_text(
            target.read_text(encoding="utf-8").replace(m.old, m.new, 1), encoding="utf-8"
        )
        env = {
            **os.environ,
            "PYTHONPATH": str(repo),
            "PYTHONDONTWRITEBYTECODE": "1",
            # a mutant is killed by the first failing example: no time spent shrinking it
            "GEOGROUP_HYPOTHESIS_NO_SHRINK": "1",
        }
        where = subprocess.run(
            [sys.executable, "-c", "import geogroup; print(geogroup.__file__)"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if not where.startswith(str(repo)):
            raise SystemExit(f"{m.name}: the copy's geogroup was not the one imported ({where})")
        command = [sys.executable, *_PYTEST.split(), *m.tests]
        try:
            done = subprocess.run(
                command,
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            # A mutant that makes its tests hang is caught (as mutation tools count it), and
            # said so: the suite itself would never finish.
            took = time.perf_counter() - started
            return Outcome(m, True, f"(timed out after {TIMEOUT_S} s)", took, "")
    output = done.stdout + done.stderr
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", output, flags=re.M)
    killed = done.returncode != 0
    by = failed[0] if failed else (f"(exit code {done.returncode})" if killed else "")
    return Outcome(m, killed, by, time.perf_counter() - started, output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--only", default="", help="comma-separated mutant names")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)
    mutants = load()
    if args.only:
        wanted = set(args.only.split(","))
        mutants = [m for m in mutants if m.name in wanted]
    if args.list:
        for m in mutants:
            print(f"{m.name}: {m.meaning} ({m.file})")
        return 0
    problems = check_texts(mutants)
    if problems:
        print("\n".join(problems))
        return 1
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(run, mutants))
    width = max(len(m.name) for m in mutants)
    for o in outcomes:
        verdict = "killed  " if o.killed else "SURVIVED"
        print(f"{o.mutant.name:<{width}}  {verdict}  {o.seconds:6.1f} s  {o.by}")
    survivors = [o for o in outcomes if not o.killed]
    for o in survivors:
        print(f"\n--- {o.mutant.name} survived: {o.mutant.meaning}\n{o.output[-2000:]}")
    print(
        f"\n{len(outcomes) - len(survivors)} of {len(outcomes)} mutants killed "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())
