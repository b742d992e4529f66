"""Constants of the Navien NWP500 example integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "navien_nwp500"

#: How often the diagnostics are exported into the config directory (the guide: every 5 min).
EXPORT_INTERVAL: Final = timedelta(minutes=5)
#: How often the device is asked for a fresh status besides what it pushes (ha_nwp500: 5 min).
STATUS_INTERVAL_SECONDS: Final = 300.0

#: The connection sensor's states.
CONNECTED: Final = "connected"
DISCONNECTED: Final = "disconnected"
RECONNECT_FAILED: Final = "reconnect_failed"
CONNECTION_STATES: Final = [CONNECTED, DISCONNECTED, RECONNECT_FAILED]

#: Keys ``async_redact_data`` blanks out in the diagnostics download: the account, the
#: tokens and AWS keys, and whatever identifies the household or the device.
REDACT_FIELDS: Final = {
    "email",
    "password",
    "title",
    "unique_id",
    "access_token",
    "refresh_token",
    "id_token",
    "access_key_id",
    "secret_key",
    "session_token",
    "client_id",
    "mac_address",
    "serial_number",
    "controller_serial_number",
    "address",
    "latitude",
    "longitude",
}
