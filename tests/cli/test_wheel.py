"""The package as a user installs it: sdist → wheel → a fresh venv → `ocpiwh demo` and queries.

Editable installs find ``sql/`` in the checkout; only a built wheel shows whether the SQL,
the schemas and the console script really ship. The wheel is built from the sdist (as
``python -m build`` does), so both are checked. The fresh venv gets ocpiwh from the wheel
only; its third-party dependencies are borrowed from the running interpreter's site-packages
(a ``.pth`` line) so the test needs no network and stays well under a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _copy_source(dst: Path) -> None:
    """What a release is built from (the working tree, so uncommitted changes count too)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in ("ocpiwh", "sql"):
        shutil.copytree(ROOT / folder, dst / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dst / name)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{args}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel) of the working tree."""
    base = tmp_path_factory.mktemp("build")
    src = base / "src"
    src.mkdir()
    _copy_source(src)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run(
        [sys.executable, "-m", "build", "--no-isolation", "-o", str(base / "dist"), str(src)],
        base,
        env,
    )
    (sdist,) = (base / "dist").glob("ocpiwh-*.tar.gz")
    (wheel,) = (base / "dist").glob("ocpiwh-*.whl")
    return sdist, wheel


def _expected(prefix: str) -> set[str]:
    """Every file a distribution must carry, as ``<prefix>ocpiwh/...`` paths."""
    files = {
        f"ocpiwh/{p.relative_to(ROOT / 'ocpiwh').as_posix()}"
        for p in (ROOT / "ocpiwh").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    files |= {
        f"ocpiwh/sql/{p.relative_to(ROOT / 'sql').as_posix()}"
        for p in (ROOT / "sql").rglob("*")
        if p.is_file()
    }
    return {prefix + f for f in files}


def test_the_wheel_carries_every_module_sql_file_and_schema(built: tuple[Path, Path]) -> None:
    _, wheel = built
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_expected("") - names)
    assert not missing, f"missing from the wheel (pyproject.toml [tool.setuptools]): {missing}"
    assert any(n.endswith("entry_points.txt") for n in names)


def test_the_sdist_carries_the_sql_at_its_source_place(built: tuple[Path, Path]) -> None:
    sdist, _ = built
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    sql = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sql").rglob("*") if p.is_file()}
    assert sql <= names, sorted(sql - names)


def test_installed_wheel_runs_the_demo_and_answers_queries(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, wheel = built
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # dependencies from this interpreter (after the venv's own site-packages, so the wheel wins)
    deps = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    (purelib / "_borrowed_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OCPIWH_WAREHOUSE")}
    env["OCPIWH_CONFIG_DIR"] = str(tmp_path / "config")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    _run([*pip, "--no-deps", "--no-index", str(wheel)], tmp_path, env)
    where = _run(
        [str(python), "-c", "import ocpiwh.resources as r; print(r.__file__); print(r.sql_dir())"],
        tmp_path,
        env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), (
        where
    )  # the wheel's, not the checkout's

    ocpiwh = str(venv / "bin" / "ocpiwh")
    wh = tmp_path / "wh"
    demo = _run(
        [ocpiwh, "-w", str(wh), "demo", "--sessions", "300", "--locations", "6"], tmp_path, env
    )
    assert "demo summary" in demo.stdout
    lines = (wh / "exports" / "qualicharge_sessions.jsonl").read_text().splitlines()
    assert lines and all(isinstance(json.loads(line), dict) for line in lines)

    counted = _run(
        [ocpiwh, "-w", str(wh), "sql", "SELECT count(*) AS n FROM sessions", "--format", "json"],
        tmp_path,
        env,
    )
    assert json.loads(counted.stdout)["n"] > 0
    _run(
        [ocpiwh, "-w", str(wh), "models", "run", "energy_by_operator", "--out", "e.parquet"],
        tmp_path,
        env,
    )
    assert pq.read_table(tmp_path / "e.parquet").num_rows > 0
    listed = _run([ocpiwh, "models", "list"], tmp_path, env)
    assert "energy_by_operator" in listed.stdout
