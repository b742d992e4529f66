"""Device commands of ``NavienMqttClient`` (nwp500 9.3.0 names, arguments and returns).

Every command is built by the Rust core (topic, envelope in the reference's key order, unit
encoding, range checks) and published like any message: while offline it is queued and the
method returns 0, otherwise it returns the packet id once the broker acknowledged it. A command
the device has said it cannot carry out raises ``DeviceCapabilityError`` (``capabilities.py``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

from .._core import build_command, fahrenheit_to_half_celsius
from ..device_info_cache import MqttDeviceInfoCache
from ..exceptions import DeviceCapabilityError, ParameterValidationError, RangeValidationError
from ..models.schedule import OtaCommitPayload, RecirculationSchedule, WeeklyReservationSchedule
from ..unit_system import get_unit_system
from .capabilities import MqttDeviceCapabilityChecker, required_capability, supports_flag
from .types import QoS

__all__ = ["DeviceControlMixin", "MqttDeviceController"]

#: The reference's fixed range when no device feature limits are known (°F).
DEFAULT_DHW_RANGE_F = (95.0, 150.0)
#: The freeze-protection limits an NWP500 reports (``freezeProtectionTempMin``/``Max`` 12 / 20
#: half-°C, i.e. 42.8 .. 50 °F), used when the device's own are not known (°F).
DEFAULT_FREEZE_RANGE_F = (42.8, 50.0)
# Tolerance of the range checks: 6 °C converted to °F must pass a 42.8 °F minimum.
_EPSILON = 1e-9


def _half_celsius_to_f(raw: float) -> float:
    return raw / 2 * 9 / 5 + 32


def _feature_limits_f(feature: Any, kind: str, default: tuple[float, float]) -> tuple[float, float]:
    """The device's ``kind`` limits (``dhw_temperature`` / ``freeze_protection_temp``) in °F,
    from the raw half-°C values of its cached ``DeviceFeature``; ``default`` when unknown."""
    if feature is None:
        return default
    try:
        raw_min = getattr(feature, f"_raw_{kind}_min", None)
        raw_max = getattr(feature, f"_raw_{kind}_max", None)
    except KeyError:  # a feature model without that field
        return default
    if not isinstance(raw_min, (int, float)) or not isinstance(raw_max, (int, float)):
        return default
    return _half_celsius_to_f(raw_min), _half_celsius_to_f(raw_max)


def _weekly_rows(schedule: Any) -> tuple[int, list[tuple[int, int, int, int, int, int]]]:
    """``reservationUse`` and the entries' raw fields (enable, week, hour, min, mode, param) of
    a :class:`WeeklyReservationSchedule` (or anything it validates from)."""
    if not isinstance(schedule, WeeklyReservationSchedule):
        schedule = WeeklyReservationSchedule.model_validate(schedule)
    rows = [(int(e.enable), int(e.week), int(e.hour), int(e.min), int(e.mode), int(e.param))
            for e in schedule.reservation]
    return int(schedule.reservation_use), rows


def _recirculation_rows(schedule: Any) -> list[tuple[int, int, int, int, int, int, int]]:
    """The windows' raw fields (enable, week, start hour/min, end hour/min, mode) of a
    :class:`RecirculationSchedule` (or anything it validates from)."""
    if not isinstance(schedule, RecirculationSchedule):
        schedule = RecirculationSchedule.model_validate(schedule)
    return [(int(e.enable), int(e.week), int(e.start_hour), int(e.start_min), int(e.end_hour), int(e.end_min),
             int(e.mode)) for e in schedule.schedule]


def _ota_fields(payload: Any) -> dict[str, int]:
    if not isinstance(payload, OtaCommitPayload):
        try:
            payload = OtaCommitPayload.model_validate(payload)
        except (TypeError, ValueError, KeyError) as exc:
            raise ParameterValidationError(f"invalid OTA commit payload: {exc}", parameter="payload") from None
    return {"sw_code": int(payload.sw_code), "sw_version": int(payload.sw_version)}


def _address(device: Any) -> tuple[int, str, str]:
    info = getattr(device, "device_info", device)
    return int(getattr(info, "device_type", 52) or 52), str(info.mac_address), str(getattr(info, "additional_value", "") or "")


class DeviceControlMixin:
    """Mixed into ``NavienMqttClient``: needs ``publish``, ``client_id`` and ``session_id``."""

    if TYPE_CHECKING:
        # What the host class provides (MqttClientCore and NavienMqttClient), as they declare it.
        @property
        def client_id(self) -> str: ...
        @property
        def session_id(self) -> str: ...
        async def publish(
            self, topic: str, payload: dict[str, Any] | str | bytes, qos: QoS | int = QoS.AT_LEAST_ONCE
        ) -> int: ...

    def _check_capability(self, device: Any, name: str, **params: Any) -> None:
        gate = getattr(self, "_gate", None)
        if gate is not None:
            gate.check(_address(device)[1], name, **params)

    async def _command(self, device: Any, name: str, **params: Any) -> int:
        self._check_capability(device, name, **params)
        return await self._send(device, name, **params)

    async def _send(self, device: Any, name: str, **params: Any) -> int:
        """Build and publish ``name`` (its capability already checked)."""
        device_type, mac, additional = _address(device)
        topic, payload = build_command(name, device_type, mac, additional, self.client_id, self.session_id, **params)
        # Published as a dict so it goes out exactly as json.dumps writes it (", " and ": "),
        # byte for byte what the reference sends; the key order is the core's.
        return await self.publish(topic, json.loads(payload))

    async def request_device_status(self, device: Any) -> int:
        """Ask the device for a status; it answers on its own topic tree."""
        return await self._command(device, "request_device_status")

    async def request_device_info(self, device: Any) -> int:
        """Ask the device for its features (capabilities, limits, firmware)."""
        return await self._command(device, "request_device_info")

    async def set_power(self, device: Any, power_on: bool) -> int:
        return await self._command(device, "set_power", power_on=bool(power_on))

    async def set_dhw_mode(self, device: Any, mode_id: int, vacation_days: int | None = None) -> int:
        """Set the DHW operation mode (1 heat pump, 2 electric, 3 energy saver, 4 high demand,
        5 vacation with ``vacation_days`` 1-30)."""
        return await self._command(device, "set_dhw_mode", mode_id=int(mode_id),
                                   vacation_days=None if vacation_days is None else int(vacation_days))

    async def set_vacation_days(self, device: Any, days: int) -> int:
        return await self.set_dhw_mode(device, 5, vacation_days=days)

    async def set_dhw_temperature(self, device: Any, temperature: float) -> int:
        """Set the DHW target in the preferred unit (°F unless the unit system is metric),
        checked against the device's limits when its features are known."""
        self._check_capability(device, "set_dhw_temperature")  # "cannot" before "out of range"
        fahrenheit = self._checked_fahrenheit(temperature, self._dhw_limits_f(device))
        return await self._send(device, "set_dhw_temperature", half_celsius=fahrenheit_to_half_celsius(fahrenheit))

    def _checked_fahrenheit(self, temperature: float, limits_f: tuple[float, float]) -> float:
        """``temperature`` (preferred unit) in °F, or ``RangeValidationError`` (in the
        preferred unit) when it is outside ``limits_f``."""
        metric = (getattr(self, "unit_system", None) or get_unit_system()) == "metric"
        fahrenheit = temperature * 9 / 5 + 32 if metric else float(temperature)
        low, high = limits_f
        if not low - _EPSILON <= fahrenheit <= high + _EPSILON:
            unit_low, unit_high = ((low - 32) * 5 / 9, (high - 32) * 5 / 9) if metric else (low, high)
            unit = "°C" if metric else "°F"
            raise RangeValidationError(
                f"temperature must be between {unit_low:g} and {unit_high:g}{unit}, got {temperature}",
                field="temperature", value=temperature, min_value=unit_low, max_value=unit_high)
        return fahrenheit

    def _known_feature(self, device: Any) -> Any | None:
        gate = getattr(self, "_gate", None)
        return gate.feature(_address(device)[1]) if gate is not None else None

    def _dhw_limits_f(self, device: Any) -> tuple[float, float]:
        return _feature_limits_f(self._known_feature(device), "dhw_temperature", DEFAULT_DHW_RANGE_F)

    async def enable_anti_legionella(self, device: Any, period_days: int) -> int:
        return await self._command(device, "enable_anti_legionella", period_days=int(period_days))

    async def disable_anti_legionella(self, device: Any) -> int:
        return await self._command(device, "disable_anti_legionella")

    async def update_reservations(self, device: Any, reservations: Sequence[dict[str, Any]], *, enabled: bool = True) -> int:
        return await self._command(device, "update_reservations", reservations=[dict(r) for r in reservations],
                                   enabled=bool(enabled))

    async def request_reservations(self, device: Any) -> int:
        return await self._command(device, "request_reservations")

    async def configure_tou_schedule(self, device: Any, controller_serial_number: str,
                                     periods: Sequence[dict[str, Any]], *, enabled: bool = True) -> int:
        return await self._command(device, "configure_tou_schedule", controller_serial_number=str(controller_serial_number),
                                   periods=[dict(p) for p in periods], enabled=bool(enabled))

    async def request_tou_settings(self, device: Any, controller_serial_number: str) -> int:
        return await self._command(device, "request_tou_settings", controller_serial_number=str(controller_serial_number))

    async def set_tou_enabled(self, device: Any, enabled: bool) -> int:
        return await self._command(device, "set_tou_enabled", enabled=bool(enabled))

    async def enable_demand_response(self, device: Any) -> int:
        return await self._command(device, "set_demand_response", enabled=True)

    async def disable_demand_response(self, device: Any) -> int:
        return await self._command(device, "set_demand_response", enabled=False)

    async def reset_air_filter(self, device: Any) -> int:
        return await self._command(device, "reset_air_filter")

    async def set_recirculation_mode(self, device: Any, mode: int) -> int:
        return await self._command(device, "set_recirculation_mode", mode=int(mode))

    async def trigger_recirculation_hot_button(self, device: Any) -> int:
        return await self._command(device, "trigger_recirculation_hot_button")

    async def request_energy_usage(self, device: Any, year: int, months: list[int]) -> int:
        return await self._command(device, "request_energy_usage", year=int(year), months=[int(m) for m in months])

    async def signal_app_connection(self, device: Any) -> int:
        """Tell the device an app is watching (a bare event, not a request)."""
        stamp = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        return await self._command(device, "signal_app_connection", timestamp=stamp)

    # ---- 9.3.0's further commands (RESERVATION_WEEKLY ... intelligent scheduling) -----------

    async def update_weekly_reservation(self, device: Any, schedule: WeeklyReservationSchedule) -> int:
        """Send the weekly reservation program (RESERVATION_WEEKLY, 33554438):
        ``reservationUse`` (2 on, 1 off) and each entry's raw fields (enable, week bits,
        hour, min, mode, ``param`` in half-°C). Needs ``program_reservation_use``.

        Raises:
            RangeValidationError: ``reservationUse`` is not 1 or 2, or an entry field is out
                of range (hour 0-23, min 0-59, mode 1-6, ...).
        """
        use, rows = _weekly_rows(schedule)
        return await self._command(device, "update_weekly_reservation", reservation_use=use, entries=rows)

    async def configure_reservation_water_program(self, device: Any) -> int:
        """Switch to the reservation water program (RESERVATION_WATER_PROGRAM, 33554441,
        ``reservation-mode``). Needs ``program_reservation_use``."""
        return await self._command(device, "configure_reservation_water_program")

    async def configure_recirculation_schedule(self, device: Any, schedule: RecirculationSchedule) -> int:
        """Send the recirculation pump schedule (RECIR_RESERVATION, 33554440): ``schedule``,
        each window's raw fields (enable, week bits, startHour, startMin, endHour, endMin,
        mode 1-4). Needs ``recirc_reservation_use``.

        Raises:
            RangeValidationError: a window field is out of range.
        """
        return await self._command(device, "configure_recirculation_schedule", entries=_recirculation_rows(schedule))

    async def check_firmware_update(self, device: Any) -> int:
        """Ask the device to look for a firmware update (OTA_CHECK, 33554443, ``ota-check``)."""
        return await self._command(device, "check_firmware_update")

    async def commit_firmware_update(self, device: Any, payload: OtaCommitPayload) -> int:
        """Install a downloaded firmware update (OTA_COMMIT, 33554442): the request carries
        ``commitOta: {"swCode", "swVersion"}`` instead of ``mode``/``param``."""
        return await self._command(device, "commit_firmware_update", **_ota_fields(payload))

    async def reconnect_wifi(self, device: Any) -> int:
        """Make the device re-join its Wi-Fi network (WIFI_RECONNECT, 33554446)."""
        return await self._command(device, "reconnect_wifi")

    async def reset_wifi(self, device: Any) -> int:
        """Reset the device's Wi-Fi settings (WIFI_RESET, 33554447); it must be provisioned
        again afterwards."""
        return await self._command(device, "reset_wifi")

    async def set_freeze_protection_temperature(self, device: Any, temperature: float) -> int:
        """Set the freeze-protection threshold (FREZ_TEMP, 33554451, ``frez-temp``, half-°C)
        in the preferred unit (°F unless metric). Needs ``freeze_protection_use``; checked
        against the device's ``freeze_protection_temp_min``/``max`` when its features are
        known, else against an NWP500's 42.8-50 °F."""
        self._check_capability(device, "set_freeze_protection_temperature")  # "cannot" first
        return await self._send_freeze_temperature(device, temperature, self._known_feature(device))

    async def _send_freeze_temperature(self, device: Any, temperature: float, feature: Any | None) -> int:
        limits = _feature_limits_f(feature, "freeze_protection_temp", DEFAULT_FREEZE_RANGE_F)
        fahrenheit = self._checked_fahrenheit(temperature, limits)
        return await self._send(device, "set_freeze_protection_temperature",
                                half_celsius=fahrenheit_to_half_celsius(fahrenheit))

    async def run_smart_diagnostic(self, device: Any) -> int:
        """Start the device's self-diagnosis (SMART_DIAGNOSTIC, 33554455)."""
        return await self._command(device, "run_smart_diagnostic")

    async def enable_intelligent_scheduling(self, device: Any) -> int:
        """Turn intelligent (learned) scheduling on (RESERVATION_INTELLIGENT_ON, 33554468)."""
        return await self._command(device, "set_intelligent_scheduling", enabled=True)

    async def disable_intelligent_scheduling(self, device: Any) -> int:
        """Turn intelligent scheduling off (RESERVATION_INTELLIGENT_OFF, 33554467)."""
        return await self._command(device, "set_intelligent_scheduling", enabled=False)


class MqttDeviceController(DeviceControlMixin):
    """The device commands on their own (nwp500-python 9.3.0's ``MqttDeviceController``):
    each builds its envelope in the Rust core and sends it with ``publish_func(topic,
    payload_dict, qos)``, returning what that returns (the packet id).

    Capabilities are checked against ``device_info_cache``: a command the cached
    ``DeviceFeature`` says the device cannot carry out raises
    :class:`~nwp500.exceptions.DeviceCapabilityError`. With nothing cached, the callback
    given to :meth:`set_ensure_device_info_callback` (``NavienMqttClient``'s
    ``ensure_device_info_cached``) is awaited first when set; if the features are still
    unknown the command goes out unchecked.
    """

    def __init__(
        self,
        client_id: str,
        session_id: str,
        publish_func: Callable[..., Awaitable[int]],
        device_info_cache: MqttDeviceInfoCache | None = None,
    ) -> None:
        self._client_id = client_id
        self._session_id = session_id
        self._publish_func = publish_func
        self._device_info_cache = device_info_cache if device_info_cache is not None else MqttDeviceInfoCache()
        self._ensure_device_info: Callable[[Any], Awaitable[bool]] | None = None

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def session_id(self) -> str:
        return self._session_id

    async def publish(self, topic: str, payload: dict[str, Any] | str | bytes, qos: QoS | int = QoS.AT_LEAST_ONCE) -> int:
        return await self._publish_func(topic, payload, QoS(qos))

    def set_ensure_device_info_callback(self, callback: Callable[[Any], Awaitable[bool]] | None) -> None:
        self._ensure_device_info = callback

    @property
    def device_info_cache(self) -> MqttDeviceInfoCache:
        return self._device_info_cache

    @device_info_cache.setter
    def device_info_cache(self, cache: MqttDeviceInfoCache) -> None:
        self._device_info_cache = cache

    def check_support(self, feature: str, device_features: Any) -> bool:
        return MqttDeviceCapabilityChecker.supports(feature, device_features)

    def assert_support(self, feature: str, device_features: Any) -> None:
        MqttDeviceCapabilityChecker.assert_supported(feature, device_features)

    async def _features(self, device: Any) -> Any | None:
        mac = _address(device)[1]
        features = await self._device_info_cache.get(mac)
        if features is None and self._ensure_device_info is not None:
            await self._ensure_device_info(device)
            features = await self._device_info_cache.get(mac)
        return features

    async def _check(self, device: Any, name: str, **params: Any) -> None:
        flags = required_capability(name, **params)
        if not flags:
            return
        features = await self._features(device)
        if features is None:
            return
        for flag in flags:
            if not supports_flag(features, flag):
                raise DeviceCapabilityError(flag, f"Device does not support {flag} capability (needed by {name})")

    async def _command(self, device: Any, name: str, **params: Any) -> int:
        await self._check(device, name, **params)
        return await self._send(device, name, **params)

    async def set_dhw_temperature(self, device: Any, temperature: float) -> int:
        await self._check(device, "set_dhw_temperature")
        return await super().set_dhw_temperature(device, temperature)

    async def set_freeze_protection_temperature(self, device: Any, temperature: float) -> int:
        await self._check(device, "set_freeze_protection_temperature")
        feature = await self._device_info_cache.get(_address(device)[1])
        return await self._send_freeze_temperature(device, temperature, feature)
