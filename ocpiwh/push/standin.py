"""A local stand-in of the QualiCharge API (v1) for tests and the demo: real HTTP on loopback.

It follows the published contract (MTES-MCT/qualicharge, ``src/api/qualicharge``), written
from reading it, not copied:

* ``POST /api/v1/auth/token`` (OAuth2 password form: ``username``, ``password``) →
  ``{"access_token", "token_type": "bearer"}``; bad credentials → 401
  ``{"message": "Authentication failed: Wrong login or password"}``; no bearer → 401
  ``{"detail": "Not authenticated"}``; an expired token → 401 ``… Token signature expired``.
* ``POST /api/v1/statique/bulk`` → 201 ``{"message", "items", "size"}``: create *or update*
  (an upsert keyed by ``id_pdc_itinerance``: a duplicate is harmless).
* ``PUT /api/v1/statique/{id}`` → 200 (the item), 404 unknown point, 406 id ≠ body's.
* ``GET /api/v1/statique/{id}`` → 200 or 404.
* ``DELETE /api/v1/statique/{id}`` (decommission, scope ``static:delete``) → 204: a soft
  delete — the point is kept but GET and PUT answer 404 and dynamic rows for it are refused
  as undeclared; decommissioning it again has no effect (204); an unknown point → 404
  ``{"detail": "Target charge point does not exist"}``; an account without the scope → 403
  ``{"message": "Unsufficient permissions: …"}``. ``POST /api/v1/statique/{id}/up``
  (recommission, same scope) → 204; a bulk upsert of a decommissioned point updates it but
  leaves it decommissioned, as the API's importer does.
* ``POST /api/v1/dynamique/status/bulk`` and ``/dynamique/session/bulk`` → 201
  ``{"size", "items": [uuid…]}``; 404 when a point of charge is undeclared. Like the real
  API they *store duplicates* (each row gets a fresh uuid): resending is not harmless.
* ``GET /api/v1/dynamique/status/{id}/history?from=`` → the point's statuses, 404 if none.
* A bulk body is validated as a whole: one bad row (or more rows than the bulk limit, default
  10 as ``API_*_BULK_CREATE_MAX_SIZE``) → 422 ``{"detail": [{"type", "loc", "msg", "input"}]}``
  and nothing is stored. ``Content-Encoding: gzip`` bodies are accepted.

Test hooks: :attr:`StandIn.requests` (every request received, decoded, without secrets), the
stored :attr:`statique` / :attr:`statuses` / :attr:`sessions`, :meth:`add_fault` (429 with
Retry-After, 503, a dropped connection before or after storing) and :attr:`reject_ids`
(points the server refuses: a chunk partly rejected). The same over HTTP under ``/_admin/``.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from ocpiwh import httpserve

API = "/api/v1"
BULK_MAX_SIZE = 10
MAX_STATUS_AGE = timedelta(days=1)
MAX_SESSION_AGE = timedelta(days=365)
TOKEN_LIFETIME = 30 * 60

PDC_RE = re.compile(r"(^FR[A-Z0-9]{3}E[A-Z0-9]{1,29}$|Non concerné)")
STATION_RE = re.compile(r"(^FR[A-Z0-9]{3}P[A-Z0-9]{1,29}$|Non concerné)")
DYN_PDC_RE = re.compile(r"(?:(?:^|,)(^[A-Z]{2}[A-Z0-9]{4,33}$|Non concerné))+$")
INSEE_RE = re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$")
HORAIRES_RE = re.compile(r"(.*?)((\d{1,2}:\d{2})-(\d{1,2}:\d{2})|24/7)")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ETAT_PDC = ("en_service", "hors_service", "inconnu")
OCCUPATION = ("libre", "occupe", "reserve", "inconnu")
ETAT_PRISE = ("fonctionnel", "hors_service", "inconnu")
IMPLANTATION = (
    "Voirie",
    "Parking public",
    "Parking privé à usage public",
    "Parking privé réservé à la clientèle",
    "Station dédiée à la recharge rapide",
)
ACCES = ("Accès libre", "Accès réservé")
PMR = (
    "Réservé PMR",
    "Accessible mais non réservé PMR",
    "Non accessible",
    "Accessibilité inconnue",
)
RACCORDEMENT = ("Direct", "Indirect")
STATIQUE_STR = (
    "nom_amenageur",
    "nom_operateur",
    "telephone_operateur",
    "nom_enseigne",
    "nom_station",
    "adresse_station",
)
STATIQUE_BOOL = (
    "prise_type_ef",
    "prise_type_2",
    "prise_type_combo_ccs",
    "prise_type_chademo",
    "prise_type_autre",
    "paiement_acte",
    "reservation",
    "station_deux_roues",
)
STATIQUE_OPTIONAL = (
    "id_station_local",
    "id_pdc_local",
    "gratuit",
    "paiement_cb",
    "paiement_autre",
    "tarification",
    "date_mise_en_service",
    "observations",
    "cable_t2_attache",
)
STATUS_FIELDS = ("id_pdc_itinerance", "etat_pdc", "occupation_pdc", "horodatage")
PRISE_FIELDS = (
    "etat_prise_type_2",
    "etat_prise_type_combo_ccs",
    "etat_prise_type_chademo",
    "etat_prise_type_ef",
)
SESSION_FIELDS = ("id_pdc_itinerance", "start", "end", "energy")

Error = dict[str, Any]


@dataclass
class Fault:
    """One injected failure: ``kind`` is 429, 503, ``drop`` (connection closed without an
    answer, nothing stored; recorded with status 0) or ``drop_after`` (stored, then the connection closed)."""

    kind: str
    path: str = ""  # applies to request paths starting with this ("": any API route)
    times: int = 1
    retry_after: float = 0


@dataclass
class Received:
    """A request as the server saw it (the token and password are never kept)."""

    method: str
    path: str
    status: int
    rows: list[dict[str, Any]] | None
    gzip: bool
    at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "rows": self.rows,
            "gzip": self.gzip,
            "at": self.at,
        }


def _err(loc: list[Any], typ: str, msg: str, value: Any) -> Error:
    return {"type": typ, "loc": loc, "msg": msg, "input": value}


def _enum(loc: list[Any], allowed: tuple[str, ...], value: Any) -> Error:
    return _err(loc, "enum", "Input should be " + ", ".join(map(repr, allowed)), value)


def _parse_dt(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _luhn(siren: str) -> bool:
    if len(siren) != 9 or not siren.isdigit() or siren == "000000000":
        return False
    total = 0
    for i, ch in enumerate(reversed(siren)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


def _in_france(value: Any) -> bool:
    """Coordinates "[lon, lat]" roughly within France or its overseas departments (boxes)."""
    try:
        lon, lat = (float(v) for v in orjson.loads(value))
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return False
    boxes = (
        (-5.4, 41.3, 9.7, 51.6),  # metropolitan France and Corsica
        (-54.9, 1.8, -51.0, 6.3),  # Guyane
        (55.0, -21.6, 56.1, -20.7),  # La Réunion
        (-61.4, 14.3, -60.6, 15.1),  # Martinique
        (-62.0, 15.7, -60.8, 16.6),  # Guadeloupe
        (44.9, -13.2, 45.4, -12.6),  # Mayotte
    )
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in boxes)


def validate_statique(row: Any, i: int, today: date) -> list[Error]:
    """The key rules of the API's ``Statique`` model (required fields, ids, dates, SIREN)."""
    if not isinstance(row, dict):
        return [_err(["body", i], "model_attributes_type", "Input should be an object", row)]
    errors: list[Error] = []

    def loc(name: str) -> list[Any]:
        return ["body", i, name]

    for name in STATIQUE_STR:
        if not isinstance(row.get(name), str) or not row[name].strip():
            errors.append(_err(loc(name), "missing", "Field required", row.get(name)))
    for name in STATIQUE_BOOL:
        if not isinstance(row.get(name), bool):
            errors.append(_err(loc(name), "bool_type", "Input should be a valid boolean", None))
    if "num_pdl" not in row:
        errors.append(_err(loc("num_pdl"), "missing", "Field required", None))
    for name, pattern in (
        ("id_pdc_itinerance", PDC_RE),
        ("id_station_itinerance", STATION_RE),
        ("code_insee_commune", INSEE_RE),
        ("horaires", HORAIRES_RE),
    ):
        value = row.get(name)
        if not isinstance(value, str) or not pattern.match(value.strip()):
            errors.append(
                _err(
                    loc(name),
                    "string_pattern_mismatch",
                    f"String should match pattern '{pattern.pattern}'",
                    value,
                )
            )
    for name in ("contact_amenageur", "contact_operateur"):
        value = row.get(name)
        if not isinstance(value, str) or not EMAIL_RE.match(value.strip()):
            msg = "value is not a valid email address"
            errors.append(_err(loc(name), "value_error", msg, value))
    siren = row.get("siren_amenageur")
    if not isinstance(siren, str) or not _luhn(siren):
        msg = f"Assertion failed, {siren} is not a valid SIREN number"
        errors.append(_err(loc("siren_amenageur"), "assertion_error", msg, siren))
    for name, allowed in (
        ("implantation_station", IMPLANTATION),
        ("condition_acces", ACCES),
        ("accessibilite_pmr", PMR),
        ("raccordement", RACCORDEMENT),
    ):
        if row.get(name) not in allowed:
            errors.append(_enum(loc(name), allowed, row.get(name)))
    if not _in_france(row.get("coordonneesXY")):
        msg = "Value error, Input coordinates are not within the french territory."
        errors.append(_err(loc("coordonneesXY"), "value_error", msg, row.get("coordonneesXY")))
    nbre = row.get("nbre_pdc")
    if not isinstance(nbre, int) or isinstance(nbre, bool) or nbre <= 0:
        errors.append(_err(loc("nbre_pdc"), "greater_than", "Input should be greater than 0", nbre))
    power = row.get("puissance_nominale")
    if not isinstance(power, int | float) or isinstance(power, bool) or not 1.3 <= power <= 4000:
        msg = "Input should be between 1.3 and 4000"
        errors.append(_err(loc("puissance_nominale"), "less_than_equal", msg, power))
    gabarit = row.get("restriction_gabarit")
    if not isinstance(gabarit, str) or len(gabarit.strip()) < 2:
        msg = "String should have at least 2 characters"
        errors.append(_err(loc("restriction_gabarit"), "string_too_short", msg, gabarit))
    for name, required in (("date_maj", True), ("date_mise_en_service", False)):
        value = row.get(name)
        if value is None and not required:
            continue
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            errors.append(
                _err(loc(name), "date_from_datetime_parsing", "Input should be a valid date", value)
            )
            continue
        if day > today:
            errors.append(
                _err(loc(name), "value_error", f"Value error, {day} is in the future", value)
            )
    if errors:
        return errors
    if row["id_pdc_itinerance"][:5] != row["id_station_itinerance"][:5]:
        msg = "Value error, AFIREV prefixes from id_station_itinerance and id_pdc_itinerance do not match"
        errors.append(_err(["body", i], "value_error", msg, row))
    if row["raccordement"] == "Direct" and not row.get("num_pdl"):
        msg = "Value error, A PDL number is required for direct connections."
        errors.append(_err(["body", i], "value_error", msg, row))
    return errors


def _aware_past(
    row: dict[str, Any], name: str, i: int, now: datetime, max_age: timedelta | None
) -> tuple[datetime | None, list[Error]]:
    loc = ["body", i, name]
    value = _parse_dt(row.get(name))
    if value is None:
        return None, [
            _err(
                loc, "datetime_from_date_parsing", "Input should be a valid datetime", row.get(name)
            )
        ]
    if value.tzinfo is None:
        return None, [_err(loc, "timezone_aware", "Input should have timezone info", row[name])]
    if value >= now:
        return None, [_err(loc, "datetime_past", "Input should be in the past", row[name])]
    if max_age is not None and value < now - max_age:
        return None, [
            _err(loc, "value_error", f"Value error, {value} is older than {max_age}", row[name])
        ]
    return value, []


def _dynamic_head(row: Any, i: int, required: tuple[str, ...]) -> tuple[bool, list[Error]]:
    """What ``StatusCreate`` and ``SessionCreate`` check first: an object with its fields
    (else stop there: ``(False, errors)``), then the point's id pattern."""
    if not isinstance(row, dict):
        return False, [_err(["body", i], "model_attributes_type", "Input should be an object", row)]
    missing = [
        _err(["body", i, f], "missing", "Field required", None) for f in required if f not in row
    ]
    if missing:
        return False, missing
    pdc = row["id_pdc_itinerance"]
    if isinstance(pdc, str) and DYN_PDC_RE.match(pdc):
        return True, []
    msg = f"String should match pattern '{DYN_PDC_RE.pattern}'"
    return True, [_err(["body", i, "id_pdc_itinerance"], "string_pattern_mismatch", msg, pdc)]


def validate_status(row: Any, i: int, now: datetime, max_age: timedelta) -> list[Error]:
    """``StatusCreate``: id, enums, an aware past ``horodatage`` at most ``max_age`` old."""
    complete, errors = _dynamic_head(row, i, STATUS_FIELDS)
    if not complete:
        return errors
    for name, allowed in (("etat_pdc", ETAT_PDC), ("occupation_pdc", OCCUPATION)):
        if row[name] not in allowed:
            errors.append(_enum(["body", i, name], allowed, row[name]))
    for name in PRISE_FIELDS:  # optional
        if row.get(name) is not None and row[name] not in ETAT_PRISE:
            errors.append(_enum(["body", i, name], ETAT_PRISE, row[name]))
    errors += _aware_past(row, "horodatage", i, now, max_age)[1]
    return errors


def validate_session(row: Any, i: int, now: datetime, max_age: timedelta) -> list[Error]:
    """``SessionCreate``: id, aware past dates, start ≤ end, at most a week, energy 0–1000."""
    complete, errors = _dynamic_head(row, i, SESSION_FIELDS)
    if not complete:
        return errors
    energy = row["energy"]
    if not isinstance(energy, int | float) or isinstance(energy, bool) or not 0 <= energy <= 1000:
        errors.append(
            _err(
                ["body", i, "energy"],
                "less_than_equal",
                "Input should be between 0 and 1000",
                energy,
            )
        )
    start, e1 = _aware_past(row, "start", i, now, max_age)
    end, e2 = _aware_past(row, "end", i, now, None)
    errors += e1 + e2
    if start is not None and end is not None:
        if start > end:
            errors.append(
                _err(
                    ["body", i],
                    "value_error",
                    "Value error, A session cannot start after it has ended.",
                    row,
                )
            )
        elif end - start > timedelta(weeks=1):
            errors.append(
                _err(
                    ["body", i],
                    "value_error",
                    "Value error, A session cannot last more than a week.",
                    row,
                )
            )
    return errors


class StandIn:
    """The server's state and behaviour; :func:`serve_standin` puts it on loopback HTTP."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        *,
        bulk_max_size: int = BULK_MAX_SIZE,
        max_status_age: timedelta = MAX_STATUS_AGE,
        max_session_age: timedelta = MAX_SESSION_AGE,
        token_lifetime: float = TOKEN_LIFETIME,
        can_decommission: bool = True,
    ) -> None:
        self.users = dict(users or {})
        self.can_decommission = can_decommission  # the account's ``static:delete`` scope
        self.decommissioned: set[str] = set()
        self.bulk_max_size = bulk_max_size
        self.max_status_age = max_status_age
        self.max_session_age = max_session_age
        self.token_lifetime = token_lifetime
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.statique: dict[str, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []
        self.requests: list[Received] = []
        self.faults: list[Fault] = []
        self.reject_ids: set[str] = set()
        self.url = ""

    # -- test hooks ---------------------------------------------------------------------------

    def add_fault(self, kind: str, path: str = "", times: int = 1, retry_after: float = 0) -> None:
        with self.lock:
            self.faults.append(Fault(kind, path, times, retry_after))

    def api_requests(self, path: str = "") -> list[Received]:
        """Requests to API data routes (not auth, not admin) whose path starts with ``path``."""
        with self.lock:
            return [
                r
                for r in self.requests
                if r.path.startswith(API + path) and not r.path.startswith(API + "/auth")
            ]

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.path or API) and not path.startswith(API + "/auth"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- routes ---------------------------------------------------------------------------------

    def token(self, form: dict[str, str]) -> tuple[int, Any]:
        missing = [f for f in ("username", "password") if f not in form]
        if missing:
            return 422, {
                "detail": [_err(["body", f], "missing", "Field required", None) for f in missing]
            }
        if self.users.get(form["username"]) != form["password"] or not form["password"]:
            return 401, {"message": "Authentication failed: Wrong login or password"}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.time() + self.token_lifetime
        return 200, {"access_token": token, "token_type": "bearer"}

    def check_auth(self, header: str | None) -> tuple[int, Any] | None:
        if not header or not header.lower().startswith("bearer "):
            return 401, {"detail": "Not authenticated"}
        expiry = self.tokens.get(header[7:].strip())
        if expiry is None:
            return 401, {"message": "Authentication failed: Unable to decode ID token"}
        if expiry < time.time():
            return 401, {"message": "Authentication failed: Token signature expired"}
        return None

    def _bulk_shape(self, body: Any) -> tuple[int, Any] | None:
        if not isinstance(body, list):
            return 422, {
                "detail": [_err(["body"], "list_type", "Input should be a valid list", body)]
            }
        if not body:
            msg = "List should have at least 1 item after validation, not 0"
            return 422, {"detail": [_err(["body"], "too_short", msg, body)]}
        if len(body) > self.bulk_max_size:
            msg = f"List should have at most {self.bulk_max_size} items after validation, not {len(body)}"
            return 422, {"detail": [_err(["body"], "too_long", msg, body)]}
        return None

    def _server_rejects(self, body: list[Any]) -> list[Error]:
        return [
            _err(
                ["body", i, "id_pdc_itinerance"],
                "value_error",
                "Value error, rejected by the stand-in",
                row.get("id_pdc_itinerance"),
            )
            for i, row in enumerate(body)
            if isinstance(row, dict) and row.get("id_pdc_itinerance") in self.reject_ids
        ]

    def statique_bulk(self, body: Any) -> tuple[int, Any]:
        bad = self._bulk_shape(body)
        if bad:
            return bad
        today = datetime.now(UTC).date()
        errors = [e for i, row in enumerate(body) for e in validate_statique(row, i, today)]
        errors += self._server_rejects(body)
        if errors:
            return 422, {"detail": errors}
        ids = [row["id_pdc_itinerance"].strip() for row in body]
        with self.lock:
            for pdc, row in zip(ids, body, strict=True):
                self.statique[pdc] = row
        return 201, {"message": "Statique items created", "items": ids, "size": len(ids)}

    def statique_put(self, pdc: str, body: Any) -> tuple[int, Any]:
        errors = validate_statique(body, 0, datetime.now(UTC).date())
        if errors:
            return 422, {"detail": [{**e, "loc": ["body", *e["loc"][2:]]} for e in errors]}
        if body["id_pdc_itinerance"] != pdc:
            return 406, {"detail": "id_pdc_itinerance does not match request body"}
        with self.lock:
            if pdc not in self.statique or pdc in self.decommissioned:
                return 404, {"detail": "Statique with id_pdc_itinerance does not exist"}
            self.statique[pdc] = body
        return 200, body

    def statique_get(self, pdc: str) -> tuple[int, Any]:
        with self.lock:
            row = None if pdc in self.decommissioned else self.statique.get(pdc)
        if row is None:
            msg = "Requested statique does not exist yet. You should wait up to 10 minutes for a newly created entry."
            return 404, {"detail": msg}
        return 200, row

    def statique_commission(self, pdc: str, active: bool) -> tuple[int, Any]:
        """DELETE (decommission) or POST …/up (recommission): idempotent, 204."""
        if not self.can_decommission:
            msg = "Unsufficient permissions: You are not allowed to access this ressource"
            return 403, {"message": msg}
        with self.lock:
            if pdc not in self.statique:
                return 404, {"detail": "Target charge point does not exist"}
            if active:
                self.decommissioned.discard(pdc)
            else:
                self.decommissioned.add(pdc)
        return 204, None

    def active_statique(self) -> dict[str, dict[str, Any]]:
        """The points the API lists (not decommissioned)."""
        with self.lock:
            return {k: v for k, v in self.statique.items() if k not in self.decommissioned}

    def dynamic_bulk(self, kind: str, body: Any) -> tuple[int, Any]:
        bad = self._bulk_shape(body)
        if bad:
            return bad
        now = datetime.now(UTC)
        if kind == "status":
            errors = [
                e
                for i, r in enumerate(body)
                for e in validate_status(r, i, now, self.max_status_age)
            ]
        else:
            errors = [
                e
                for i, r in enumerate(body)
                for e in validate_session(r, i, now, self.max_session_age)
            ]
        errors += self._server_rejects(body)
        if errors:
            return 422, {"detail": errors}
        with self.lock:
            if any(
                r["id_pdc_itinerance"] not in self.statique
                or r["id_pdc_itinerance"] in self.decommissioned
                for r in body
            ):
                msg = "Undeclared attached point(s) of charge, you should create them all first"
                return 404, {"detail": msg}
            ids = [str(uuid.uuid4()) for _ in body]
            target = self.statuses if kind == "status" else self.sessions
            target.extend({**r, "id": i} for r, i in zip(body, ids, strict=True))
        return 201, {"size": len(ids), "items": ids}

    def status_history(self, pdc: str, since: str | None) -> tuple[int, Any]:
        start = _parse_dt(since) if since else None
        with self.lock:
            rows = [
                {k: v for k, v in s.items() if k != "id"}
                for s in self.statuses
                if s["id_pdc_itinerance"] == pdc
                and (start is None or (_parse_dt(s["horodatage"]) or start) >= start)
            ]
        if not rows:
            return 404, {"detail": "Selected point of charge does not have status record yet"}
        return 200, sorted(rows, key=lambda s: str(s["horodatage"]))

    def admin(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if path == "/_admin/requests":
            with self.lock:
                return 200, [r.to_json() for r in self.requests]
        if path == "/_admin/data":
            with self.lock:
                return 200, {
                    "statique": list(self.statique.values()),
                    "statuses": self.statuses,
                    "sessions": self.sessions,
                    "decommissioned": sorted(self.decommissioned),
                }
        if path == "/_admin/faults" and method == "POST" and isinstance(body, list):
            for f in body:
                self.add_fault(
                    str(f["kind"]),
                    str(f.get("path", "")),
                    int(f.get("times", 1)),
                    float(f.get("retry_after", 0)),
                )
            return 204, None
        if path == "/_admin/reject" and method == "POST" and isinstance(body, list):
            with self.lock:
                self.reject_ids |= {str(x) for x in body}
            return 204, None
        return 404, {"detail": "Not Found"}

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if method == "POST" and path == f"{API}/statique/bulk":
            return self.statique_bulk(body)
        if method == "POST" and path == f"{API}/dynamique/status/bulk":
            return self.dynamic_bulk("status", body)
        if method == "POST" and path == f"{API}/dynamique/session/bulk":
            return self.dynamic_bulk("session", body)
        if (
            path.startswith(f"{API}/dynamique/status/")
            and path.endswith("/history")
            and method == "GET"
        ):
            pdc = unquote(path[len(f"{API}/dynamique/status/") : -len("/history")])
            since = query.get("from")
            return self.status_history(pdc, since[0] if since else None)
        if path.startswith(f"{API}/statique/") and path.count("/") == 4:
            pdc = unquote(path[len(f"{API}/statique/") :])
            if method == "PUT":
                return self.statique_put(pdc, body)
            if method == "GET":
                return self.statique_get(pdc)
            if method == "DELETE":
                return self.statique_commission(pdc, active=False)
        if (
            path.startswith(f"{API}/statique/")
            and path.endswith("/up")
            and path.count("/") == 5
            and method == "POST"
        ):
            pdc = unquote(path[len(f"{API}/statique/") : -len("/up")])
            return self.statique_commission(pdc, active=True)
        return 404, {"detail": "Not Found"}


class _Server(httpserve.Server):
    standin: StandIn


class _Handler(httpserve.Handler):
    server: _Server
    server_version = "qualicharge-standin/1"

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if payload is None else orjson.dumps(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _serve(self, method: str) -> None:
        si = self.server.standin
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query)
        fault = si._take_fault(path) if path.startswith(API) else None
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        zipped = "gzip" in self.headers.get("Content-Encoding", "")
        if fault is not None and fault.kind == "drop":  # recorded as status 0, not processed
            with si.lock:
                si.requests.append(Received(method, path, 0, None, zipped))
            self.drop()
            return
        status: int
        payload: Any
        rows: Any = None
        extra: dict[str, str] = {}
        try:
            data = gzip.decompress(raw) if zipped and raw else raw
        except (OSError, EOFError):
            data = b"\x00"
        if path == f"{API}/auth/token" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(data.decode("utf-8", "replace")).items()}
            status, payload = si.token(form)
            rows = [{"username": form.get("username")}]  # never the password
        elif path.startswith("/_admin/"):
            body = orjson.loads(data) if data else None
            status, payload = si.admin(method, path, body)
            self._send(status, payload)
            return
        elif fault is not None and fault.kind in ("429", "503"):
            status, payload = (
                int(fault.kind),
                {"detail": "Too Many Requests" if fault.kind == "429" else "Service Unavailable"},
            )
            if fault.retry_after:
                extra["Retry-After"] = f"{fault.retry_after:g}"
        else:
            denied = si.check_auth(self.headers.get("Authorization"))
            try:
                body = orjson.loads(data) if data else None
            except orjson.JSONDecodeError as exc:
                body = None
                denied = denied or (
                    422,
                    {"detail": [_err(["body", exc.pos], "json_invalid", "JSON decode error", {})]},
                )
            rows = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
            status, payload = denied or si.route(method, path, query, body)
        with si.lock:
            si.requests.append(Received(method, path, status, rows, zipped))
        if fault is not None and fault.kind == "drop_after":
            self.drop()
            return
        self._send(status, payload, extra)


@contextlib.contextmanager
def serve_standin(
    standin: StandIn | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[StandIn]:
    """Serve ``standin`` on a background thread (port 0: a free one); ``.url`` is its root."""
    si = standin or StandIn()
    server = _Server((host, port), _Handler)
    server.standin = si
    si.url = f"http://{host}:{server.server_address[1]}"
    with httpserve.serving(server, "qualicharge-standin"):
        yield si


def serve_forever(standin: StandIn, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve in the foreground until interrupted (the ``qualicharge-standin`` command)."""
    with serve_standin(standin, host, port) as si:
        ready(si.url)
        httpserve.wait_for_interrupt()
