"""QualiCharge's data-quality rules (§4.2 of the digest), run locally over the warehouse.

Each rule is one SQL file in ``sql/checks/`` with the model header format of
:mod:`ocpiwh.models` (``@param`` lines, thresholds included, are bound parameters) plus a few
metadata lines (``rule:``, ``number:``, ``family:``, ``meaning:``, ``value:``, ``fails:``,
``source:``). A rule reads the base tables of ``sql/checks/base/`` (``qc_statique``,
``qc_sessions``, ``qc_statuses``), computed once per run, and returns one row per operational
unit: ``unit, checked, flagged, value, failed, items`` (``items``: the flagged objects).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ocpiwh import models, resources, warehouse
from ocpiwh.errors import UsageError
from ocpiwh.irve.config import model_values
from ocpiwh.lake import Location, Store, open_store
from ocpiwh.output import iso_utc

FAMILIES: tuple[str, ...] = ("static", "session", "status", "pdc", "status-session")
BASES: tuple[str, ...] = ("qc_statique", "qc_sessions", "qc_statuses")

DEFAULT_FAIL_ON: tuple[str, ...] = (
    "POWL", "POWU", "AMEM1", "AMEM2", "AMEM3", "OPEM1", "OPEM2", "SIRI",
    "AFIP", "AFIE", "NEGS", "LONS", "ENEU", "BLK1", "BLK2",
)  # fmt: skip
"""Blocking by default: the rules mirroring what QualiCharge's API refuses at ingestion
(out-of-range power, missing aménageur/operator fields, invalid SIREN, non-AFIREV ids, sessions
ending before they start, longer than 7 days or above 1000 kWh, bulk batches whose station or
place rows disagree)."""

NOT_COMPUTABLE: dict[str, str] = {}
"""QualiCharge rules the warehouse cannot compute, with the reason."""

SESSION_DELAY_DAYS = 15
"""Session checks look at the day that ended 15 days ago (QualiCharge's ``from_now``)."""

_META_RE = re.compile(r"^--\s*(rule|number|family|meaning|value|fails|source|shape):\s*(.*)$")
VALUE_SQL = {
    "count": "CAST(count(*) FILTER (WHERE bad) AS DOUBLE)",
    "ratio": "count(*) FILTER (WHERE bad) / count(*)",
}
"""The value of a ``shape: flags`` rule: flagged objects, or their share of the checked ones."""
DELAY_SQL = {"max": "max(delay)", "mean": "avg(delay)"}
"""The value of a ``shape: delays AGG LIMIT`` rule: the largest delay, or their mean."""
_PLACEHOLDER_RE = re.compile(r"\$([A-Za-z_]\w*)")
_WINDOW_PARAMS = ("since", "until")


def checks_dir() -> Path:
    return resources.sql_dir() / "checks"


@dataclass(frozen=True)
class Rule:
    """One quality rule: its SQL model and QualiCharge metadata."""

    code: str
    family: str
    meaning: str
    fails: str
    value_kind: str
    source: str
    number: int | None
    model: models.Model

    @property
    def params(self) -> dict[str, models.Param]:
        """Tunable parameters (the window is set by ``from_``/``to``)."""
        return {k: p for k, p in self.model.params.items() if k not in _WINDOW_PARAMS}

    @property
    def windowed(self) -> bool:
        return "since" in self.model.params

    def describe(self, bound: Mapping[str, Any]) -> str:
        """``fails`` with the bound values in place of ``$name``."""

        def sub(m: re.Match[str]) -> str:
            return _fmt(bound.get(m[1], m[0]))

        return _PLACEHOLDER_RE.sub(sub, self.fails)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d") if value.time() == datetime.min.time() else value.isoformat()
        )
    return str(value)


def _meta(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.startswith("--"):
            break
        m = _META_RE.match(line)
        if m:
            out[m[1]] = m[2].strip()
    return out


def _family_rank(path: Path) -> int:
    family = _meta(path).get("family", "")
    return FAMILIES.index(family) if family in FAMILIES else len(FAMILIES)


def _shaped(model: models.Model, path: Path, folder: Path) -> models.Model:
    """A ``shape: flags`` rule (its query returns unit, item, bad per checked object) wrapped
    in the one output shape of ``sql/checks/_rule.sql.in``; a ``shape: delays AGG LIMIT`` rule
    (unit, item, delay) in ``sql/checks/_delays.sql.in``."""
    meta = _meta(path)
    shape = meta.get("shape", "").split()
    body = "\n".join("    " + line if line else line for line in model.sql.splitlines())
    if shape == ["flags"]:
        kind = meta.get("value", "count")
        if kind not in VALUE_SQL:
            raise UsageError(f"{path.name}: value must be count or ratio for shape: flags")
        sql = _template(folder, "_rule.sql.in").format(flags=body, value=VALUE_SQL[kind])
        return replace(model, sql=sql.strip())
    if shape[:1] == ["delays"]:
        if len(shape) != 3 or shape[1] not in DELAY_SQL or shape[2] not in model.params:
            raise UsageError(
                f"{path.name}: shape must be `delays max|mean PARAM` (PARAM one of its @param)"
            )
        sql = _template(folder, "_delays.sql.in").format(
            delays=body, value=DELAY_SQL[shape[1]], limit=shape[2]
        )
        return replace(model, sql=sql.strip())
    return model


def _template(folder: Path, name: str) -> str:
    return "\n".join(
        line for line in (folder / name).read_text().splitlines() if not line.startswith("--")
    )


def load_registry(directory: Path | None = None) -> dict[str, models.Model]:
    """Models of ``sql/models``, the bases of ``sql/checks/base`` and the rules, one registry
    (so a rule or base can read any model by name)."""
    folder = directory or checks_dir()
    registry: dict[str, models.Model] = dict(models.load_models())
    for path in sorted((folder / "base").glob("*.sql")) + sorted(folder.glob("*.sql")):
        model = _shaped(models.parse_model(path), path, folder)
        registry[model.name] = model
    for model in registry.values():
        model.registry = registry
    return registry


def load_rules(directory: Path | None = None) -> dict[str, Rule]:
    """Every rule of ``sql/checks``, by code (in file order)."""
    folder = directory or checks_dir()
    registry = load_registry(folder)
    rules: dict[str, Rule] = {}
    for path in sorted(folder.glob("*.sql"), key=lambda p: (_family_rank(p), p.stem)):
        meta = _meta(path)
        code = meta.get("rule") or path.stem.upper()
        family = meta.get("family", "")
        if family not in FAMILIES:
            raise UsageError(f"{path.name}: family must be one of {', '.join(FAMILIES)}")
        rules[code] = Rule(
            code=code,
            family=family,
            meaning=meta.get("meaning", registry[path.stem].description),
            fails=meta.get("fails", "value > $threshold"),
            value_kind=meta.get("value", "count"),
            source=meta.get("source", ""),
            number=int(meta["number"]) if meta.get("number") else None,
            model=registry[path.stem],
        )
    return rules


# -- configuration ---------------------------------------------------------------------------


def parse_fail_on(value: str | Sequence[str] | None, rules: Iterable[str]) -> tuple[str, ...]:
    """``all``, ``none``, ``default`` or a comma-separated list of rule codes."""
    known = list(rules)
    if value is None:
        return tuple(c for c in DEFAULT_FAIL_ON if c in known)
    items = [value] if isinstance(value, str) else list(value)
    codes: list[str] = []
    for item in items:
        for part in str(item).split(","):
            code = part.strip().upper()
            if not code:
                continue
            if code == "ALL":
                codes.extend(known)
            elif code == "NONE":
                continue
            elif code == "DEFAULT":
                codes.extend(c for c in DEFAULT_FAIL_ON if c in known)
            elif code in known:
                codes.append(code)
            else:
                raise UsageError(
                    f"--fail-on: unknown rule {part.strip()!r}; rules: {', '.join(known)} "
                    "(or all, none, default)"
                )
    return tuple(dict.fromkeys(codes))


@dataclass
class QualityConfig:
    """The ``[quality]`` section of ``ocpiwh.toml``::

    [quality]
    fail_on = ["NEGS", "ENEU"]   # or "all", "none", "default"
    [quality.DUPS]
    threshold = 0.01
    """

    params: dict[str, Any] = field(default_factory=dict)
    fail_on: str | list[str] | None = None

    @classmethod
    def load(cls, root: Location | Store) -> QualityConfig:
        from ocpiwh.config import Config

        store = open_store(root)
        if not store.is_warehouse():
            return cls()
        return cls.from_mapping(Config.load(store).extra.get("quality", {}))

    @classmethod
    def from_mapping(cls, data: Any) -> QualityConfig:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise UsageError("ocpiwh.toml: [quality] must be a table")
        cfg = cls()
        for key, value in data.items():
            if key == "fail_on":
                if not isinstance(value, str | list):
                    raise UsageError("ocpiwh.toml: [quality] fail_on must be a string or a list")
                cfg.fail_on = value
            elif isinstance(value, dict):
                for name, v in value.items():
                    cfg.params[f"{str(key).upper()}.{name}"] = v
            else:
                raise UsageError(
                    f"ocpiwh.toml: [quality] {key!r}: expected fail_on or a [quality.RULE] table"
                )
        return cfg


def split_params(
    params: Mapping[str, Any] | None, rules: Mapping[str, Rule]
) -> dict[str, dict[str, Any]]:
    """``{"DUPS.threshold": "0.01"}`` → ``{"DUPS": {"threshold": "0.01"}}``; usage errors for
    unknown rules or parameters (the values are typed later, by binding)."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in (params or {}).items():
        code, sep, name = str(key).partition(".")
        code = code.strip().upper()
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"quality parameter {key!r}: expected RULE.NAME (e.g. DUPS.threshold)")
        if code not in rules:
            raise UsageError(
                f"quality parameter {key!r}: no rule {code}; rules: {', '.join(rules)}"
            )
        rule = rules[code]
        if name not in rule.params:
            valid = ", ".join(f"{code}.{p}" for p in rule.params) or "none"
            raise UsageError(
                f"quality parameter {key!r}: rule {code} has no parameter {name!r}; valid: {valid}"
            )
        out.setdefault(code, {})[name] = value
    return out


# -- windows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def to_dict(self) -> dict[str, str]:
        return {"from": iso_utc(self.start), "to": iso_utc(self.end)}


def _as_utc(value: datetime | date | str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace(" ", "T").replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"not a date or timestamp: {value!r} (expected ISO 8601)") from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def windows(
    from_: datetime | date | str | None = None,
    to: datetime | date | str | None = None,
    *,
    today: date | None = None,
) -> dict[str, Window]:
    """Window per family. Given ``from_``/``to`` (one alone means one day), every family uses
    it; else QualiCharge's: statuses = yesterday, sessions and status-session rules = the day
    ``[today − 16 d, today − 15 d)``, INAC/DECL = up to the end of yesterday (UTC days)."""
    if from_ is not None or to is not None:
        start = _as_utc(from_) if from_ is not None else _as_utc(to) - timedelta(days=1)  # type: ignore[arg-type]
        end = _as_utc(to) if to is not None else start + timedelta(days=1)
        if end <= start:
            raise UsageError(
                f"empty window: --to {end.isoformat()} is not after --from {start.isoformat()}"
            )
        w = Window(start, end)
        return dict.fromkeys(FAMILIES, w)
    day = today or datetime.now(UTC).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    status = Window(midnight - timedelta(days=1), midnight)
    session = Window(
        midnight - timedelta(days=SESSION_DELAY_DAYS + 1),
        midnight - timedelta(days=SESSION_DELAY_DAYS),
    )
    return {
        "static": status,
        "session": session,
        "status": status,
        "pdc": status,
        "status-session": session,
    }


# -- results ---------------------------------------------------------------------------------


@dataclass
class UnitResult:
    unit: str
    checked: int
    flagged: int
    value: float | None
    failed: bool
    items: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "checked": self.checked,
            "flagged": self.flagged,
            "value": self.value,
            "failed": self.failed,
            "items": self.items,
        }


@dataclass
class RuleResult:
    code: str
    number: int | None
    family: str
    meaning: str
    fails_when: str
    value_kind: str
    params: dict[str, Any]
    window: Window | None
    units: list[UnitResult]
    blocking: bool = False

    @property
    def failed(self) -> bool:
        return any(u.failed for u in self.units)

    @property
    def status(self) -> str:
        if not self.units:
            return "no data"
        return "fail" if self.failed else "pass"

    @property
    def items(self) -> list[str]:
        return [i for u in self.units for i in u.items]

    @property
    def checked(self) -> int:
        """Objects checked, all units together."""
        return sum(u.checked for u in self.units)

    @property
    def flagged(self) -> int:
        """Objects flagged, all units together."""
        return sum(u.flagged for u in self.units)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.code,
            "number": self.number,
            "family": self.family,
            "meaning": self.meaning,
            "fails_when": self.fails_when,
            "value_kind": self.value_kind,
            "params": {k: _json_value(v) for k, v in self.params.items()},
            "window": self.window.to_dict() if self.window else None,
            "status": self.status,
            "blocking": self.blocking,
            "units": [u.to_dict() for u in self.units],
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass
class CheckReport:
    """The outcome of :func:`run_checks`."""

    results: list[RuleResult]
    fail_on: tuple[str, ...]
    not_computable: dict[str, str] = field(default_factory=lambda: dict(NOT_COMPUTABLE))
    default_windows: bool = False
    """The windows are QualiCharge's defaults (no ``from_``/``to`` given)."""
    data_span: Window | None = None
    """First and last session start or status change of the bases, to widen an empty window."""

    def __getitem__(self, code: str) -> RuleResult:
        for r in self.results:
            if r.code == code:
                return r
        raise KeyError(code)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if r.failed]

    @property
    def blocking_failures(self) -> list[RuleResult]:
        return [r for r in self.results if r.failed and r.blocking]

    @property
    def ok(self) -> bool:
        """No blocking rule failed."""
        return not self.blocking_failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "fail_on": list(self.fail_on),
            "failed": [r.code for r in self.failed],
            "blocking_failures": [r.code for r in self.blocking_failures],
            "rules": [r.to_dict() for r in self.results],
            "not_computable": self.not_computable,
            "data_span": self.data_span.to_dict() if self.data_span else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


# -- running ---------------------------------------------------------------------------------


def compute_bases(
    con: duckdb.DuckDBPyConnection,
    registry: Mapping[str, models.Model],
    *,
    irve_config: str = "{}",
    blocked_as: str | None = None,
    given: Mapping[str, pa.Table] | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, pa.Table]:
    """Compute and register ``qc_statique``, ``qc_statuses``, ``qc_sessions`` on ``con`` (a
    table in ``given`` replaces the computed one: what-if analyses and tests)."""
    given = dict(given or {})
    wanted = set(BASES if only is None else only)
    if "qc_sessions" in wanted:
        wanted.add("qc_statique")
    configured = {"irve_config": irve_config, "blocked_as": blocked_as}
    out: dict[str, pa.Table] = {}
    for name in ("qc_statique", "qc_statuses", "qc_sessions"):
        if name not in wanted:
            continue
        if name in given:
            table = given[name]
        else:
            # the base's own query over the bases registered above and the models it reads,
            # run first (expanding it would compute qc_statique a second time)
            model = registry[name]
            values = {k: v for k, v in configured.items() if v and k in model.all_params}
            deps = sorted(model.reads & set(registry) - set(BASES))
            for dep in deps:
                own = {k: v for k, v in values.items() if k in registry[dep].all_params}
                con.register(dep, registry[dep].run(con, own))
            try:
                bound = model.bind(values)
                used = models.Model._placeholders(model.tree)
                table = warehouse.run_sql(con, model.sql, {k: bound[k] for k in used})
            finally:
                for dep in deps:
                    con.unregister(dep)
        con.register(name, table)
        out[name] = table
    return out


def run_checks(
    root: Location | Store,
    *,
    from_: datetime | date | str | None = None,
    to: datetime | date | str | None = None,
    params: Mapping[str, Any] | None = None,
    rules: Sequence[str] | None = None,
    fail_on: str | Sequence[str] | None = None,
    today: date | None = None,
    bases: Mapping[str, pa.Table] | None = None,
    step: Callable[[str], None] | None = None,
) -> CheckReport:
    """Run the quality rules over the warehouse at ``root``.

    ``params``: ``{"DUPS.threshold": 0.01, …}`` (text or typed values, bound, never pasted in
    SQL); they override ``[quality.RULE]`` of ``ocpiwh.toml``. ``rules``: codes to run (default
    all). ``fail_on``: blocking rules (``"all"``, ``"none"``, codes; default ``[quality]
    fail_on``, else :data:`DEFAULT_FAIL_ON`). ``from_``/``to``: see :func:`windows`.
    ``bases``: replace base tables (``qc_statique``…) with given Arrow tables. ``step(text)``
    is told what is being computed (a progress display).
    """
    all_rules = load_rules()
    selected = _select(rules, all_rules)
    qcfg = QualityConfig.load(root)
    merged = split_params(qcfg.params, all_rules)
    for code, values in split_params(params, all_rules).items():
        merged.setdefault(code, {}).update(values)
    blocking = parse_fail_on(fail_on if fail_on is not None else qcfg.fail_on, all_rules)
    # bind (type) every parameter before touching data: a bad value is a usage error
    bound: dict[str, dict[str, Any]] = {}
    for code in selected:
        rule = all_rules[code]
        try:
            bound[code] = rule.model.bind(merged.get(code, {}))
        except UsageError as exc:
            raise UsageError(f"rule {code}: {exc}") from None
    wins = windows(from_, to, today=today)
    registry = next(iter(all_rules.values())).model.registry if all_rules else load_registry()
    step = step or (lambda _text: None)
    con = warehouse.connect(root)
    results: list[RuleResult] = []
    try:
        step("base tables")
        configured = model_values(root, con, ("irve_config", "blocked_as"))
        computed = compute_bases(
            con,
            registry,
            irve_config=configured["irve_config"],
            blocked_as=configured.get("blocked_as"),
            given=bases,
            only={b for code in selected for b in all_rules[code].model.reads if b in BASES},
        )
        for n, code in enumerate(selected, start=1):
            step(f"rule {code} ({n}/{len(selected)})")
            rule = all_rules[code]
            values = dict(bound[code])
            window = wins[rule.family] if rule.windowed else None
            if window is not None:
                values["since"], values["until"] = window.start, window.end
            used = models.Model._placeholders(rule.model.tree)
            table = warehouse.run_sql(con, rule.model.sql, {k: values[k] for k in used})
            units = [
                UnitResult(
                    unit=str(r["unit"]),
                    checked=int(r["checked"] or 0),
                    flagged=int(r["flagged"] or 0),
                    value=None if r["value"] is None else float(r["value"]),
                    failed=bool(r["failed"]),
                    items=[str(i) for i in (r["items"] or [])],
                )
                for r in table.to_pylist()
            ]
            results.append(
                RuleResult(
                    code=code,
                    number=rule.number,
                    family=rule.family,
                    meaning=rule.meaning,
                    fails_when=rule.describe(values),
                    value_kind=rule.value_kind,
                    params={k: v for k, v in values.items() if k not in _WINDOW_PARAMS},
                    window=window,
                    units=units,
                    blocking=code in blocking,
                )
            )
    finally:
        con.close()
    return CheckReport(
        results=results,
        fail_on=blocking,
        default_windows=from_ is None and to is None,
        data_span=_span(computed),
    )


def _span(bases: Mapping[str, pa.Table]) -> Window | None:
    """[first, last] session start or status change of the computed bases."""
    times = []
    for name, column in (("qc_sessions", "start"), ("qc_statuses", "horodatage")):
        table = bases.get(name)
        if table is not None and column in table.column_names and table.num_rows:
            bounds = pc.min_max(table.column(column))
            times += [v for v in (bounds["min"].as_py(), bounds["max"].as_py()) if v is not None]
    return Window(min(times), max(times)) if times else None


def _select(rules: Sequence[str] | None, all_rules: Mapping[str, Rule]) -> list[str]:
    if not rules:
        return list(all_rules)
    out: list[str] = []
    for item in rules:
        for part in str(item).split(","):
            code = part.strip().upper()
            if not code:
                continue
            if code in NOT_COMPUTABLE:
                raise UsageError(f"rule {code} cannot be computed locally: {NOT_COMPUTABLE[code]}")
            if code in FAMILIES or code.lower() in FAMILIES:
                out.extend(c for c, r in all_rules.items() if r.family == code.lower())
                continue
            if code not in all_rules:
                raise UsageError(f"no rule {code}; rules: {', '.join(all_rules)}")
            out.append(code)
    return list(dict.fromkeys(out))
