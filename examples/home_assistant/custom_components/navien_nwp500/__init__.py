"""The Navien NWP500 integration: the diagnostics guide's minimal component, complete.

``async_setup_entry`` signs in, connects with the guide's hardened ``MqttConnectionConfig``,
hooks ``connection_interrupted`` / ``connection_resumed``, keeps the clients and the
diagnostics in ``entry.runtime_data`` and exports the diagnostics to the Home Assistant config
directory every 5 minutes. ``async_unload_entry`` undoes all of it: it disconnects, and the
export schedule and its tasks end with the entry.
"""

from __future__ import annotations

import logging

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .integration import NavienConfigEntry, NavienIntegration

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [Platform.WATER_HEATER, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, config_entry: NavienConfigEntry) -> bool:
    """Set up Navien integration."""
    integration = NavienIntegration(hass, config_entry)
    # Raises ConfigEntryAuthFailed / ConfigEntryNotReady, leaving nothing running.
    await integration.async_start()

    # Store for later access (the entities, the diagnostics download).
    config_entry.runtime_data = integration
    try:
        await hass.config_entries.async_forward_entry_setups(config_entry, PLATFORMS)
    except BaseException:
        await integration.async_stop()
        raise

    # Config entries are not unloaded when Home Assistant stops: disconnect then, too.
    integration.async_listen_for_hass_stop()
    # Start periodic export (tied to the entry: it ends when the entry unloads).
    integration.async_start_periodic_export()
    return True


async def async_unload_entry(hass: HomeAssistant, config_entry: NavienConfigEntry) -> bool:
    """Unload the entry: remove the entities, disconnect, write a last export."""
    unload_ok = await hass.config_entries.async_unload_platforms(config_entry, PLATFORMS)
    if unload_ok:
        integration = config_entry.runtime_data
        await integration.async_stop()
        # The session's end in the file too; the periodic task is cancelled by Home
        # Assistant right after this returns (it is a background task of the entry).
        await integration.async_export_logged()
    return unload_ok
