"""The stand-in follows the published QualiCharge contract: auth, status codes, bulk limit,
validation errors in FastAPI's shape, gzip bodies, duplicates (statique upserted, sessions
stored twice as the real API does), the admin record and faults."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from ocpiwh.push.standin import (
    API,
    StandIn,
    serve_standin,
    validate_session,
    validate_statique,
    validate_status,
)

STATIQUE: dict[str, Any] = {
    "nom_amenageur": "Aménageur SAS",
    "siren_amenageur": "130025265",
    "contact_amenageur": "a@example.fr",
    "nom_operateur": "Op",
    "contact_operateur": "o@example.fr",
    "telephone_operateur": "+33123456789",
    "nom_enseigne": "Enseigne",
    "id_station_itinerance": "FRABCP0001",
    "id_station_local": None,
    "nom_station": "Station",
    "implantation_station": "Voirie",
    "adresse_station": "1 rue X 75011 Paris",
    "code_insee_commune": "75111",
    "coordonneesXY": "[2.35, 48.85]",
    "nbre_pdc": 1,
    "id_pdc_itinerance": "FRABCE0001",
    "id_pdc_local": None,
    "puissance_nominale": 22.0,
    "prise_type_ef": False,
    "prise_type_2": True,
    "prise_type_combo_ccs": False,
    "prise_type_chademo": False,
    "prise_type_autre": False,
    "gratuit": None,
    "paiement_acte": True,
    "paiement_cb": None,
    "paiement_autre": None,
    "tarification": None,
    "condition_acces": "Accès libre",
    "reservation": False,
    "horaires": "24/7",
    "accessibilite_pmr": "Accessibilité inconnue",
    "restriction_gabarit": "Aucune",
    "station_deux_roues": False,
    "raccordement": "Indirect",
    "num_pdl": None,
    "date_mise_en_service": None,
    "observations": None,
    "date_maj": "2026-01-01",
    "cable_t2_attache": None,
}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def api() -> Iterator[tuple[StandIn, httpx.Client]]:
    with serve_standin(StandIn({"u": "p"})) as si, httpx.Client(base_url=si.url) as http:
        token = http.post(f"{API}/auth/token", data={"username": "u", "password": "p"}).json()
        assert token["token_type"] == "bearer"
        http.headers["Authorization"] = f"Bearer {token['access_token']}"
        yield si, http


def test_auth(api: tuple[StandIn, httpx.Client]) -> None:
    si, _http = api
    bad = httpx.post(f"{si.url}{API}/auth/token", data={"username": "u", "password": "x"})
    assert bad.status_code == 401
    assert bad.json() == {"message": "Authentication failed: Wrong login or password"}
    missing = httpx.post(f"{si.url}{API}/auth/token", data={"username": "u"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "password"]
    anon = httpx.post(f"{si.url}{API}/statique/bulk", json=[STATIQUE])
    assert anon.status_code == 401 and anon.json() == {"detail": "Not authenticated"}
    assert all(r.rows != [{"username": "u", "password": "p"}] for r in si.requests)


def test_statique_bulk_put_get_and_upsert(api: tuple[StandIn, httpx.Client]) -> None:
    si, http = api
    body = gzip.compress(orjson.dumps([STATIQUE, {**STATIQUE, "id_pdc_itinerance": "FRABCE0002"}]))
    r = http.post(f"{API}/statique/bulk", content=body, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 201
    assert r.json() == {
        "message": "Statique items created",
        "items": ["FRABCE0001", "FRABCE0002"],
        "size": 2,
    }
    again = http.post(f"{API}/statique/bulk", json=[STATIQUE])  # a duplicate: upserted
    assert again.status_code == 201 and len(si.statique) == 2
    changed = {**STATIQUE, "nom_station": "Autre"}
    assert http.put(f"{API}/statique/FRABCE0001", json=changed).status_code == 200
    assert http.get(f"{API}/statique/FRABCE0001").json()["nom_station"] == "Autre"
    assert http.put(f"{API}/statique/FRABCE0002", json=changed).status_code == 406
    unknown = {**STATIQUE, "id_pdc_itinerance": "FRABCE0009"}
    assert http.put(f"{API}/statique/FRABCE0009", json=unknown).status_code == 404
    assert http.get(f"{API}/statique/FRABCE0009").status_code == 404


def test_validation_errors_have_the_api_shape(api: tuple[StandIn, httpx.Client]) -> None:
    si, http = api
    bad = {**STATIQUE, "id_pdc_itinerance": "XX123", "date_maj": "2999-01-01"}
    del bad["nom_station"]
    r = http.post(f"{API}/statique/bulk", json=[STATIQUE, bad])
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert {tuple(e["loc"]) for e in detail} >= {
        ("body", 1, "id_pdc_itinerance"),
        ("body", 1, "date_maj"),
        ("body", 1, "nom_station"),
    }
    assert all({"type", "loc", "msg", "input"} <= set(e) for e in detail)
    assert not si.statique  # the whole chunk is refused
    too_many = http.post(f"{API}/statique/bulk", json=[STATIQUE] * 11)
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["type"] == "too_long"
    assert http.post(f"{API}/statique/bulk", json=[]).json()["detail"][0]["type"] == "too_short"
    siren = http.post(f"{API}/statique/bulk", json=[{**STATIQUE, "siren_amenageur": "130025266"}])
    assert siren.status_code == 422


def test_dynamic_routes(api: tuple[StandIn, httpx.Client]) -> None:
    si, http = api
    now = datetime.now(UTC)
    status = {
        "id_pdc_itinerance": "FRABCE0001",
        "etat_pdc": "en_service",
        "occupation_pdc": "libre",
        "horodatage": _iso(now - timedelta(hours=1)),
    }
    session = {
        "id_pdc_itinerance": "FRABCE0001",
        "start": _iso(now - timedelta(hours=3)),
        "end": _iso(now - timedelta(hours=2)),
        "energy": 12.5,
    }
    undeclared = http.post(f"{API}/dynamique/session/bulk", json=[session])
    assert undeclared.status_code == 404
    http.post(f"{API}/statique/bulk", json=[STATIQUE])
    r = http.post(f"{API}/dynamique/status/bulk", json=[status])
    assert r.status_code == 201 and r.json()["size"] == 1
    for _ in range(2):  # the real API stores a duplicate session a second time
        assert http.post(f"{API}/dynamique/session/bulk", json=[session]).status_code == 201
    assert len(si.sessions) == 2
    hist = http.get(
        f"{API}/dynamique/status/FRABCE0001/history", params={"from": status["horodatage"]}
    )
    assert hist.json() == [status]
    old = {**status, "horodatage": _iso(now - timedelta(days=2))}
    assert http.post(f"{API}/dynamique/status/bulk", json=[old]).status_code == 422
    naive = {**session, "start": session["start"].rstrip("Z")}
    assert (
        http.post(f"{API}/dynamique/session/bulk", json=[naive]).json()["detail"][0]["type"]
        == "timezone_aware"
    )
    backwards = {**session, "start": session["end"], "end": session["start"]}
    assert http.post(f"{API}/dynamique/session/bulk", json=[backwards]).status_code == 422


def test_faults_and_admin(api: tuple[StandIn, httpx.Client]) -> None:
    si, http = api
    assert http.post("/_admin/faults", json=[{"kind": "429", "retry_after": 2}]).status_code == 204
    r = http.post(f"{API}/statique/bulk", json=[STATIQUE])
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    si.add_fault("503")
    assert http.post(f"{API}/statique/bulk", json=[STATIQUE]).status_code == 503
    si.add_fault("drop")
    with pytest.raises(httpx.TransportError):
        http.post(f"{API}/statique/bulk", json=[STATIQUE])
    assert not si.statique
    si.add_fault("drop_after")
    with pytest.raises(httpx.TransportError):
        http.post(f"{API}/statique/bulk", json=[STATIQUE])
    assert list(si.statique) == ["FRABCE0001"]
    http.post("/_admin/reject", json=["FRABCE0001"])
    assert http.post(f"{API}/statique/bulk", json=[STATIQUE]).status_code == 422
    record = http.get("/_admin/requests").json()
    assert [r["status"] for r in record if r["path"] == f"{API}/statique/bulk"] == [
        429,
        503,
        0,
        201,
        422,
    ]


def test_validators_refuse_values_outside_the_enums() -> None:
    now = datetime.now(UTC)
    status = {
        "id_pdc_itinerance": "FRABCE0001",
        "etat_pdc": "en_panne",
        "occupation_pdc": "libre",
        "horodatage": _iso(now - timedelta(minutes=5)),
        "etat_prise_type_2": None,  # optional
        "etat_prise_type_ef": "cassée",
    }
    errors = validate_status(status, 3, now, timedelta(days=1))
    assert [(e["type"], e["loc"], e["input"]) for e in errors] == [
        ("enum", ["body", 3, "etat_pdc"], "en_panne"),
        ("enum", ["body", 3, "etat_prise_type_ef"], "cassée"),
    ]
    assert errors[0]["msg"] == "Input should be 'en_service', 'hors_service', 'inconnu'"
    errors = validate_statique({**STATIQUE, "raccordement": "Aérien"}, 0, now.date())
    assert [(e["type"], e["loc"]) for e in errors] == [("enum", ["body", 0, "raccordement"])]
    assert (
        validate_status({**status, "id_pdc_itinerance": 7}, 0, now, timedelta(days=1))[0]["type"]
        == "string_pattern_mismatch"
    )
    assert validate_session({"id_pdc_itinerance": "FRABCE0001"}, 1, now, timedelta(days=1)) == [
        {"type": "missing", "loc": ["body", 1, f], "msg": "Field required", "input": None}
        for f in ("start", "end", "energy")
    ]


def test_decommission_and_recommission(api: tuple[StandIn, httpx.Client]) -> None:
    """DELETE /statique/{id} soft-deletes (GET, PUT and dynamic rows then 404), twice is a
    no-op, POST …/up brings it back; a bulk upsert leaves it decommissioned; an account
    without static:delete gets 403 (routers/static.py: decommission, recommission)."""
    si, http = api
    assert http.delete(f"{API}/statique/FRABCE0001").json() == {
        "detail": "Target charge point does not exist"
    }
    assert http.post(f"{API}/statique/bulk", json=[STATIQUE]).status_code == 201
    gone = http.delete(f"{API}/statique/FRABCE0001")
    assert gone.status_code == 204 and gone.content == b""
    assert http.delete(f"{API}/statique/FRABCE0001").status_code == 204  # no effect
    assert http.get(f"{API}/statique/FRABCE0001").status_code == 404
    assert http.put(f"{API}/statique/FRABCE0001", json=STATIQUE).status_code == 404
    now = datetime.now(UTC)
    status = {
        "id_pdc_itinerance": "FRABCE0001",
        "etat_pdc": "en_service",
        "occupation_pdc": "libre",
        "horodatage": _iso(now - timedelta(minutes=5)),
        "etat_prise_type_2": "fonctionnel",
    }
    refused = http.post(f"{API}/dynamique/status/bulk", json=[status])
    assert refused.status_code == 404 and "Undeclared" in refused.json()["detail"]
    assert http.post(f"{API}/statique/bulk", json=[STATIQUE]).status_code == 201
    assert http.get(f"{API}/statique/FRABCE0001").status_code == 404  # still decommissioned
    assert http.post(f"{API}/statique/FRABCE0001/up").status_code == 204
    assert http.get(f"{API}/statique/FRABCE0001").status_code == 200
    assert http.post(f"{API}/statique/FRABCE0001/up").status_code == 204  # already active
    assert http.post(f"{API}/statique/FRABCE0009/up").status_code == 404
    assert http.post(f"{API}/dynamique/status/bulk", json=[status]).status_code == 201
    si.can_decommission = False
    denied = http.delete(f"{API}/statique/FRABCE0001")
    assert denied.status_code == 403 and denied.json()["message"].startswith(
        "Unsufficient permissions"
    )
    assert set(si.active_statique()) == {"FRABCE0001"}
