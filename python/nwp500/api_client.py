"""The Navien device REST API: ``NavienAPIClient`` (nwp500 9.3.0 API).

Requests go through the auth client's session in the Rust core: tokens are renewed before a
call when near expiry, and a 401 refreshes once and retries once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from .auth import NavienAuthClient
from .config import api_base_url
from .exceptions import APIError, AuthenticationError
from .models import ConvertedTOUPlan, Device, FirmwareInfo, TOUInfo
from .unit_system import UnitSystemType, set_unit_system

__all__ = ["NavienAPIClient"]

_T = TypeVar("_T")


def _decoded(what: str, body: dict[str, Any], decode: Callable[[Any], _T]) -> _T:
    """``decode(body["data"])``, with a reply of the wrong shape reported as the ``APIError``
    every other failed call raises (a server answering garbage is a failed call, not a bug in
    the caller's code)."""
    try:
        return decode(body.get("data"))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise APIError(f"Invalid response format for {what}: {exc}", code=200, response=body) from None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _object(value: Any, default: dict[str, Any] | None = None) -> dict[str, Any]:
    if value is None and default is not None:
        return default
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


class NavienAPIClient:
    """Lists devices and reads device, firmware and time-of-use information.

    Args:
        auth_client: a signed-in :class:`~nwp500.auth.NavienAuthClient`.
        base_url: REST base URL; default ``NWP500_API_BASE_URL`` or the Navien cloud.
        session: accepted for compatibility; unused (see ``NavienAuthClient``).
        unit_system: ``"metric"`` or ``"us_customary"`` makes that the preferred unit system
            for the values the device models report (as ``set_unit_system`` does); ``None``
            keeps the current preference.

    Raises:
        ValueError: ``auth_client`` is not signed in.
        APIError: a call failed (``.code`` is the Navien or HTTP code).
    """

    def __init__(
        self,
        auth_client: NavienAuthClient,
        base_url: str | None = None,
        session: Any = None,
        unit_system: UnitSystemType | None = None,
    ) -> None:
        if not auth_client.is_authenticated:
            raise ValueError("auth_client must be authenticated before creating NavienAPIClient")
        self._auth = auth_client
        self.base_url = (base_url or api_base_url()).rstrip("/")
        self._session = session
        # 9.3.0: the client's unit system is the one the values it decodes are read in.
        # Home Assistant's integration passes it here (a missing keyword kept it from loading).
        self.unit_system = unit_system
        if unit_system is not None:
            set_unit_system(unit_system)

    async def __aenter__(self) -> NavienAPIClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    @property
    def is_authenticated(self) -> bool:
        return self._auth.is_authenticated

    @property
    def user_email(self) -> str | None:
        return self._auth.user_email

    def _email(self) -> str:
        email = self._auth.user_email
        if not email:
            raise AuthenticationError("Must authenticate first")
        return email

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
                    query: dict[str, str] | None = None) -> dict[str, Any]:
        return await self._auth._core.request(
            method,
            self.base_url + path,
            json.dumps(body) if body is not None else None,
            list(query.items()) if query else None,
        )

    async def list_devices(self, offset: int = 0, count: int = 20) -> list[Device]:
        """The account's devices (at most ``count``, which the API caps at 20)."""
        body = await self._call("POST", "/device/list", {"offset": offset, "count": count, "userId": self._email()})
        return _decoded("list_devices", body, lambda data: [Device.from_dict(d) for d in _list(data)])

    async def get_device_info(self, mac_address: str, additional_value: str = "") -> Device:
        body = await self._call("POST", "/device/info", {
            "macAddress": mac_address, "additionalValue": additional_value, "userId": self._email()})
        return _decoded("get_device_info", body, lambda data: Device.from_dict(_object(data)))

    async def get_firmware_info(self, mac_address: str, additional_value: str = "") -> list[FirmwareInfo]:
        body = await self._call("POST", "/device/firmware/info", {
            "macAddress": mac_address, "additionalValue": additional_value, "userId": self._email()})
        return _decoded("get_firmware_info", body,
                        lambda data: [FirmwareInfo.from_dict(f) for f in _list(_object(data, {}).get("firmwares"))])

    async def get_tou_info(self, mac_address: str, additional_value: str, controller_id: str,
                           user_type: str = "O") -> TOUInfo:
        body = await self._call("GET", "/device/tou", query={
            "additionalValue": additional_value, "controllerId": controller_id, "macAddress": mac_address,
            "userId": self._email(), "userType": user_type})
        return _decoded("get_tou_info", body, lambda data: TOUInfo.from_dict(_object(data, {})))

    async def convert_tou(self, source_data: list[dict[str, Any]], source_type: str = "openei",
                          source_version: int = 7) -> list[ConvertedTOUPlan]:
        """Convert utility rate plans (OpenEI's ``utility_rates`` items by default) into the
        device's TOU form (``POST /device/tou/convert``): one plan per item."""
        body = await self._call("POST", "/device/tou/convert", {
            "sourceData": list(source_data), "sourceType": source_type, "sourceVersion": source_version,
            "userId": self._email(), "userType": "O"})
        plans = (body.get("data") or {}).get("touInfo") or []
        return _decoded("convert_tou", {"data": plans},
                        lambda data: [ConvertedTOUPlan.model_validate(p) for p in _list(data)])

    async def update_tou(self, mac_address: str, additional_value: str, tou_info: dict[str, Any],
                         source_data: dict[str, Any], zip_code: str, register_path: str = "wifi",
                         source_type: str = "openei", user_type: str = "O") -> TOUInfo:
        """Store a TOU plan for the device in the cloud (``PUT /device/tou``); returns the plan
        as the cloud now has it."""
        body = await self._call("PUT", "/device/tou", {
            "additionalValue": additional_value, "macAddress": mac_address, "registerPath": register_path,
            "sourceData": source_data, "sourceType": source_type, "touInfo": tou_info, "userId": self._email(),
            "userType": user_type, "zipCode": zip_code})
        return _decoded("update_tou", body, lambda data: TOUInfo.from_dict(_object(data, {})))

    async def update_push_token(self, push_token: str, model_name: str = "Python Client", app_version: str = "1.0.0",
                                os: str = "Python", os_version: str = "3.8+") -> bool:
        await self._call("POST", "/app/update-push-token", {
            "modelName": model_name, "appVersion": app_version, "os": os, "osVersion": os_version,
            "userId": self._email(), "pushToken": push_token})
        return True

    async def get_first_device(self) -> Device | None:
        devices = await self.list_devices(count=1)
        return devices[0] if devices else None
