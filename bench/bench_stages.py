"""CPU of each per-page stage of a sync on fixed pages: time, and instruction counts.

    .venv/bin/python -m bench.bench_stages                        # thread CPU per object
    .venv/bin/python -m bench.bench_stages --callgrind            # instructions per object

Pages: the replay server's (``bench/replay.py``) first pages of a 20,000-session world,
``--pages`` of them measured after as many others warmed every cache a sync warms (types,
pseudonym memo, DuckDB). Such a world has 500 drivers, so every pseudonym hits the cache;
``--world 1000000`` takes the pages of a 1M-session world (20,000 drivers), where most miss
it, as in a large backfill. The measured pages are filtered for the first time under
``--callgrind`` and in the timing's first repetition (``--repeat 1`` times that one).

Stages, as a fetch worker and the writer thread run them:

* ``envelope`` — the OCPI envelope decode (``data`` left unparsed, ``ocpi/http.py``);
* ``scan`` — the page's object count and shape check (``ocpi/paging.py``);
* ``privacy`` — parse + privacy filter + serialize (``ObjectFilter.filter_page``) and the
  batch buffer (``JsonLines.add``);
* ``type`` — the writer: DuckDB types the batch (``sql/normalize``) and writes Parquet.

``--callgrind`` runs this script under ``valgrind --tool=callgrind`` once per stage, counting
only the instructions executed inside the stage (it is run through ``functools.reduce``,
whose C function toggles the collection): a count per object that does not move with the
machine's load.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from bench.replay import World, render
from ocpiwh import lake
from ocpiwh.ocpi import http as ocpi_http
from ocpiwh.ocpi import paging
from ocpiwh.privacy import PrivacyProfile, compile_filter

STAGES = ("envelope", "scan", "privacy", "type")
KEY = bytes(range(32))
TAIL = b'],"status_code":1000,"status_message":"Success","timestamp":"2026-06-01T00:00:00Z"}'


def pages(folder: Path, module: str, first: int, count: int, size: int = 1000) -> list[bytes]:
    """Envelopes of ``count`` pages from page ``first`` on, as the replay server sends them."""
    buf = (folder / f"{module}.json").read_bytes()
    off = memoryview((folder / f"{module}.off").read_bytes()).cast("Q")
    out = []
    for p in range(first, first + count):
        a, b = p * size, min((p + 1) * size, len(off) - 1)
        out.append(b'{"data":[' + buf[off[a] : off[b] - 1] + TAIL)
    return out


class Bench:
    """Set-up shared by every stage (so that the difference to the empty run is the stage)."""

    def __init__(self, module: str, version: str, n: int, tmp: Path, world: int = 20_000) -> None:
        folder = render(World(sessions=world, version=version, modules=(module,)))
        self.module, self.version = module, version
        self.warm = pages(folder, module, 0, n)
        self.pages = pages(folder, module, n, n)
        self.objects = sum(len(paging._ITEMS.decode(self.data(p))) for p in self.pages)
        self.filter = compile_filter(module, version, PrivacyProfile(passes=()), KEY)
        self.writer = lake.LakeWriter(
            tmp, source="bench", module=module, platform_party=("FR", "SIM")
        )
        self.warmed = {s: self._lines(self.warm) for s in STAGES}  # every stage on other pages
        for stage in STAGES:
            self.run(stage, self.warm)

    @staticmethod
    def data(page: bytes) -> msgspec.Raw:
        return ocpi_http._ENVELOPE.decode(page).data  # type: ignore[no-any-return]

    def _lines(self, batch: list[bytes]) -> lake.JsonLines:
        lines = lake.JsonLines()
        for p in batch:
            lines.add(self.filter.filter_page(self.data(p))[0])
        return lines

    def run(self, stage: str, batch: list[bytes]) -> None:
        if stage == "envelope":
            for p in batch:
                ocpi_http._ENVELOPE.decode(p)
        elif stage == "scan":
            datas = [self.data(p) for p in batch] if batch is self.warm else self.datas
            for d in datas:
                paging._ITEMS.decode(d)
        elif stage == "privacy":
            datas = [self.data(p) for p in batch] if batch is self.warm else self.datas
            lines = lake.JsonLines()
            for d in datas:
                lines.add(self.filter.filter_page(d)[0])
        elif stage == "type":
            lines = self.warmed["type"] if batch is self.warm else self.lines
            self.writer.write(version=self.version, lines=lines)

    def prepare_measured(self, stage: str | None = None) -> None:
        """What the measured stages (or the one ``stage``) take as input, made before the
        measurement. The type stage's input is the measured pages filtered: made only if
        it is measured, since filtering them would put their pseudonyms in the cache."""
        self.datas = [self.data(p) for p in self.pages]
        if stage in (None, "type"):
            self.lines = self._lines(self.pages)


def timing(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for module in args.module:
            b = Bench(module, args.version, args.pages, Path(tmp), args.world)
            b.prepare_measured("privacy")
            for stage in STAGES:
                if stage == "type":  # its input filters the pages: after the privacy stage
                    b.prepare_measured(stage)
                best = min(_cpu(lambda s=stage, b=b: b.run(s, b.pages)) for _ in range(args.repeat))
                print(
                    f"{args.version} {module:<9} {stage:<9} {best / b.objects * 1e6:7.2f} µs/object",
                    flush=True,
                )


def _cpu(fn: Callable[[], None]) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def one(args: argparse.Namespace) -> None:
    """Under callgrind: the set-up, then the one stage asked for (or none)."""
    with tempfile.TemporaryDirectory() as tmp:
        b = Bench(args.module[0], args.version, args.pages, Path(tmp), args.world)
        b.prepare_measured(args.stage)
        # callgrind collects only inside functools_reduce (--toggle-collect): the stage
        functools.reduce(lambda _, stage: b.run(stage, b.pages), [args.stage], None)
        print(f"objects {b.objects}", file=sys.stderr)


def callgrind(args: argparse.Namespace) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for module in args.module:
        for stage in STAGES:
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                   "--collect-atstart=no", "--toggle-collect=functools_reduce",
                   sys.executable, "-m", "bench.bench_stages", "--one", stage,
                   "--module", module, "--version", args.version, "--pages", str(args.pages),
                   "--world", str(args.world)]  # fmt: skip
            err = subprocess.run(cmd, env=env, capture_output=True, text=True).stderr
            m = re.search(r"Collected : (\d+)", err)
            objects = re.search(r"objects (\d+)", err)
            if not m or not objects:
                raise RuntimeError(f"callgrind failed for {stage}:\n{err[-2000:]}")
            per = int(m.group(1)) / int(objects.group(1))
            print(
                f"{args.version} {module:<9} {stage:<9} {per:10,.0f} instructions/object",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", action="append", choices=("sessions", "cdrs"))
    ap.add_argument("--version", default="2.2.1", choices=("2.1.1", "2.2.1"))
    ap.add_argument("--pages", type=int, default=5, help="pages measured (and as many to warm up)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--world", type=int, default=20_000, help="sessions of the world the pages come from"
    )
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--one", choices=STAGES, dest="stage", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.module = args.module or ["sessions", "cdrs"]
    if args.stage:
        one(args)
    elif args.callgrind:
        callgrind(args)
    else:
        timing(args)


if __name__ == "__main__":
    main()
