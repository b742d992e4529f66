"""The diagnostics download (Settings -> Devices & services -> Navien NWP500 -> Download
diagnostics): the library's export plus the connection state, with personal data redacted."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import REDACT_FIELDS
from .integration import NavienConfigEntry


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,
    config_entry: NavienConfigEntry,
) -> dict[str, Any]:
    """Return diagnostics for config entry."""
    integration = getattr(config_entry, "runtime_data", None)
    if integration is None or integration.diagnostics is None:
        return {"error": "Integration not initialized"}

    # Export and parse diagnostics (nwp500's strict JSON: no Infinity/NaN).
    data = {
        "entry": config_entry.as_dict(),
        "connection": {
            "state": integration.connection_state,
            "drops_since_setup": integration.drops,
            "last_drop": integration.last_drop,
            "client_id": integration.mqtt_client.client_id if integration.mqtt_client else None,
        },
        "devices": [
            {
                "device_name": device.device_info.device_name,
                "device_type": device.device_info.device_type,
                "mac_address": device.device_info.mac_address,
                "has_status": device.device_info.mac_address in integration.statuses,
                "has_features": device.device_info.mac_address in integration.features,
            }
            for device in integration.devices
        ],
        # The key ``nwp500 report`` looks for in a Home Assistant download.
        "mqtt_diagnostics": json.loads(integration.diagnostics.export_json()),
    }
    # Redact sensitive info (credentials, tokens, etc.)
    return async_redact_data(data, REDACT_FIELDS)
