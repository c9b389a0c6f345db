"""Hand-made OCPI objects, the same facts served in the 2.1.1, 2.2.1 and 2.3.0 shapes."""

from __future__ import annotations

from typing import Any

VERSIONS = ("2.1.1", "2.2.1", "2.3.0")


def location(
    version: str,
    *,
    id: str = "LOC1",
    last_updated: str = "2024-03-01T10:00:00Z",
    status1: str = "AVAILABLE",
    status2: str = "CHARGING",
    evse_updated: str | None = None,
) -> dict[str, Any]:
    evse_updated = evse_updated or last_updated
    c1: dict[str, Any] = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "last_updated": evse_updated,
    }
    c2: dict[str, Any] = {
        "id": "1",
        "standard": "IEC_62196_T2_COMBO",
        "format": "CABLE",
        "power_type": "DC",
        "last_updated": evse_updated,
    }
    if version == "2.1.1":
        c1.update(voltage=230, amperage=32, tariff_id="T1")
        c2.update(voltage=500, amperage=100, tariff_id="T1")
    else:
        c1.update(max_voltage=230, max_amperage=32, tariff_ids=["T1"])
        c2.update(max_voltage=500, max_amperage=100, max_electric_power=50000, tariff_ids=["T1"])
    if version == "2.1.1":  # no max_electric_power: derived 500 V × 100 A = 50 kW
        pass
    evses = [
        {
            "uid": "E1",
            "evse_id": "FR*SIM*E1",
            "status": status1,
            "capabilities": ["RFID_READER"],
            "connectors": [c1],
            "last_updated": evse_updated,
        },
        {
            "uid": "E2",
            "evse_id": "FR*SIM*E2",
            "status": status2,
            "connectors": [c2],
            "last_updated": evse_updated,
        },
    ]
    obj: dict[str, Any] = {
        "id": id,
        "name": "Gare",
        "address": "1 rue de la Gare",
        "city": "Lyon",
        "postal_code": "69001",
        "country": "FRA",
        "coordinates": {"latitude": "45.760000", "longitude": "4.860000"},
        "operator": {"name": "Opé"},
        "evses": evses,
        "time_zone": "Europe/Paris",
        "opening_times": {"twentyfourseven": True},
        "last_updated": last_updated,
    }
    if version == "2.1.1":
        obj["type"] = "PARKING_LOT"
        obj["last_updated"] = last_updated.rstrip("Z")  # 2.1.1 in the wild: no Z, UTC implied
    else:
        obj.update(country_code="FR", party_id="SIM", publish=True, parking_type="PARKING_LOT")
    return obj


def session(
    version: str,
    *,
    id: str = "S1",
    kwh: float = 12.5,
    start: str = "2024-03-01T10:00:00Z",
    end: str | None = "2024-03-01T11:30:00Z",
    last_updated: str = "2024-03-01T11:30:00Z",
    status: str = "COMPLETED",
    evse_uid: str = "E1",
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": id,
        "kwh": kwh,
        "auth_method": "WHITELIST",
        "currency": "EUR",
        "status": status,
        "last_updated": last_updated,
    }
    if version == "2.1.1":
        obj.update(
            start_datetime=start,
            end_datetime=end,
            auth_id="FR-SIM-C0001",
            total_cost=4.2,
            location={
                "id": "LOC1",
                "evses": [{"uid": evse_uid, "evse_id": "FR*SIM*E1", "connectors": [{"id": "1"}]}],
            },
        )
    else:
        obj.update(
            country_code="FR",
            party_id="SIM",
            start_date_time=start,
            end_date_time=end,
            cdr_token={
                "country_code": "FR",
                "party_id": "EMS",
                "uid": "U1",
                "type": "RFID",
                "contract_id": "FR-SIM-C0001",
            },
            location_id="LOC1",
            evse_uid=evse_uid,
            connector_id="1",
        )
        obj["total_cost"] = (
            {"excl_vat": 4.2, "incl_vat": 5.04}
            if version == "2.2.1"
            else {"before_taxes": 4.2, "taxes": [{"name": "VAT", "amount": 0.84}]}
        )
    if end is None:
        obj.pop("end_datetime", None)
        obj.pop("end_date_time", None)
    return obj


def cdr(version: str, *, id: str = "C1") -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": id,
        "start_date_time": "2024-03-01T10:00:00Z",
        "auth_method": "WHITELIST",
        "currency": "EUR",
        "total_energy": 12.5,
        "total_time": 1.5,
        "total_parking_time": 0.25,
        "last_updated": "2024-03-01T12:00:00Z",
        "charging_periods": [
            {
                "start_date_time": "2024-03-01T10:00:00Z",
                "dimensions": [{"type": "ENERGY", "volume": 12.5}],
            }
        ],
    }
    if version == "2.1.1":
        obj.update(
            stop_date_time="2024-03-01T11:30:00Z",
            auth_id="FR-SIM-C0001",
            total_cost=4.2,
            location={
                "id": "LOC1",
                "evses": [
                    {
                        "uid": "E1",
                        "evse_id": "FR*SIM*E1",
                        "connectors": [
                            {
                                "id": "1",
                                "standard": "IEC_62196_T2",
                                "format": "SOCKET",
                                "power_type": "AC_3_PHASE",
                            }
                        ],
                    }
                ],
            },
        )
    else:
        obj.update(
            country_code="FR",
            party_id="SIM",
            end_date_time="2024-03-01T11:30:00Z",
            session_id="S1",
            cdr_token={
                "country_code": "FR",
                "party_id": "EMS",
                "uid": "U1",
                "type": "RFID",
                "contract_id": "FR-SIM-C0001",
            },
            cdr_location={
                "id": "LOC1",
                "evse_uid": "E1",
                "evse_id": "FR*SIM*E1",
                "connector_id": "1",
                "connector_standard": "IEC_62196_T2",
                "connector_format": "SOCKET",
                "connector_power_type": "AC_3_PHASE",
            },
        )
        obj["total_cost"] = (
            {"excl_vat": 4.2, "incl_vat": 5.04}
            if version == "2.2.1"
            else {"before_taxes": 4.2, "taxes": [{"name": "VAT", "amount": 0.84}]}
        )
    return obj


def tariff(version: str, *, id: str = "T1") -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": id,
        "currency": "EUR",
        "last_updated": "2024-01-01T00:00:00Z",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]}],
    }
    if version != "2.1.1":
        obj.update(country_code="FR", party_id="SIM", type="REGULAR")
    return obj


def token(version: str, *, uid: str = "U1") -> dict[str, Any]:
    obj: dict[str, Any] = {
        "uid": uid,
        "type": "RFID",
        "issuer": "EMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2024-01-01T00:00:00Z",
    }
    if version == "2.1.1":
        obj["auth_id"] = "FR-SIM-C0001"
    else:
        obj.update(country_code="FR", party_id="SIM", contract_id="FR-SIM-C0001")
    return obj
