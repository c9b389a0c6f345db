"""Byte renderers for the hot listings: sessions and CDRs straight to JSON text.

The dict renderers in :mod:`.render_sessions` are the reference. A well-formed, non-dirty session or
CDR is rendered here from precompiled per-connector ``%`` templates (every static fragment
— party, location, EVSE, connector, tariff — is JSON-encoded once), a handful of number
formats and one join. The output is byte-identical to ``orjson.dumps`` of the reference
dict (the tests check it object by object); dirty, malformed, waiting, metered, re-timed,
credit or otherwise unusual objects fall back to the reference renderer.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from .formats import MIN_CACHE, SEC_Z, iso
from .hashing import mix
from .keys import CREDIT_BIT
from .render_locations import cdr_location, embedded_location_211
from .render_sessions import render_cdr, render_session
from .state import WorldState
from .tariffs import tariff_obj

_AM_211 = ("WHITELIST", "AUTH_REQUEST", "AUTH_REQUEST", "AUTH_REQUEST")
_AM = ("WHITELIST", "AUTH_REQUEST", "AUTH_REQUEST", "COMMAND")
_M40 = 0xFFFFFFFFFF
_CACHE_MAX = 1 << 18
VERSION_INDEX = {"2.1.1": 0, "2.2.1": 1, "2.3.0": 2}


def round2(v: float) -> float:
    """``round(v, 2)`` for v >= 0, faster: k / 100 with k the integer nearest to v * 100,
    except within 1e-9 of a tie, where only ``round`` knows the exact decimal value.
    (Inlined in the loops below; tests check it against ``round``.)"""
    y = v * 100.0 + 0.5
    k = int(y)
    return k / 100 if 1e-9 < y - k < 0.999999999 else round(v, 2)


def _j(value: object) -> str:
    """JSON text of a value, ``%``-escaped for use inside a template."""
    return orjson.dumps(value).decode().replace("%", "%%")


class _SessionTemplates:
    """Per (version, connector): templates of a COMPLETED and of an ACTIVE session."""

    __slots__ = ("active", "done", "done_idle", "energy", "flat", "free", "parking")

    def __init__(self, w: WorldState, version: str, g: int) -> None:
        conn = w.conns[g]
        loc = w.locations[conn.loc]
        t = w.tariffs[conn.tariff]
        self.energy, self.parking, self.free, self.flat = (
            t.energy,
            t.parking,
            t.parking_free_h,
            t.flat,
        )
        v211 = version == "2.1.1"
        if v211:
            head = '{"id":"S%09d","start_datetime":"%s"'
            end = ',"end_datetime":"%s"'
            # auth_id (a JSON string), auth_method
            tok = ',"auth_id":%s,"auth_method":"%s"'
            where = ',"location":' + _j(embedded_location_211(w, conn)) + "%s"  # meter
            tid = ""
        else:
            head = (
                '{"country_code":'
                + _j(loc.cc)
                + ',"party_id":'
                + _j(loc.pid)
                + ',"id":"S%09d","start_date_time":"%s"'
            )
            end = ',"end_date_time":"%s"'
            tok = ',"cdr_token":%s,"auth_method":"%s"%s'  # cdr_token, am, aref
            where = (
                ',"location_id":'
                + _j(loc.id)
                + ',"evse_uid":'
                + _j(w.evses[conn.evse].uid)
                + ',"connector_id":'
                + _j(conn.cid)
                + "%s"  # meter
            )
            tid = ',"tariff_id":' + _j(t.id)
        p1 = (
            '{"start_date_time":"%s","dimensions":[{"type":"ENERGY","volume":%s},'
            '{"type":"TIME","volume":%s}]' + tid + "}"
        )
        p2 = (
            ',{"start_date_time":"%s","dimensions":[{"type":"PARKING_TIME","volume":%s}]'
            + tid
            + "}"
        )
        if v211:
            cost = ',"total_cost":%r'
        elif version == "2.2.1":
            cost = ',"total_cost":{"excl_vat":%r,"incl_vat":%r}'
        else:
            cost = (
                ',"total_cost":{"before_taxes":%r,"taxes":[{"name":"TVA","percentage":20.0,'
                '"amount":%r}]}'
            )
        tail_done = ',"status":"COMPLETED","last_updated":"%s"}'
        mid = ',"kwh":%s' + tok + where + ',"currency":"EUR"'
        self.done = head + end + mid + ',"charging_periods":[' + p1 + "]" + cost + tail_done
        self.done_idle = (
            head + end + mid + ',"charging_periods":[' + p1 + p2 + "]" + cost + tail_done
        )
        self.active = (
            head
            + mid.replace('"kwh":%s', '"kwh":0.0', 1)
            + ',"charging_periods":[],"status":"ACTIVE","last_updated":"%s"}'
        )


def _price(version: str, excl: float) -> str:
    """``render_sessions.price`` as JSON text (2.2.1 / 2.3.0)."""
    incl = round(excl * 1.2, 2)
    if version == "2.2.1":
        return f'{{"excl_vat":{excl!r},"incl_vat":{incl!r}}}'
    return (
        f'{{"before_taxes":{excl!r},"taxes":[{{"name":"TVA","percentage":20.0,'
        f'"amount":{round(incl - excl, 2)!r}}}]}}'
    )


class _CdrTemplates:
    """Per (version, connector): the static fragments of a CDR."""

    __slots__ = (
        "energy", "flat", "flat_price", "free", "head", "home", "inv", "loc", "p1", "p2",
        "parking", "tariffs",
    )  # fmt: skip

    def __init__(self, w: WorldState, version: str, g: int) -> None:
        conn = w.conns[g]
        loc = w.locations[conn.loc]
        t = w.tariffs[conn.tariff]
        self.energy, self.parking, self.free, self.flat = (
            t.energy,
            t.parking,
            t.parking_free_h,
            t.flat,
        )
        v211 = version == "2.1.1"
        self.flat_price = "" if v211 else ',"total_fixed_cost":' + _price(version, t.flat)
        if v211:
            # id, start, stop, auth_id, auth_method
            self.head = '{"id":"CDR%09d","start_date_time":"%s","stop_date_time":"%s"' + (
                ',"auth_id":%s,"auth_method":"%s"'
            )
            self.loc = ',"location":' + orjson.dumps(embedded_location_211(w, conn)).decode()
            tid = ""
        else:
            # id, start, end, session id, cdr_token, auth_method, authorization_reference
            self.head = (
                '{"country_code":'
                + _j(loc.cc)
                + ',"party_id":'
                + _j(loc.pid)
                + ',"id":"CDR%09d","start_date_time":"%s","end_date_time":"%s",'
                '"session_id":"S%09d","cdr_token":%s,"auth_method":"%s"%s'
            )
            self.loc = ',"cdr_location":' + orjson.dumps(cdr_location(w, conn)).decode()
            tid = ',"tariff_id":' + _j(t.id)
        self.tariffs = ',"tariffs":[' + orjson.dumps(tariff_obj(t, version)).decode() + "]"
        self.p1 = (
            ',"charging_periods":[{"start_date_time":"%s","dimensions":[{"type":"ENERGY",'
            '"volume":%s},{"type":"TIME","volume":%s}]' + tid + "}"
        )
        self.p2 = (
            ',{"start_date_time":"%s","dimensions":[{"type":"PARKING_TIME","volume":%s}]'
            + tid
            + "}"
        )
        self.inv = f',"invoice_reference_id":"INV-{loc.pid}-%08d"'
        self.home = ',"home_charging_compensation":true' if not loc.publish else ""


class Renderer:
    """Fast byte rendering of session pages (all versions) for one world."""

    def __init__(self, w: WorldState) -> None:
        self.w = w
        self._tpl: dict[str, list[_SessionTemplates | None]] = {}
        self._ctpl: dict[str, list[_CdrTemplates | None]] = {}
        self._tok: dict[str, list[str | None]] = {}
        self._kwh_s: dict[float, str] = {}  # repr() of kWh values
        self._hours_s: dict[int, str] = {}  # seconds -> repr(round(s / 3600, 4))

    def _templates(self, version: str) -> list[_SessionTemplates | None]:
        tpl = self._tpl.get(version)
        if tpl is None:
            tpl = self._tpl[version] = [None] * len(self.w.conns)
        return tpl

    def _tokens(self, version: str) -> list[str | None]:
        toks = self._tok.get(version)
        if toks is None:
            toks = self._tok[version] = [None] * len(self.w.tokens)
        return toks

    def sessions(self, idxs: Sequence[int], version: str) -> bytes:
        """JSON array of the sessions ``idxs`` as served now (``orjson.dumps`` compatible)."""
        w = self.w
        now = w.now
        s_start, s_done, s_kwh, s_conn = w.s_start, w.s_done, w.s_kwh, w.s_conn
        s_charge, s_tok, s_flags = w.s_charge, w.s_tok, w.s_flags
        bumps = w.bumps["sessions"]
        tpls = self._templates(version)
        toks = self._tokens(version)
        kwh_s, hours_s = self._kwh_s, self._hours_s
        if len(kwh_s) > _CACHE_MAX:
            kwh_s.clear()
        if len(hours_s) > _CACHE_MAX:
            hours_s.clear()
        d_salt = w.d_salt
        minutes, secs_z = MIN_CACHE, SEC_Z
        vi = VERSION_INDEX[version]  # 0: 2.1.1, 1: 2.2.1, 2: 2.3.0
        am_table = _AM_211 if vi == 0 else _AM
        out: list[str] = []
        append = out.append
        altered = w.altered
        meter_s = w.meter_s
        for i in idxs:
            if s_flags[i] or (altered and i in altered):
                append(orjson.dumps(render_session(w, i, version)).decode())
                continue
            g = s_conn[i]
            tp = tpls[g]
            if tp is None:
                tp = tpls[g] = _SessionTemplates(w, version, g)
            k = s_tok[i]
            tok = toks[k]
            if tok is None:
                tok = toks[k] = self._token(k, vi)
            start = s_start[i]
            done = s_done[i]
            # one splitmix64 (render_sessions.detail): auth method, authorization reference, meter
            x = (d_salt ^ (i * 7 + 3)) + 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
            x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
            d = x ^ (x >> 31)
            am = am_table[d & 3]
            meter = f',"meter_id":"MTR-{(d >> 50) % 1000000:06d}"' if (d >> 5) & 3 else ""
            aref = (
                f',"authorization_reference":"AR{(d >> 8) & _M40:010X}"'
                if vi and (d >> 4) & 1
                else ""
            )
            if done > now:  # ACTIVE: the template while nothing is metered yet
                if (
                    start > now
                    or (meter_s and now - start >= meter_s)
                    or (bumps and bumps.get(i, 0) > start)
                ):  # waiting, or kWh, periods and cost to show
                    append(orjson.dumps(render_session(w, i, version)).decode())
                    continue
                lu = start
                s0 = iso(start)
                if vi:
                    append(tp.active % (i, s0, tok, am, aref, meter, iso(lu)))
                else:
                    append(tp.active % (i, s0, tok, am, meter, iso(lu)))
                continue
            lu = done
            if bumps:
                b = bumps.get(i)
                if b is not None and b >= lu:
                    lu = b
            kwh = s_kwh[i]
            kr = kwh_s.get(kwh)
            if kr is None:
                kr = kwh_s[kwh] = repr(kwh)
            charge = s_charge[i]
            th = hours_s.get(charge)
            if th is None:
                th = hours_s[charge] = repr(round(charge / 3600, 4))
            idle = done - start - 60 - charge
            # render_sessions.cost, with round(v, 2) as k / 100 (k = nearest integer to v * 100)
            # unless v * 100 is within 1e-9 of a tie, where only round() is exact
            v = kwh * tp.energy
            y = v * 100.0 + 0.5
            k = int(y)
            energy = k / 100 if 1e-9 < y - k < 0.999999999 else round(v, 2)
            ph = idle / 3600 - tp.free
            v = (tp.flat if kwh > 0 else 0.0) + energy
            if ph > 0.0:
                v += round(ph * tp.parking, 2)
            y = v * 100.0 + 0.5
            k = int(y)
            excl = k / 100 if 1e-9 < y - k < 0.999999999 else round(v, 2)
            m, sec = divmod(start, 60)
            p = minutes.get(m)
            s0 = (p + secs_z[sec]) if p is not None else iso(start)
            m, sec = divmod(done, 60)
            p = minutes.get(m)
            s1 = (p + secs_z[sec]) if p is not None else iso(done)
            s2 = iso(lu) if lu != done else s1
            if idle > 0:
                ih = hours_s.get(idle)
                if ih is None:
                    ih = hours_s[idle] = repr(round(idle / 3600, 4))
                m, sec = divmod(start + charge, 60)
                p = minutes.get(m)
                p2 = (p + secs_z[sec]) if p is not None else iso(start + charge)
                if vi == 1:
                    v = excl * 1.2
                    y = v * 100.0 + 0.5
                    k = int(y)
                    incl = k / 100 if 1e-9 < y - k < 0.999999999 else round(v, 2)
                    args: tuple[object, ...] = (
                        i,
                        s0,
                        s1,
                        kr,
                        tok,
                        am,
                        aref,
                        meter,
                        s0,
                        kr,
                        th,
                        p2,
                        ih,
                        excl,
                        incl,
                        s2,
                    )
                elif vi == 2:
                    tax = round(round(excl * 1.2, 2) - excl, 2)
                    args = (i, s0, s1, kr, tok, am, aref, meter, s0, kr, th, p2, ih, excl, tax, s2)
                else:
                    args = (i, s0, s1, kr, tok, am, meter, s0, kr, th, p2, ih, excl, s2)
                append(tp.done_idle % args)
            else:
                if vi == 1:
                    incl = round(excl * 1.2, 2)
                    args = (i, s0, s1, kr, tok, am, aref, meter, s0, kr, th, excl, incl, s2)
                elif vi == 2:
                    tax = round(round(excl * 1.2, 2) - excl, 2)
                    args = (i, s0, s1, kr, tok, am, aref, meter, s0, kr, th, excl, tax, s2)
                else:
                    args = (i, s0, s1, kr, tok, am, meter, s0, kr, th, excl, s2)
                append(tp.done % args)
        return ("[" + ",".join(out) + "]").encode()

    def cdrs(self, idxs: Sequence[int], version: str) -> bytes:
        """JSON array of the CDRs ``idxs`` (``orjson.dumps`` compatible)."""
        w = self.w
        s_start, s_done, s_kwh, s_conn = w.s_start, w.s_done, w.s_kwh, w.s_conn
        s_charge, s_tok, s_flags, c_flags, s_cdr = (
            w.s_charge,
            w.s_tok,
            w.s_flags,
            w.c_flags,
            w.s_cdr,
        )
        tpls = self._ctpl.get(version)
        if tpls is None:
            tpls = self._ctpl[version] = [None] * len(w.conns)
        toks = self._tokens(version)
        kwh_s, hours_s = self._kwh_s, self._hours_s
        if len(kwh_s) > _CACHE_MAX:
            kwh_s.clear()
        if len(hours_s) > _CACHE_MAX:
            hours_s.clear()
        d_salt = w.d_salt
        vi = VERSION_INDEX[version]
        am_table = _AM_211 if vi == 0 else _AM
        out: list[str] = []
        append = out.append
        altered = w.altered
        for i in idxs:
            if i & CREDIT_BIT or s_flags[i] or c_flags[i] or (altered and i in altered):
                append(orjson.dumps(render_cdr(w, i, version)).decode())
                continue
            g = s_conn[i]
            tp = tpls[g]
            if tp is None:
                tp = tpls[g] = _CdrTemplates(w, version, g)
            k = s_tok[i]
            tok = toks[k]
            if tok is None:
                tok = toks[k] = self._token(k, vi)
            start = s_start[i]
            done = s_done[i]
            x = (d_salt ^ (i * 7 + 3)) + 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
            x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
            d = x ^ (x >> 31)
            am = am_table[d & 3]
            meter = f"MTR-{(d >> 50) % 1000000:06d}" if (d >> 5) & 3 else None
            x = (d_salt ^ (i * 11 + 5)) + 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
            x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
            e = x ^ (x >> 31)
            kwh = s_kwh[i]
            kr = kwh_s.get(kwh)
            if kr is None:
                kr = kwh_s[kwh] = repr(kwh)
            charge = s_charge[i]
            th = hours_s.get(charge)
            if th is None:
                th = hours_s[charge] = repr(round(charge / 3600, 4))
            idle = done - start - 60 - charge
            ih = hours_s.get(idle)
            if ih is None:
                ih = hours_s[idle] = repr(round(idle / 3600, 4))
            energy = round(kwh * tp.energy, 2)
            ph = idle / 3600 - tp.free
            parking = round(ph * tp.parking, 2) if ph > 0.0 else 0.0
            flat = tp.flat if kwh > 0 else 0.0
            total = round(flat + energy + parking, 2)
            s0 = iso(start)
            s1 = iso(done)
            parts = [
                tp.head % (i, s0, s1, tok, am)
                if vi == 0
                else tp.head
                % (
                    i,
                    s0,
                    s1,
                    i,
                    tok,
                    am,
                    f',"authorization_reference":"AR{(d >> 8) & _M40:010X}"'
                    if (d >> 4) & 1
                    else "",
                ),
                tp.loc,
            ]
            if meter:
                parts.append(f',"meter_id":"{meter}"')
            parts.append(',"currency":"EUR"')
            if (e & 3) == 0:
                parts.append(tp.tariffs)
            parts.append(tp.p1 % (s0, kr, th))
            if idle > 0:
                parts.append(tp.p2 % (iso(start + charge), ih))
            parts.append("]")
            tt = charge + idle
            hours = hours_s.get(tt)
            if hours is None:
                hours = hours_s[tt] = repr(round(tt / 3600, 4))
            pt = repr(round(idle / 3600, 4)) if idle <= 0 else ih
            if vi == 0:
                parts.append(
                    f',"total_cost":{total!r},"total_energy":{kr},"total_time":{hours},'
                    f'"total_parking_time":{pt}'
                )
            else:
                if (e >> 2) & 3 == 0:
                    mv = meter or "MTR"
                    parts.append(
                        ',"signed_data":'
                        + orjson.dumps(
                            {
                                "encoding_method": "OCMF",
                                "encoding_method_version": 1,
                                "public_key": f"3059301306072A8648CE3D0201{(e >> 8):016X}",
                                "signed_values": [
                                    {
                                        "nature": "Start",
                                        "plain_data": f'OCMF|{{"MV":"{mv}","RD":[{{"TM":"{s0}",'
                                        f'"RV":0}}]}}',
                                        "signed_data": f"3045022100{mix(e):016X}{mix(e + 1):016X}",
                                    },
                                    {
                                        "nature": "End",
                                        "plain_data": f'OCMF|{{"MV":"{mv}","RD":[{{"TM":"{s1}",'
                                        f'"RV":{kwh}}}]}}',
                                        "signed_data": f"3045022100{mix(e + 2):016X}"
                                        f"{mix(e + 3):016X}",
                                    },
                                ],
                            }
                        ).decode()
                    )
                parts.append(',"total_cost":' + _price(version, total))
                if flat:
                    parts.append(tp.flat_price)
                parts.append(',"total_energy_cost":' + _price(version, energy))
                if parking:
                    parts.append(',"total_parking_cost":' + _price(version, parking))
                parts.append(f',"total_energy":{kr},"total_time":{hours},"total_parking_time":{pt}')
                if (e >> 4) & 1:
                    parts.append(tp.inv % ((e >> 16) % 100000000))
                parts.append(',"credit":false')
                parts.append(tp.home)
            parts.append(',"last_updated":"')
            parts.append(iso(s_cdr[i]))
            parts.append('"}')
            append("".join(parts))
        return ("[" + ",".join(out) + "]").encode()

    def _token(self, k: int, vi: int) -> str:
        w = self.w
        if vi == 0:
            return orjson.dumps(w.tokens[k].contract_id).decode()
        return orjson.dumps(w.token_cdr[k]).decode()
