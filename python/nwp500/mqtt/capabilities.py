"""Which device capability each command needs, checked against what the device reported.

nwp500-python 9.3.0 gates its control commands on the device's feature flags
(``DeviceFeature.*_use``). This does the same with two differences a user of a water heater
wants:

* The check uses the features the device has already sent (``request_device_info`` or
  ``ensure_device_info_cached``). When none are known the command goes out (or into the
  offline queue) unchecked, instead of failing because the client is offline and cannot ask;
  the device ignores a command it cannot carry out.
* A flag the device did not put in its feature message (or sent as null or 0, its
  "unknown") counts as unknown, not as "no": the NWP500 never sends ``recirculationUse``,
  and the model's default ``False`` for it must not refuse every recirculation command.

The DHW mode is checked per mode (heat pump, electric, ...), since the device reports each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..exceptions import DeviceCapabilityError

__all__ = ["CapabilityCheckFn", "CommandGate", "MqttDeviceCapabilityChecker", "required_capability", "supports_flag"]

#: command -> the ``DeviceFeature`` flag it needs (9.3.0's gating).
REQUIRED_CAPABILITY: dict[str, str] = {
    "set_power": "power_use",
    "set_dhw_temperature": "dhw_temperature_setting_use",
    "enable_anti_legionella": "anti_legionella_setting_use",
    "disable_anti_legionella": "anti_legionella_setting_use",
    "configure_tou_schedule": "program_reservation_use",
    "set_tou_enabled": "program_reservation_use",
    "set_demand_response": "dr_setting_use",
    "set_recirculation_mode": "recirculation_use",
    "trigger_recirculation_hot_button": "recirculation_use",
    "update_weekly_reservation": "program_reservation_use",
    "configure_reservation_water_program": "program_reservation_use",
    "configure_recirculation_schedule": "recirc_reservation_use",
    "set_freeze_protection_temperature": "freeze_protection_use",
}

#: DHW operation mode id -> the flag that says the device offers it.
MODE_CAPABILITY: dict[int, str] = {
    1: "heatpump_use",
    2: "electric_use",
    3: "energy_saver_use",
    4: "high_demand_use",
    5: "holiday_use",
}


def required_capability(command: str, **params: Any) -> list[str]:
    """The flags ``command`` with ``params`` needs, most general first."""
    if command == "set_dhw_mode":
        mode = MODE_CAPABILITY.get(int(params.get("mode_id", 0)))
        return ["dhw_use"] + ([mode] if mode else [])
    flag = REQUIRED_CAPABILITY.get(command)
    return [flag] if flag else []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _said(value: Any) -> bool:
    """Whether a raw flag value is an answer: absent, null and 0 (the device's "unknown")
    are not. Stored snake_case dumps carry booleans, which are answers."""
    return value is not None and not (type(value) is int and value == 0)


def supports_flag(feature: Any, flag: str) -> bool:
    """Whether ``feature`` (a ``DeviceFeature``) says the device has capability ``flag``."""
    value = getattr(feature, flag, None)
    if flag == "dhw_temperature_setting_use":
        # An enum of set-point precisions: 1 (disabled) means no set-point control.
        return int(value or 0) > 1
    return bool(value)


class CommandGate:
    """The features each device last reported, and the check a command passes first."""

    def __init__(self) -> None:
        # mac -> (DeviceFeature, the payload the device sent: flags are read from both)
        self._known: dict[str, tuple[Any, Mapping[str, Any]]] = {}

    def remember(self, mac: str, feature: Any, payload: Mapping[str, Any]) -> None:
        self._known[mac] = (feature, dict(payload))

    def feature(self, mac: str) -> Any | None:
        known = self._known.get(mac)
        return known[0] if known else None

    def __contains__(self, mac: str) -> bool:
        return mac in self._known

    def check(self, mac: str, command: str, **params: Any) -> None:
        """Raise :class:`DeviceCapabilityError` if the device said it cannot do ``command``."""
        known = self._known.get(mac)
        if known is None:
            return
        feature, payload = known
        for flag in required_capability(command, **params):
            if not _said(payload.get(flag, payload.get(_camel(flag)))):
                continue
            if not supports_flag(feature, flag):
                raise DeviceCapabilityError(flag, f"Device does not support {flag} capability "
                                                  f"(needed by {command})")


CapabilityCheckFn = Callable[[Any], bool]

_FLAGS = (
    "power_use", "holiday_use", "program_reservation_use", "dhw_use", "dhw_temperature_setting_use",
    "smart_diagnostic_use", "wifi_rssi_use", "energy_usage_use", "freeze_protection_use", "mixing_valve_use",
    "dr_setting_use", "anti_legionella_setting_use", "hpwh_use", "dhw_refill_use", "eco_use", "electric_use",
    "heatpump_use", "energy_saver_use", "high_demand_use", "recirculation_use", "recirc_reservation_use",
    "title24_use",
)


def _flag_check(flag: str) -> CapabilityCheckFn:
    return lambda features: supports_flag(features, flag)


class MqttDeviceCapabilityChecker:
    """A registry of capability checks: feature name -> ``check(device_features) -> bool``.
    Every capability flag of ``DeviceFeature`` (``power_use``, ``dhw_use``, ...) is
    registered; :meth:`register_capability` adds or replaces one."""

    _checks: ClassVar[dict[str, CapabilityCheckFn]] = {flag: _flag_check(flag) for flag in _FLAGS}

    @classmethod
    def supports(cls, feature: str, device_features: Any) -> bool:
        """Whether the device supports ``feature``.

        Raises:
            ValueError: ``feature`` is not a registered capability.
        """
        check = cls._checks.get(feature)
        if check is None:
            raise ValueError(f"Unknown controllable feature: {feature}")
        return bool(check(device_features))

    @classmethod
    def assert_supported(cls, feature: str, device_features: Any) -> None:
        """Raise :class:`DeviceCapabilityError` unless the device supports ``feature``."""
        if not cls.supports(feature, device_features):
            raise DeviceCapabilityError(feature)

    @classmethod
    def register_capability(cls, name: str, check_fn: CapabilityCheckFn) -> None:
        cls._checks[name] = check_fn

    @classmethod
    def get_available_controls(cls, device_features: Any) -> dict[str, bool]:
        """Every registered capability and whether the device supports it."""
        out: dict[str, bool] = {}
        for name, check in cls._checks.items():
            try:
                out[name] = bool(check(device_features))
            except Exception:  # noqa: BLE001 - one broken check must not hide the others
                out[name] = False
        return out
