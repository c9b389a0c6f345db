"""Prepare a copy of the checkout where mutmut mutates one module against chosen tests.

``[tool.mutmut]`` in pyproject.toml is one configuration for all the mutated modules, and
mutmut reads it from the current directory; its stats pass runs the whole test selection
first. Scoring one module (paging, say) against its fast in-process tests only is then a
different configuration: this script copies the checkout's files (tracked and untracked, not
ignored) to DEST and rewrites ``only_mutate`` and ``pytest_add_cli_args_test_selection`` there,
so the checkout itself is never touched (docs/mutation.md).

    python tools/mutmut_scope.py /tmp/mut-paging --mutate ocpiwh/ocpi/paging.py \\
        --tests tests/ocpi/test_ocpi_paging.py --tests tests/ocpi/test_ocpi_crawl_live.py
    cd /tmp/mut-paging && mutmut run --max-children 1

``--sample N --seed S`` (after a first ``mutmut run`` in DEST has generated the mutants)
prints N mutant names of the module drawn uniformly at random, for ``mutmut run NAME…``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path


def _files(root: Path) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout
    return [name for name in out.decode().split("\0") if name and (root / name).is_file()]


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def rewrite(
    pyproject: str, mutate: list[str], tests: list[str], timeout: tuple[float, float] | None = None
) -> str:
    """``pyproject`` with the two keys of ``[tool.mutmut]`` replaced (checked by parsing), and
    ``timeout = (multiplier, constant)`` set when given: mutmut allows a mutant ``2 ×
    multiplier × (constant + its tests' time)`` CPU seconds (15 and 1 s by default), so a
    mutant that loops forever in a parser costs minutes at the default, while a multiplier
    alone too low kills sound mutants whose tests are short (the worker's pytest start is not
    in their time)."""
    text, n1 = re.subn(
        r"^only_mutate = \[.*?\]$",
        f"only_mutate = {_toml_list(mutate)}",
        pyproject,
        count=1,
        flags=re.M | re.S,
    )
    text, n2 = re.subn(
        r"^pytest_add_cli_args_test_selection = \[.*?\]$",
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}",
        text,
        count=1,
        flags=re.M | re.S,
    )
    if n1 != 1 or n2 != 1:
        raise SystemExit("pyproject.toml: [tool.mutmut] keys not found where expected")
    if timeout is not None:
        keys = f"timeout_multiplier = {timeout[0]}\ntimeout_constant = {timeout[1]}\n"
        text = text.replace("\nonly_mutate = ", f"\n{keys}only_mutate = ", 1)
    conf = tomllib.loads(text)["tool"]["mutmut"]
    assert conf["only_mutate"] == mutate and conf["pytest_add_cli_args_test_selection"] == tests
    if timeout is not None:
        assert (conf["timeout_multiplier"], conf["timeout_constant"]) == timeout
    return text


def mutant_names(dest: Path, module: str) -> list[str]:
    """The mutant names of ``module`` (a path) from the ``.meta`` file mutmut wrote in DEST."""
    meta = dest / "mutants" / (module + ".meta")
    if not meta.exists():
        raise SystemExit(f"{meta} missing: run `mutmut run` in {dest} once to generate mutants")
    return sorted(json.loads(meta.read_text())["exit_code_by_key"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--mutate", action="append", required=True, help="a file to mutate")
    ap.add_argument("--tests", action="append", default=[], help="a test path for the selection")
    ap.add_argument("--sample", type=int, help="print N mutant names drawn uniformly at random")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--timeout",
        type=float,
        nargs=2,
        metavar=("MULTIPLIER", "CONSTANT"),
        help="mutmut's CPU budget per mutant: 2 × MULTIPLIER × (CONSTANT + its tests' time)",
    )
    args = ap.parse_args(argv)
    if args.sample is not None:
        names = [n for m in args.mutate for n in mutant_names(args.dest, m)]
        rng = random.Random(args.seed)
        print("\n".join(sorted(rng.sample(names, min(args.sample, len(names))))))
        return 0
    if not args.tests:
        ap.error("--tests is required to prepare a copy")
    root = Path.cwd()
    args.dest.mkdir(parents=True, exist_ok=True)
    for name in _files(root):
        target = args.dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    timeout = (args.timeout[0], args.timeout[1]) if args.timeout else None
    pyproject = args.dest / "pyproject.toml"
    pyproject.write_text(rewrite(pyproject.read_text(), args.mutate, args.tests, timeout))
    print(f"{args.dest}: mutate {args.mutate} against {args.tests}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
