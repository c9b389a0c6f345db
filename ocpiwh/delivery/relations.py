"""What ``get`` and feeds deliver: a view (a module's included) or a model, with its key.

The key says what "the same row" is between two commits, so that a row whose key was
delivered before but whose values differ is a *changed* row (delivered again as a new
version), and a key that disappears is *removed* (a tombstone). Views have the OCPI keys;
models declare theirs in :data:`MODEL_KEYS`. A relation without a key compares whole rows.

The time column is what ``get --since`` filters on: ``last_updated`` where the relation has
one, else the column of :data:`TIME_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ocpiwh import lake, warehouse
from ocpiwh import models as models_lib
from ocpiwh.errors import UsageError
from ocpiwh.export.core import _resolve
from ocpiwh.export.pseudonymous import view_modules
from ocpiwh.lake import Store

_OCPI_KEY = ("country_code", "party_id", "id")
_INDICATOR_KEY = ("code", "level", "target", "period", "category", "timestamp")

VIEW_KEYS: dict[str, tuple[str, ...]] = {
    **{m: _OCPI_KEY for m in warehouse.MODULE_VIEWS},
    **{f"{m}_history": (*_OCPI_KEY, "last_updated") for m in warehouse.MODULE_VIEWS},
    "evses": ("country_code", "party_id", "location_id", "evse_uid"),
    "connectors": ("country_code", "party_id", "location_id", "evse_uid", "connector_id"),
    "evse_status_events": ("country_code", "party_id", "location_id", "evse_uid", "valid_from"),
}
"""View → the columns identifying one of its rows (quarantine has none: whole rows)."""

MODEL_KEYS: dict[str, tuple[str, ...]] = {
    "energy_by_operator": ("period_start", "operator_name", "country_code", "party_id"),
    "ind_pdc": ("id_pdc_itinerance",),
    "irve_statique": ("id_pdc_itinerance",),
    "irve_dynamique": ("id_pdc_itinerance",),
    "irve_dynamique_events": ("id_pdc_itinerance", "horodatage"),
    "qualicharge_sessions": ("id_pdc_itinerance", "start"),
    "session_durations": ("country_code", "party_id", "session_id"),
    "sessions_enriched": ("country_code", "party_id", "session_id", "cdr_id"),
    "utilization": ("country_code", "party_id", "location_id", "evse_uid", "day"),
    "occupancy": ("country_code", "party_id", "location_id", "evse_uid", "status"),
}
"""Model → its key (its grain); the indicator models (``ind_*`` but ind_pdc) share one."""

TIME_COLUMNS: dict[str, str] = {
    "evse_status_events": "valid_from",
    "quarantine": "_fetched_at",
    "energy_by_operator": "period_start",
    "irve_statique": "date_maj",
    "irve_dynamique": "horodatage",
    "irve_dynamique_events": "horodatage",
    "qualicharge_sessions": "start",
    "session_durations": "start_date_time",
    "sessions_enriched": "start_date_time",
    "utilization": "day",
}
"""Relations whose ``--since`` column is not ``last_updated`` (indicators: ``timestamp``)."""

WALL_CLOCK_MODELS: frozenset[str] = frozenset({"ind_i1", "ind_i4", "ind_i7", "ind_t1", "occupancy"})
"""Models that read the clock (``now()``): their rows change without a commit, so a delivery
of them could not be rebuilt from a cursor range; feeds refuse them."""


@dataclass(frozen=True)
class Relation:
    """A view or a model, resolved: the SELECT to run and what it reads."""

    name: str
    kind: str  # "view" or "model"
    sql: str
    params: dict[str, Any]
    """The bound parameters the SQL uses (``$name``)."""
    modules: frozenset[str]
    """Raw modules read (``removed``: tombstones), whose commits move its cursor."""
    columns: tuple[str, ...]
    key: tuple[str, ...]
    """Columns identifying a row; empty: the whole row."""
    time_column: str | None
    views: frozenset[str]

    @property
    def data_modules(self) -> frozenset[str]:
        """The OCPI modules read (tombstones belong to one of them)."""
        return frozenset(m for m in self.modules if m != lake.REMOVED)


def resolve(root: Store, name: str, params: Mapping[str, Any] | None = None) -> Relation:
    """The view or model ``name`` with ``params`` bound (models: filled as ``export`` does)."""
    registry = models_lib.load_models()
    if name not in registry and name not in warehouse.view_order():
        raise UsageError(
            f"no module, view or model named {name!r}",
            hint="`ocpiwh models list` lists the models; docs/sql.md the views",
        )
    source = _resolve(root, name, params)
    modules: set[str] = set()
    for view in source.views:
        modules |= view_modules(view)
    if source.kind == "model":
        assert source.model is not None
        columns = tuple(source.model.output_columns())
        key = MODEL_KEYS.get(name) or (_INDICATOR_KEY if name.startswith("ind_") else ())
    else:
        columns = tuple(c for c, _ in models_lib.view_schema()[name].items())
        key = VIEW_KEYS.get(name, ())
    time_column = TIME_COLUMNS.get(name)
    if time_column is None:
        if "last_updated" in columns:
            time_column = "last_updated"
        elif name.startswith("ind_") and "timestamp" in columns:
            time_column = "timestamp"
    missing = [c for c in key if c not in columns]
    if missing:  # a model file changed its columns: say so rather than mis-key its rows
        raise UsageError(f"{name} has no column {', '.join(missing)} of its declared key")
    return Relation(
        name=name,
        kind=source.kind,
        sql=source.sql,
        params=source.params,
        modules=frozenset(modules),
        columns=columns,
        key=key,
        time_column=time_column,
        views=frozenset(source.views),
    )
