"""The base of the integration's entities: one Home Assistant device per water heater,
updated whenever the integration hears a status or a connection event (no polling)."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from nwp500 import Device, DeviceStatus

from .const import DOMAIN
from .integration import NavienIntegration


class NavienEntity(Entity):
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, integration: NavienIntegration, device: Device) -> None:
        self._integration = integration
        self._device = device
        self._mac = device.device_info.mac_address
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, self._mac)},
            manufacturer="Navien",
            model="NWP500",
            name=device.device_info.device_name,
        )

    @property
    def _status(self) -> DeviceStatus | None:
        return self._integration.statuses.get(self._mac)

    async def async_added_to_hass(self) -> None:
        self.async_on_remove(self._integration.async_add_listener(self.async_write_ha_state))
