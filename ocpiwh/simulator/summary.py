"""Ground-truth figures of the world: counts, kWh per party, dirty and malformed ids."""

from __future__ import annotations

from typing import Any

from ocpiwh.paths import MODULES

from .config import MALFORMED_KINDS
from .dirt import CDR_DIRT, CONTENT_DIRT, SESSION_DIRT
from .formats import iso
from .names import PLATFORM_PARTY
from .session_model import (
    ACTIVE,
    DONE,
    HIDDEN,
    RESERVATION,
    WAITING,
    core,
    energy_at,
    phase_at,
    pre_phase,
    s_lu,
)
from .state import WorldState


def malformed_kind(st: WorldState, module: str, idx: int) -> str | None:
    if module == "sessions":
        m = st.s_flags[idx] >> 4
        return MALFORMED_KINDS[m - 1] if m else None
    if module == "cdrs":
        m = st.c_flags[idx] >> 4
        return MALFORMED_KINDS[m - 1] if m else None
    kinds = {"locations": st.loc_kind, "tariffs": st.tariff_kind, "tokens": st.token_kind}
    return kinds[module][idx][1]


def summary(st: WorldState) -> dict[str, Any]:
    now = st.now
    dirty: dict[str, dict[str, list[str]]] = {m: {} for m in MODULES}
    malformed: dict[str, dict[str, list[str]]] = {m: {} for m in MODULES}
    kwh_s: dict[str, float] = {}
    kwh_c: dict[str, float] = {}
    status: dict[str, int] = {"PENDING": 0, "RESERVATION": 0, "ACTIVE": 0, "COMPLETED": 0}
    n_sessions = n_cdrs = 0
    credits: list[str] = []
    for i in range(st.n_sessions):
        phase = phase_at(st, i, now)
        if phase == HIDDEN:
            continue
        n_sessions += 1
        sid = f"S{i:09d}"
        fl = st.s_flags[i]
        d, m = fl & 0xF, fl >> 4
        completed = phase == DONE
        if phase == WAITING:
            status["RESERVATION" if pre_phase(st, i)[0] == RESERVATION else "PENDING"] += 1
        else:
            status["COMPLETED" if completed else "ACTIVE"] += 1
        party = st.conn_party[st.s_conn[i]]
        content_kind = SESSION_DIRT[d - 1] if d else None
        if m:
            malformed["sessions"].setdefault(MALFORMED_KINDS[m - 1], []).append(sid)
        else:
            if content_kind:
                dirty["sessions"].setdefault(content_kind, []).append(sid)
            if completed:
                kwh_s[party] = kwh_s.get(party, 0.0) + st.s_kwh[i]
            elif phase == ACTIVE:  # as served: the last meter reading
                kwh = energy_at(core(st, i), s_lu(st, i))[0]
                kwh_s[party] = kwh_s.get(party, 0.0) + kwh
            else:
                kwh_s.setdefault(party, 0.0)
        if completed and st.s_cdr[i] <= now:
            n_cdrs += 1
            cid = f"CDR{i:09d}"
            cf = st.c_flags[i]
            cd, cm = cf & 0xF, cf >> 4
            if cm:
                malformed["cdrs"].setdefault(MALFORMED_KINDS[cm - 1], []).append(cid)
                continue
            if cd:
                dirty["cdrs"].setdefault(CDR_DIRT[cd - 1], []).append(cid)
            if content_kind in CONTENT_DIRT:
                dirty["cdrs"].setdefault(content_kind, []).append(cid)
            kwh_c[party] = kwh_c.get(party, 0.0) + st.s_kwh[i]
            at = st.credit_at.get(i)
            if at is not None and at <= now:  # served too, with the same total_energy
                n_cdrs += 1
                credits.append(f"{cid}-CREDIT")
                kwh_c[party] += st.s_kwh[i]
    for module, kinds, objs in (
        ("locations", st.loc_kind, [x.id for x in st.locations]),
        ("tariffs", st.tariff_kind, [x.id for x in st.tariffs]),
        ("tokens", st.token_kind, [x.uid for x in st.tokens]),
    ):
        for (dk, mk), oid in zip(kinds, objs, strict=True):
            if mk:
                malformed[module].setdefault(mk, []).append(oid)
            elif dk:
                dirty[module].setdefault(dk, []).append(oid)
    counts = {
        "locations": len(st.locations),
        "evses": len(st.evses),
        "connectors": len(st.conns),
        "sessions": n_sessions,
        "cdrs": n_cdrs,
        "tariffs": len(st.tariffs),
        "tokens": len(st.tokens) if st.cfg.expose_tokens else 0,
    }
    if not st.cfg.expose_tokens:
        dirty["tokens"] = {}
        malformed["tokens"] = {}
    wellformed = {m: counts[m] - sum(len(v) for v in malformed[m].values()) for m in MODULES}
    return {
        "seed": st.cfg.seed,
        "start": iso(st.t0),
        "now": iso(now),
        "platform_party": "*".join(PLATFORM_PARTY),
        "counts": counts,
        "wellformed_counts": wellformed,
        "sessions_by_status": status,
        "kwh": {
            "sessions": {k: round(v, 3) for k, v in sorted(kwh_s.items())},
            "cdrs": {k: round(v, 3) for k, v in sorted(kwh_c.items())},
        },
        "dirty": dirty,
        "malformed": malformed,
        "credit_cdrs": credits,
    }
