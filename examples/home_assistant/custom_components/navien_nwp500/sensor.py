"""The connection-status sensor: connected / disconnected / reconnect_failed, with the cause of
the last drop (``tcp_closed``, ``keepalive_timeout``, ``credentials_expired``, ...)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONNECTION_STATES
from .entity import NavienEntity
from .integration import NavienConfigEntry


async def async_setup_entry(
    hass: HomeAssistant,
    config_entry: NavienConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    integration = config_entry.runtime_data
    async_add_entities(NavienConnectionSensor(integration, device) for device in integration.devices)


class NavienConnectionSensor(NavienEntity, SensorEntity):
    """The cloud connection as the client's typed events report it."""

    _attr_name = "Cloud connection"
    _attr_translation_key = "connection"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = CONNECTION_STATES
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, integration, device) -> None:  # type: ignore[no-untyped-def]
        super().__init__(integration, device)
        self._attr_unique_id = f"{self._mac}_connection"

    @property
    def native_value(self) -> str:
        return self._integration.connection_state

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        drop = self._integration.last_drop or {}
        return {
            "drops": self._integration.drops,
            "last_drop_at": drop.get("at"),
            "last_drop_cause": drop.get("cause"),
            "last_drop_error": drop.get("error_name"),
            "last_drop_error_code": drop.get("error_code"),
        }
