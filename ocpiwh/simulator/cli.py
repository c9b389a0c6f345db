"""``ocpiwh simulate``: serve the bundled OCPI simulator until Ctrl-C."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from .config import Dirt, Faults, SimConfig, check_live, parse_duration
from .server import Simulator


def _rate(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"--{name} must be a rate between 0 and 1, got {value}")
    return value


def parse_live(text: str) -> float:
    """``--live RATE``: a number of updates per page in 0..1000."""
    try:
        return check_live(float(text))
    except ValueError:
        raise UsageError(
            f"--live must be a number of updates per page in 0..1000 (e.g. 0.1, 3), got {text!r}"
        ) from None


def simulate(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8787,
    token: Annotated[
        str | None,
        typer.Option(
            help="Credentials token clients must send. Default: $OCPIWH_TOKEN, else ocpiwh-demo-token."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="World seed: same seed, same data.")] = 1,
    locations: Annotated[int, typer.Option(help="Number of locations.")] = 40,
    sessions: Annotated[int, typer.Option(help="Sessions existing at start.")] = 2000,
    clean: Annotated[
        bool, typer.Option("--clean", help="Well-formed data only: no dirt, no faults.")
    ] = False,
    max_limit: Annotated[int, typer.Option(help="Server page cap (X-Limit).")] = 1000,
    clock_offset: Annotated[
        str, typer.Option(help="Platform clock vs real time, e.g. 3h, -2h, 90m.")
    ] = "0",
    latency_ms: Annotated[int, typer.Option(help="Latency added to every OCPI response.")] = 0,
    fault_429: Annotated[float, typer.Option(help="Share of requests answered 429.")] = 0.0,
    fault_503: Annotated[float, typer.Option(help="Share of requests answered 503.")] = 0.0,
    fault_drop: Annotated[float, typer.Option(help="Share of connections dropped.")] = 0.0,
    malformed: Annotated[float, typer.Option(help="Share of malformed objects.")] = 0.0,
    no_tokens: Annotated[
        bool, typer.Option("--no-tokens", help="Do not expose a tokens module.")
    ] = False,
    auth: Annotated[
        str,
        typer.Option(
            help="spec: Base64 token for 2.2.1/2.3.0, plain for 2.1.1; either: accept both."
        ),
    ] = "spec",
    dump_truth: Annotated[
        Path | None, typer.Option(help="Write the served truth (JSON lines) and summary.json here.")
    ] = None,
    tick: Annotated[
        bool, typer.Option("--tick", help="Clock follows real time (live demo).")
    ] = False,
    live: Annotated[
        str,
        typer.Option(
            metavar="RATE",
            help="Live platform: on average RATE object updates after each list page served "
            "(0.1, 1, 3, 10; 0 = holds still); each moves the clock 1 s.",
        ),
    ] = "0",
) -> None:
    """Serve a simulated OCPI CPO platform (2.1.1, 2.2.1, 2.3.0) until Ctrl-C.

    Example:

        ocpiwh simulate --clean --sessions 20000 --port 8787 --token demo

    then `ocpiwh login http://127.0.0.1:8787/ocpi/versions --token demo`.
    Admin (loopback only): POST /admin/advance?seconds=3600, POST /admin/live?rate=0,
    GET /admin/clock, GET /admin/summary, GET /admin/stats,
    GET /admin/truth?module=sessions&version=2.2.1.
    """
    tok = token or os.environ.get("OCPIWH_TOKEN") or "ocpiwh-demo-token"
    if auth not in ("spec", "either"):
        raise UsageError(f"--auth must be 'spec' or 'either', got {auth!r}")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {port}")
    if locations < 1 or sessions < 0 or max_limit < 1 or latency_ms < 0:
        raise UsageError(
            "--locations and --max-limit must be >= 1, --sessions and --latency-ms >= 0"
        )
    live_rate = parse_live(live)
    try:
        offset = parse_duration(clock_offset)
    except ValueError as e:
        raise UsageError(f"--clock-offset: {e}") from None
    faults = Faults(
        rate_429=_rate("fault-429", fault_429),
        rate_503=_rate("fault-503", fault_503),
        rate_drop=_rate("fault-drop", fault_drop),
        latency_ms=latency_ms,
        rate_malformed=_rate("malformed", malformed),
    )
    try:
        cfg = SimConfig(
            seed=seed,
            locations=locations,
            sessions=sessions,
            token=tok,
            clean=clean,
            dirt=Dirt.off() if clean else Dirt(),
            faults=faults,
            max_limit=max_limit,
            clock_offset_s=offset,
            expose_tokens=not no_tokens,
            auth="either" if auth == "either" else "spec",
            tick=tick,
            live=live_rate,
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    sim = Simulator(cfg)
    if dump_truth is not None:
        sim.dump_truth(dump_truth)
        typer.echo(f"truth written to {dump_truth}")
    try:
        sim.start(host, port)
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    hint = (
        "$OCPIWH_TOKEN"
        if token is None and os.environ.get("OCPIWH_TOKEN")
        else ("the --token value" if token else "ocpiwh-demo-token")
    )
    typer.echo(f"OCPI simulator serving {sim.versions_url}")
    typer.echo(f"token: {hint}  (clock {sim.now():%Y-%m-%dT%H:%M:%SZ}; Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        sim.stop()
