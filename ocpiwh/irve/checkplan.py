"""The validation query as set work: which checks can fail, found on distinct values first.

Most columns of an IRVE export repeat: the operator, the SIREN, the contact, the opening
hours, the power, the booleans, the dates are the same on every row of a station or of the
whole file. A check reads one or a few columns, so whether it fails on a row depends only on
that row's values of those columns: evaluated once per distinct combination, it tells whether
*any* row fails it, at the cost of a hash of the columns instead of ~150 expressions per row.

:func:`probe_sql` builds one query answering, for each set of checks reading the same columns
(the "check set"), whether one of its checks fails on some distinct combination. The report is
then built exactly as before, per row, but only with the checks of the sets that can fail
(nearly always none): a check evaluated per distinct value only decides *whether* the per-row
check runs, so the rows, values and reasons reported are those of the per-row checks.

Columns expected to differ on nearly every row (the point de recharge of a static file, the
times of a session) are read per row in the probe: hashing them would cost more than checking.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

_BASE = re.compile(r'"[ts]_(?:[^"]|"")*"')
_ALIAS = re.compile(r"\b_[A-Za-z0-9_]+\b")


@dataclass
class Group:
    """Facts about the rows sharing a key: the CTE ``name`` (``select``, over ``src``) has one
    row per non-null ``key`` (column ``_key``) and the columns ``facts``; a row without a key
    (or not in the CTE) reads the fact's default (alias → SQL default).

    ``probe``: a cheaper SELECT of the same columns for the probe, whose facts hold wherever
    the exact ones do (the checks read facts positively: a check that can fail on the exact
    facts then fails on the probe's, and the report query runs it on the exact ones).

    ``values``: a SELECT of the distinct combinations of ``value_columns`` (the key among
    them) over every row, which ``select`` and ``probe`` may read as ``<name>_values``; the
    probe also reads there the distinct values of a check reading only those columns (a
    station's fields: one row per station instead of one per point de recharge)."""

    name: str
    key: str
    select: str
    facts: dict[str, str]
    probe: str | None = None
    values: str | None = None
    value_columns: frozenset[str] = frozenset()

    @property
    def values_name(self) -> str:
        return f"{self.name}_values"

    def ctes(self, probe: bool = False) -> list[str]:
        select = self.probe if probe and self.probe is not None else self.select
        values = [f"{self.values_name} AS MATERIALIZED ({self.values})"] if self.values else []
        return [*values, f"{self.name} AS MATERIALIZED ({select})"]

    def join(self) -> str:
        return f"LEFT JOIN {self.name} ON {self.name}._key = {self.key}"

    def columns(self, used: set[str]) -> list[str]:
        return [f"COALESCE({f}, {d}) AS {f}" for f, d in self.facts.items() if f in used]


@dataclass
class Derived:
    """What the row checks read besides the row: per-row columns (``columns``: alias → SQL
    over the row's columns) and per-group facts (``groups``).

    Group facts are GROUP BY + hash joins, not window functions: a window over 100,000 rows
    sorts every partition key, a GROUP BY hashes it once (1.7 s → 0.2 s of CPU for the 21
    station aggregates of irve_statique, docs/benchmarks.md)."""

    columns: dict[str, str] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)  # each check's failing condition


@dataclass(frozen=True)
class Reads:
    """What an expression reads: columns of ``src`` (quoted), derived columns, groups."""

    base: frozenset[str]
    derived: frozenset[str]
    groups: frozenset[str]


class Plan:
    """Dependencies of the checks of one validation query (SQL already rendered: the typed
    columns' text replaced by its rendering, see ``validate.check_table``)."""

    def __init__(self, derived: Derived, render: Callable[[str], str]) -> None:
        self.render = render
        self.columns = {alias: render(expr) for alias, expr in derived.columns.items()}
        self.groups = {g.name: g for g in derived.groups}
        self.fact_group = {f: g.name for g in derived.groups for f in g.facts}

    def reads(self, sql: str) -> Reads:
        """Everything ``sql`` reads, derived columns followed to what they read."""
        base: set[str] = set()
        derived: set[str] = set()
        groups: set[str] = set()
        todo = [sql]
        while todo:
            text = todo.pop()
            base.update(_BASE.findall(text))
            for alias in _ALIAS.findall(text):
                if alias in self.fact_group and alias not in derived:
                    derived.add(alias)
                    group = self.groups[self.fact_group[alias]]
                    groups.add(group.name)
                    base.add(group.key)
                elif alias in self.columns and alias not in derived:
                    derived.add(alias)
                    todo.append(self.columns[alias])
        return Reads(frozenset(base), frozenset(derived), frozenset(groups))

    def row_sql(self, source: str, alias: str, reads: Reads) -> str:
        """``source`` (aliased ``alias``) with the derived columns and group facts ``reads``
        needs, as the per-row checks read them."""
        extra = [f"{expr} AS {a}" for a, expr in self.columns.items() if a in reads.derived]
        joins = []
        for name in sorted(reads.groups):
            extra += self.groups[name].columns(set(reads.derived))
            joins.append(self.groups[name].join())
        cols = "".join(f", {c}" for c in extra)
        return f"SELECT {alias}.*{cols} FROM {source} AS {alias}{''.join(' ' + j for j in joins)}"

    def ctes(self, names: Iterable[str], probe: bool = False) -> list[str]:
        """The CTEs of the groups ``names``, in declaration order (their probe form: ``probe``)."""
        wanted = set(names)
        return [c for n, g in self.groups.items() if n in wanted for c in g.ctes(probe)]

    def distinct_source(self, base: frozenset[str]) -> tuple[str | None, str]:
        """(group, relation) where the distinct combinations of ``base`` are fewest to find:
        a group's distinct values holding them all, else ``src``."""
        for g in self.groups.values():
            if g.values and base <= g.value_columns:
                return g.name, g.values_name
        return None, "src"


@dataclass
class CheckSet:
    """Checks reading the same columns and groups: evaluated together in the probe."""

    reads: Reads
    checks: list[int] = field(default_factory=list)


def check_sets(plan: Plan, conditions: list[str]) -> list[CheckSet]:
    """The checks grouped by the columns and groups their condition reads."""
    sets: dict[tuple[frozenset[str], frozenset[str]], CheckSet] = {}
    for i, condition in enumerate(conditions):
        r = plan.reads(plan.render(condition))
        key = (r.base, r.groups)
        if key not in sets:
            sets[key] = CheckSet(Reads(r.base, frozenset(), r.groups))
        s = sets[key]
        s.reads = Reads(s.reads.base, s.reads.derived | r.derived, s.reads.groups)
        s.checks.append(i)
    return list(sets.values())


def _facts_only(plan: Plan, reads: Reads) -> Group | None:
    """The group whose key and facts are all ``reads`` reads, if so."""
    if len(reads.groups) != 1:
        return None
    group = plan.groups[next(iter(reads.groups))]
    if reads.base == {group.key} and reads.derived <= set(group.facts):
        return group
    return None


def _failing(plan: Plan, check_set: CheckSet, conditions: list[str]) -> str:
    # CASE WHEN, not WHERE: the optimizer would push a WHERE below the DISTINCT (back to every
    # row); a condition guarding a cast (``regexp AND CAST``) is still evaluated on the rows
    # it selects only, as in the report query's WHERE
    failing = " OR ".join(f"({plan.render(conditions[i])})" for i in check_set.checks)
    return f"bool_or(CASE WHEN {failing} THEN true END)"


def probe_query(
    plan: Plan, src: str, sets: list[CheckSet], conditions: list[str], per_row: set[str]
) -> str:
    """The query listing (``_set``) the indexes of the ``sets`` where a check fails on some
    row of ``src``. Each set is evaluated on the distinct combinations of what it reads, or:

    * once per key of its group, when it reads only a group's facts (and once on the facts'
      defaults if a row has no key);
    * per row when it reads a ``per_row`` column (those differ on nearly every row): all such
      sets in one scan.

    One UNION ALL, not scalar subqueries: 40 of those cost the optimizer more than the probe
    costs to run."""
    branches = []
    groups: set[str] = set().union(*(s.reads.groups for s in sets))
    per_row_sets: list[tuple[int, CheckSet]] = []
    for index, check_set in enumerate(sets):
        r = check_set.reads
        group = _facts_only(plan, r)
        if group is not None:
            no_key = (
                f"SELECT NULL AS _key WHERE EXISTS (SELECT 1 FROM src WHERE {group.key} IS NULL)"
            )
            facts = ", ".join(group.columns(set(r.derived)))
            rows = f"SELECT {facts} FROM (FROM {group.name} UNION ALL BY NAME {no_key})"
        elif r.base & per_row:
            per_row_sets.append((index, check_set))
            continue
        elif r.base:
            group_name, relation = plan.distinct_source(r.base)
            groups |= {group_name} if group_name else set()
            distinct = f"(SELECT DISTINCT {', '.join(sorted(r.base))} FROM {relation})"
            rows = plan.row_sql(distinct, "_d", r)
        else:  # a condition reading no column fails every row or none
            rows = "SELECT DISTINCT true AS _any FROM src"
        failing = _failing(plan, check_set, conditions)
        branches.append(f"SELECT {index} AS _set, {failing} AS _fails FROM ({rows})")
    if per_row_sets:
        reads = [s.reads for _, s in per_row_sets]
        union = Reads(
            frozenset().union(*(r.base for r in reads)),
            frozenset().union(*(r.derived for r in reads)),
            frozenset().union(*(r.groups for r in reads)),
        )
        rows = plan.row_sql(f"(SELECT {', '.join(sorted(union.base))} FROM src)", "_d", union)
        flags = ", ".join(_failing(plan, s, conditions) for _, s in per_row_sets)
        indexes = ", ".join(str(i) for i, _ in per_row_sets)
        branches.append(
            f"SELECT unnest([{indexes}]) AS _set, unnest(_flags) AS _fails "
            f"FROM (SELECT [{flags}] AS _flags FROM ({rows}))"
        )
    ctes = "".join(f",\n{c}" for c in plan.ctes(groups, probe=True))
    union_all = "\nUNION ALL ".join(branches) or "SELECT 0 AS _set, false AS _fails"
    return f"{src}{ctes}\nSELECT _set FROM ({union_all}) WHERE _fails"
