"""The Navien REST API of the simulated cloud (``/api/v2.1``), with the real response shapes.

Every answer is ``Content-Type: application/json`` with ``{"code": int, "msg": str, "data": ...}``
and the same number as HTTP status on errors. Device endpoints need the raw access token in
the ``authorization`` header (a ``Bearer`` prefix is tolerated).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Sequence

from ..encoding import encode_week_bitfield
from .device import DeviceSpec
from .httpio import HttpError, Request, Response, json_response
from .tokens import AuthFailure, CredentialStore

_log = logging.getLogger("nwp500.simulator.rest")

BASE_PATH = "/api/v2.1"


def ok(data: Any = None, *, with_data: bool = True) -> Response:
    body: dict[str, Any] = {"code": 200, "msg": "SUCCESS"}
    if with_data:
        body["data"] = data
    return json_response(200, body)


def error(status: int, msg: str) -> Response:
    return json_response(status, {"code": status, "msg": msg, "data": None})


def device_object(spec: DeviceSpec) -> dict[str, Any]:
    return {
        "deviceInfo": {"homeSeq": spec.home_seq, "macAddress": spec.mac_address,
                       "additionalValue": spec.additional_value, "deviceType": spec.device_type,
                       "deviceName": spec.device_name, "connected": 2, "installType": "R"},
        "location": {"state": "California", "city": "Anytown", "address": "123 Main Street",
                     "latitude": 34.052235, "longitude": -118.243683, "altitude": None},
    }


def firmware_objects(spec: DeviceSpec) -> list[dict[str, Any]]:
    common = {"macAddress": spec.mac_address, "additionalValue": spec.additional_value,
              "deviceType": spec.device_type, "downloadedVersion": None, "deviceGroup": spec.device_name}
    return [dict(common, curSwCode=1, curVersion=184614912),
            dict(common, curSwCode=4, curVersion=34013184)]


def tou_object(spec: DeviceSpec) -> dict[str, Any]:
    peak = {"week": 62, "startHour": 16, "startMinute": 0, "endHour": 21, "endMinute": 0,
            "priceMin": 38, "priceMax": 52, "decimalPoint": 2}
    off_peak = {"week": 127, "startHour": 0, "startMinute": 0, "endHour": 15, "endMinute": 59,
                "priceMin": 24, "priceMax": 31, "decimalPoint": 2}
    return {"registerPath": "wifi", "sourceType": "openei",
            "touInfo": {"controllerId": spec.serial_number, "manufactureId": spec.serial_number,
                        "name": "E-TOU-C", "utility": "Pacific Gas & Electric Co", "zipCode": 94103,
                        "schedule": [{"season": 4095, "interval": [off_peak, peak]}]}}


EVERY_DAY = encode_week_bitfield(["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
WEEKDAYS = encode_week_bitfield(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])


def converted_plan(item: Any) -> dict[str, Any]:
    """What ``POST /device/tou/convert`` makes of one OpenEI rate plan: the plan's utility and
    name, all year, weekdays 16:00-21:00 at its highest energy rate and the rest at its lowest
    (prices with five decimals, as the real service answers)."""
    item = item if isinstance(item, dict) else {}
    rates = [float(tier["rate"]) for period in item.get("energyratestructure") or [] if isinstance(period, list)
             for tier in period if isinstance(tier, dict) and isinstance(tier.get("rate"), (int, float))]
    low, high = (min(rates), max(rates)) if rates else (0.25, 0.45)

    def period(week: int, start: int, end: int, price: float) -> dict[str, Any]:
        return {"week": week, "startHour": start, "startMinute": 0, "endHour": end, "endMinute": 59,
                "priceMin": round(price * 100000), "priceMax": round(price * 100000), "decimalPoint": 5}

    return {"utility": str(item.get("utility", "")), "name": str(item.get("name", "")),
            "schedule": [{"season": 4095, "interval": [period(EVERY_DAY, 0, 15, low), period(WEEKDAYS, 16, 20, high),
                                                        period(EVERY_DAY, 21, 23, low)]}]}


Route = Callable[[Request], Awaitable[Response]]


class NavienApi:
    """Routes requests under :data:`BASE_PATH`; ``handle`` returns ``None`` for other paths."""

    def __init__(self, store: CredentialStore, devices: Sequence[DeviceSpec]) -> None:
        self.store = store
        self.devices = list(devices)
        self.push_tokens: dict[str, str] = {}
        self.tou_plans: dict[str, dict[str, Any]] = {}    # MAC -> what PUT /device/tou stored
        self.calls: dict[str, int] = {}
        self._routes: dict[tuple[str, str], Route] = {
            ("POST", "/user/sign-in"): self.sign_in,
            ("POST", "/auth/refresh"): self.refresh,
            ("POST", "/device/list"): self.device_list,
            ("POST", "/device/info"): self.device_info,
            ("POST", "/device/firmware/info"): self.firmware_info,
            ("GET", "/device/tou"): self.tou_info,
            ("PUT", "/device/tou"): self.tou_update,
            ("POST", "/device/tou/convert"): self.tou_convert,
            ("POST", "/app/update-push-token"): self.push_token,
        }

    async def handle(self, req: Request) -> Response | None:
        path = req.path.rstrip("/")
        if not path.startswith(BASE_PATH + "/"):
            return None
        sub = path[len(BASE_PATH):]
        route = self._routes.get((req.method, sub))
        if route is None:
            if any(p == sub for _, p in self._routes):
                return error(405, "METHOD_NOT_ALLOWED")
            return error(404, "NOT_FOUND")
        self.calls[sub] = self.calls.get(sub, 0) + 1
        return await route(req)

    @staticmethod
    def _body(req: Request) -> dict[str, Any]:
        body = req.json()
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        return body

    def _user(self, req: Request) -> str | None:
        token = req.header("authorization").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        return self.store.email_for_access_token(token) if token else None

    def _device(self, mac: Any) -> DeviceSpec | None:
        mac = str(mac or "").lower().replace(":", "")
        return next((d for d in self.devices if d.mac_address == mac), None)

    # -- auth ------------------------------------------------------------------------
    async def sign_in(self, req: Request) -> Response:
        body = self._body(req)
        try:
            account, token = self.store.sign_in(str(body.get("userId", "")), str(body.get("password", "")))
        except AuthFailure as exc:
            return error(exc.status, exc.msg)
        return ok({"userInfo": account.user_info(), "token": token, "legal": []})

    async def refresh(self, req: Request) -> Response:
        body = self._body(req)
        try:
            return ok(self.store.refresh(str(body.get("refreshToken") or "")))
        except AuthFailure as exc:
            return error(exc.status, exc.msg)

    # -- devices -----------------------------------------------------------------------
    async def device_list(self, req: Request) -> Response:
        if self._user(req) is None:
            return error(401, "Unauthorized")
        body = self._body(req)
        try:
            offset = max(0, int(body.get("offset", 0)))
            count = min(20, max(0, int(body.get("count", 20))))
        except (TypeError, ValueError):
            return error(400, "BAD_REQUEST")
        return ok([device_object(d) for d in self.devices[offset:offset + count]])

    async def device_info(self, req: Request) -> Response:
        if self._user(req) is None:
            return error(401, "Unauthorized")
        spec = self._device(self._body(req).get("macAddress"))
        return ok(device_object(spec)) if spec else error(404, "NOT_FOUND")

    async def firmware_info(self, req: Request) -> Response:
        if self._user(req) is None:
            return error(401, "Unauthorized")
        spec = self._device(self._body(req).get("macAddress"))
        return ok({"firmwares": firmware_objects(spec)}) if spec else error(404, "NOT_FOUND")

    async def tou_info(self, req: Request) -> Response:
        if self._user(req) is None:
            return error(401, "Unauthorized")
        spec = self._device(req.query.get("macAddress"))
        if spec is None:
            return error(404, "NOT_FOUND")
        return ok(self.tou_plans.get(spec.mac_address) or tou_object(spec))

    async def tou_convert(self, req: Request) -> Response:
        if self._user(req) is None:
            return error(401, "Unauthorized")
        source = self._body(req).get("sourceData")
        if not isinstance(source, list):
            return error(400, "BAD_REQUEST")
        return ok({"touInfo": [converted_plan(item) for item in source]})

    async def tou_update(self, req: Request) -> Response:
        if self._user(req) is None:
            return error(401, "Unauthorized")
        body = self._body(req)
        spec = self._device(body.get("macAddress"))
        info = body.get("touInfo")
        if spec is None:
            return error(404, "NOT_FOUND")
        if not isinstance(info, dict):
            return error(400, "BAD_REQUEST")
        stored = {"registerPath": str(body.get("registerPath") or "wifi"),
                  "sourceType": str(body.get("sourceType") or "openei"),
                  "touInfo": {"controllerId": spec.serial_number, "manufactureId": spec.serial_number,
                              "name": info.get("name"), "utility": info.get("utility"),
                              "zipCode": body.get("zipCode", info.get("zipCode")),
                              "schedule": info.get("schedule") or []}}
        self.tou_plans[spec.mac_address] = stored
        return ok(stored)

    async def push_token(self, req: Request) -> Response:
        user = self._user(req)
        if user is None:
            return error(401, "Unauthorized")
        self.push_tokens[user] = str(self._body(req).get("pushToken", ""))
        return ok(with_data=False)
