"""Device commands of ``NavienMqttClient`` (nwp500 9.3.0 names, arguments and returns).

Every command is built by the Rust core (topic, envelope in the reference's key order, unit
encoding, range checks) and published like any message: while offline it is queued and the
method returns 0, otherwise it returns the packet id once the broker acknowledged it. A command
the device has said it cannot carry out raises ``DeviceCapabilityError`` (``capabilities.py``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

from .._core import build_command, fahrenheit_to_half_celsius

if TYPE_CHECKING:
    from .types import QoS

__all__ = ["DeviceControlMixin"]

#: The reference's fixed range when no device feature limits are known (°F).
DEFAULT_DHW_RANGE_F = (95.0, 150.0)


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
        from ..unit_system import get_unit_system

        self._check_capability(device, "set_dhw_temperature")  # "cannot" before "out of range"
        metric = (getattr(self, "unit_system", None) or get_unit_system()) == "metric"
        fahrenheit = temperature * 9 / 5 + 32 if metric else float(temperature)
        low, high = self._dhw_limits_f(device)
        if not low <= fahrenheit <= high:
            from ..exceptions import RangeValidationError

            unit_low, unit_high = ((low - 32) * 5 / 9, (high - 32) * 5 / 9) if metric else (low, high)
            unit = "°C" if metric else "°F"
            raise RangeValidationError(
                f"temperature must be between {unit_low:g} and {unit_high:g}{unit}, got {temperature}",
                field="temperature", value=temperature, min_value=unit_low, max_value=unit_high)
        return await self._send(device, "set_dhw_temperature", half_celsius=fahrenheit_to_half_celsius(fahrenheit))

    def _dhw_limits_f(self, device: Any) -> tuple[float, float]:
        gate = getattr(self, "_gate", None)
        feature = gate.feature(_address(device)[1]) if gate is not None else None
        raw_min = getattr(feature, "_raw_dhw_temperature_min", None) if feature is not None else None
        raw_max = getattr(feature, "_raw_dhw_temperature_max", None) if feature is not None else None
        if raw_min is None or raw_max is None:
            return DEFAULT_DHW_RANGE_F
        return raw_min / 2 * 9 / 5 + 32, raw_max / 2 * 9 / 5 + 32

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
