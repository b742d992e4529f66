"""The water heater: tank temperature, set-point and DHW mode from the device's typed
``DeviceStatus``; set-point, mode and power go to the device through the MQTT client (queued
by the library while the connection is down)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.water_heater import (
    STATE_ECO,
    STATE_ELECTRIC,
    STATE_HEAT_PUMP,
    STATE_HIGH_DEMAND,
    WaterHeaterEntity,
    WaterHeaterEntityFeature,
)
from homeassistant.const import ATTR_TEMPERATURE, STATE_OFF, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from nwp500.enums import DhwOperationSetting
from nwp500.exceptions import DeviceCapabilityError, Nwp500Error, ValidationError

from .entity import NavienEntity
from .integration import NavienConfigEntry

STATE_VACATION = "vacation"

MODE_TO_STATE: dict[DhwOperationSetting, str] = {
    DhwOperationSetting.ENERGY_SAVER: STATE_ECO,
    DhwOperationSetting.HEAT_PUMP: STATE_HEAT_PUMP,
    DhwOperationSetting.HIGH_DEMAND: STATE_HIGH_DEMAND,
    DhwOperationSetting.ELECTRIC: STATE_ELECTRIC,
    DhwOperationSetting.VACATION: STATE_VACATION,
    DhwOperationSetting.POWER_OFF: STATE_OFF,
}
#: What the user can pick (vacation needs a number of days: not offered here).
STATE_TO_MODE: dict[str, DhwOperationSetting] = {
    state: mode for mode, state in MODE_TO_STATE.items() if mode is not DhwOperationSetting.VACATION
}

#: The set-point range when the device has not sent its features yet (°F).
DEFAULT_MIN_TEMP_F = 95.0
DEFAULT_MAX_TEMP_F = 150.0


async def async_setup_entry(
    hass: HomeAssistant,
    config_entry: NavienConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    integration = config_entry.runtime_data
    async_add_entities(NavienWaterHeater(integration, device) for device in integration.devices)


class NavienWaterHeater(NavienEntity, WaterHeaterEntity):
    _attr_name = None  # the device's name
    _attr_temperature_unit = UnitOfTemperature.FAHRENHEIT  # the integration's unit_system
    _attr_operation_list = list(STATE_TO_MODE)
    _attr_supported_features = (
        WaterHeaterEntityFeature.TARGET_TEMPERATURE
        | WaterHeaterEntityFeature.OPERATION_MODE
        | WaterHeaterEntityFeature.ON_OFF
    )

    def __init__(self, integration, device) -> None:  # type: ignore[no-untyped-def]
        super().__init__(integration, device)
        self._attr_unique_id = self._mac

    @property
    def available(self) -> bool:
        # Known once a first status came in. It stays available through a connection drop:
        # the last status is still the best knowledge and commands are queued meanwhile
        # (the connection sensor tells whether the cloud link is up).
        return self._status is not None

    @property
    def current_temperature(self) -> float | None:
        status = self._status
        return None if status is None else status.dhw_temperature

    @property
    def target_temperature(self) -> float | None:
        status = self._status
        return None if status is None else status.dhw_temperature_setting

    @property
    def current_operation(self) -> str | None:
        status = self._status
        if status is None:
            return None
        return MODE_TO_STATE.get(status.dhw_operation_setting)

    @property
    def min_temp(self) -> float:
        feature = self._integration.features.get(self._mac)
        value = getattr(feature, "dhw_temperature_min", None)
        return float(value) if value else DEFAULT_MIN_TEMP_F

    @property
    def max_temp(self) -> float:
        feature = self._integration.features.get(self._mac)
        value = getattr(feature, "dhw_temperature_max", None)
        return float(value) if value else DEFAULT_MAX_TEMP_F

    async def async_set_temperature(self, **kwargs: Any) -> None:
        temperature = kwargs.get(ATTR_TEMPERATURE)
        if temperature is None:
            return
        await self._send("set_dhw_temperature", float(temperature))

    async def async_set_operation_mode(self, operation_mode: str) -> None:
        mode = STATE_TO_MODE.get(operation_mode)
        if mode is None:
            raise ServiceValidationError(f"Unsupported operation mode: {operation_mode}")
        if mode is DhwOperationSetting.POWER_OFF:
            await self._send("set_power", False)
            return
        status = self._status
        if status is not None and status.dhw_operation_setting == DhwOperationSetting.POWER_OFF:
            await self._send("set_power", True)
        await self._send("set_dhw_mode", int(mode))

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._send("set_power", True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._send("set_power", False)

    async def _send(self, command: str, *args: Any) -> None:
        """One device command; 0 returned means queued while offline (sent on reconnect)."""
        client = self._integration.mqtt_client
        if client is None:
            raise HomeAssistantError("Not connected to the Navien cloud")
        try:
            await getattr(client, command)(self._device, *args)
        except (ValidationError, DeviceCapabilityError) as err:  # out of range / not this model
            raise ServiceValidationError(str(err)) from err
        except Nwp500Error as err:
            raise HomeAssistantError(f"{command} failed: {err}") from err
