"""Fault control: one dispatcher for every fault, its HTTP endpoint and the fault schedule.

HTTP (on the REST port): ``POST /_sim/fault`` with ``{"action": ..., <params>}`` and
``GET /_sim/state``. Schedule syntax (seconds after start): ``"20:drop,45:blackhole=10,
70:expire_credentials,90:disconnect=0x97"``; ``action=value`` sets the action's main
parameter. ``disconnect`` sends MQTT 5 clients a server DISCONNECT with that reason code (and
``reason``, over HTTP) before closing; MQTT 3.1.1 clients are just closed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .httpio import Request, Response, json_response

if TYPE_CHECKING:  # pragma: no cover
    from .core import Simulator

_log = logging.getLogger("nwp500.simulator.control")

# action -> (main parameter, its type, required?)
ACTIONS: dict[str, tuple[str | None, type | None, bool]] = {
    "drop": (None, None, False),
    "reset": (None, None, False),
    "blackhole": ("seconds", float, False),
    "resume": (None, None, False),
    "refuse_connect": ("count", int, False),
    "allow_connect": (None, None, False),
    "expire_credentials": (None, None, False),
    "expire_tokens": (None, None, False),
    "revoke_refresh_tokens": (None, None, False),
    "takeover": ("client_id", str, False),
    "disconnect": ("reason_code", int, True),
    "cut_every": ("seconds", float, True),
    "cut_stop": (None, None, False),
    "idle_timeout": ("seconds", float, True),
    "device_offline": ("mac", str, False),
    "device_online": ("mac", str, False),
}
EXTRA_PARAMS: dict[str, dict[str, type]] = {
    "takeover": {"hold": float}, "expire_credentials": {"drop": bool}, "disconnect": {"reason": str}}


class FaultError(ValueError):
    pass


def _unknown_action(action: object) -> FaultError:
    return FaultError(f"unknown action {action!r}; one of: {', '.join(sorted(ACTIONS))}")


def normalize(action: Any, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Check an action and its parameters; returns them with types converted."""
    if action not in ACTIONS:
        raise _unknown_action(action)
    main, kind, required = ACTIONS[action]
    allowed = dict(EXTRA_PARAMS.get(action, {}))
    if main is not None:
        assert kind is not None  # ACTIONS gives every main parameter its type
        allowed[main] = kind
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key not in allowed:
            raise FaultError(f"{action}: unexpected parameter {key!r}")
        if value is None:
            continue
        want = allowed[key]
        converted: Any  # its type is the one ``want`` names, known only at run time
        try:
            if want is bool:
                converted = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            elif want is str:
                converted = str(value)
            elif want is int and isinstance(value, str):
                converted = int(value.strip(), 0)  # "0x97" as well as "151"
            else:
                converted = want(value)
        except (TypeError, ValueError):
            raise FaultError(f"{action}: {key} must be {want.__name__}, got {value!r}") from None
        if want in (int, float) and (not math.isfinite(converted) or converted < 0):
            raise FaultError(f"{action}: {key} must be a non-negative number")
        out[key] = converted
    if required and main not in out:
        raise FaultError(f"{action} needs {main}")
    return action, out


def parse_fault(text: str) -> tuple[str, dict[str, Any]]:
    """``"blackhole=10"`` -> ``("blackhole", {"seconds": 10.0})``."""
    action, sep, value = text.strip().partition("=")
    action = action.strip()
    main = ACTIONS.get(action, (None, None, False))[0]
    if not sep:
        return normalize(action, {})
    if main is None:
        raise FaultError(f"{action} takes no value")
    return normalize(action, {main: value.strip()})


@dataclass(frozen=True)
class ScheduledFault:
    at: float
    action: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_schedule(text: str) -> list[ScheduledFault]:
    items = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        when, sep, what = part.partition(":")
        if not sep:
            raise FaultError(f"schedule entry {part!r} is not SECONDS:ACTION[=VALUE]")
        try:
            at = float(when)
        except ValueError:
            raise FaultError(f"schedule entry {part!r}: {when!r} is not a number of seconds") from None
        if not math.isfinite(at) or at < 0:
            raise FaultError(f"schedule entry {part!r}: time must be >= 0")
        action, params = parse_fault(what)
        items.append(ScheduledFault(at, action, params))
    return sorted(items, key=lambda i: i.at)


async def apply_fault(sim: "Simulator", action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Carry out one fault; returns once it has taken effect, with what it did."""
    action, params = normalize(action, params)
    front, store = sim.front, sim.store
    if front is None:
        raise RuntimeError("simulator is not running")
    _log.info("fault %s %s", action, params or "")
    if action == "drop":
        return {"dropped": await front.drop()}
    if action == "reset":
        return {"reset": await front.reset()}
    if action == "blackhole":
        return {"blackholed": front.blackhole(params.get("seconds")), "seconds": params.get("seconds")}
    if action == "resume":
        front.resume()
        return {}
    if action == "refuse_connect":
        front.refuse_connect(params.get("count"))
        return {"refusing": params.get("count", "all")}
    if action == "allow_connect":
        front.allow_connect()
        return {}
    if action == "expire_credentials":
        result: dict[str, Any] = {"expired": store.expire_aws_credentials()}
        if params.get("drop"):
            result["dropped"] = await front.drop()
        return result
    if action == "expire_tokens":
        return {"expired": store.expire_access_tokens()}
    if action == "revoke_refresh_tokens":
        return {"revoked": store.revoke_refresh_tokens()}
    if action == "takeover":
        return {"taken_over": await front.takeover(params.get("client_id"), params.get("hold", 0.0))}
    if action == "disconnect":
        code = params["reason_code"]
        if code > 255:
            raise FaultError(f"disconnect: reason_code must be one byte, got {code}")
        return {"disconnected": await front.server_disconnect(code, params.get("reason")), "reason_code": code}
    if action == "cut_every":
        front.cut_every(params["seconds"])
        return {"cut_every": params["seconds"]}
    if action == "cut_stop":
        front.cut_every(None)
        return {}
    if action == "idle_timeout":
        front.idle_timeout(params["seconds"] or None)
        return {"idle_timeout": params["seconds"] or None}
    # device_offline / device_online
    macs = [d for d in sim.devices_emulated if params.get("mac") in (None, d.spec.mac_address)]
    if not macs:
        raise FaultError(f"{action}: no device {params.get('mac')!r}")
    for d in macs:
        d.offline = action == "device_offline"
    return {"devices": [d.spec.mac_address for d in macs]}


async def run_schedule(sim: "Simulator", items: list[ScheduledFault], started_at: float) -> None:
    """Apply each fault at ``started_at + at`` (``time.monotonic()`` clock)."""
    for item in items:
        delay = started_at + item.at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        entry: dict[str, Any] = {"at": round(time.monotonic() - started_at, 3), "action": item.action,
                                 "params": item.params, "result": None, "scheduled": True}
        sim.fault_log.append(entry)  # logged as it starts; the result is filled in after
        try:
            entry["result"] = await apply_fault(sim, item.action, dict(item.params))
        except Exception as exc:  # noqa: BLE001 - one bad entry must not end the schedule
            entry["result"] = {"error": str(exc)}
            _log.warning("scheduled fault %s failed: %s", item.action, exc)


class ControlApi:
    """``/_sim/...`` on the REST server."""

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim

    async def handle(self, req: Request) -> Response | None:
        path = req.path.rstrip("/")
        if not path.startswith("/_sim"):
            return None
        if path == "/_sim/state" and req.method == "GET":
            return json_response(200, {"code": 200, "msg": "SUCCESS", "data": self.sim.state()})
        if path == "/_sim/fault" and req.method == "POST":
            body = req.json()
            if not isinstance(body, dict):
                return json_response(400, {"code": 400, "msg": "body must be a JSON object", "data": None})
            action = body.get("action")
            params = {k: v for k, v in body.items() if k != "action"}
            try:
                if not isinstance(action, str):  # JSON can hold anything; fault() takes a name
                    raise _unknown_action(action)
                result = await self.sim.fault(action, **params)
            except FaultError as exc:
                return json_response(400, {"code": 400, "msg": str(exc), "data": None})
            return json_response(200, {"code": 200, "msg": "SUCCESS", "data": result})
        return json_response(404, {"code": 404, "msg": "NOT_FOUND", "data": None})
