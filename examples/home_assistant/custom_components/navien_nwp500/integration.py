"""One config entry at run time: the guide's clients, its diagnostics and its export.

The guide's ``NavienIntegration`` (its *Storage Recommendation*) grown into the object the
config entry keeps in ``entry.runtime_data``: it signs in, connects with the guide's hardened
``MqttConnectionConfig``, hooks the client's typed connection events, keeps the latest
``DeviceStatus`` of each water heater for the entities, and exports the diagnostics to the
Home Assistant config directory -- written in the executor, never in the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

# Imported here, at module level: Home Assistant imports an integration's modules in its
# executor, so nothing of nwp500 is ever imported inside the event loop.
from nwp500 import (
    Device,
    DeviceFeature,
    DeviceStatus,
    MqttConnectionConfig,
    MqttDiagnosticsCollector,
    NavienAPIClient,
    NavienAuthClient,
    NavienMqttClient,
    PeriodicRequestType,
)
from nwp500.exceptions import InvalidCredentialsError, Nwp500Error
from nwp500.mqtt_events import ConnectionInterruptedEvent, ConnectionResumedEvent, MqttClientEvents

from .const import (
    CONNECTED,
    DISCONNECTED,
    DOMAIN,
    EXPORT_INTERVAL,
    RECONNECT_FAILED,
    STATUS_INTERVAL_SECONDS,
)

_LOGGER = logging.getLogger(__name__)

type NavienConfigEntry = ConfigEntry[NavienIntegration]


class NavienIntegration:
    """The clients, the collector and the connection state of one Navien account."""

    def __init__(self, hass: HomeAssistant, config_entry: NavienConfigEntry) -> None:
        self.hass = hass
        self.config_entry = config_entry
        self.auth_client: NavienAuthClient | None = None
        self.mqtt_client: NavienMqttClient | None = None
        #: The client's own collector: it records every drop with its cause and AWS CRT
        #: name, every reconnect attempt and every recovery -- what the guide wires by hand.
        self.diagnostics: MqttDiagnosticsCollector | None = None
        self.devices: list[Device] = []
        self.statuses: dict[str, DeviceStatus] = {}
        self.features: dict[str, DeviceFeature] = {}
        self.connection_state = DISCONNECTED
        self.last_drop: dict[str, Any] | None = None
        self.drops = 0
        # Diagnostics stored in: <config>/nwp500_diagnostics_<entry_id>.json
        self.diagnostics_path = Path(hass.config.path(f"nwp500_diagnostics_{config_entry.entry_id}.json"))
        self._listeners: list[Callable[[], None]] = []
        self._export_lock = asyncio.Lock()
        self._remove_stop_listener: Callable[[], None] | None = None
        self._stopped = False

    # -- lifecycle ------------------------------------------------------------------------
    async def async_start(self) -> None:
        """Sign in, list the water heaters, connect and subscribe.

        Raises ``ConfigEntryAuthFailed`` (Home Assistant asks for the password again) or
        ``ConfigEntryNotReady`` (Home Assistant retries later); either way nothing is left
        running.
        """
        data = self.config_entry.data
        try:
            self.auth_client = NavienAuthClient(data[CONF_EMAIL], data[CONF_PASSWORD])
            await self.auth_client.sign_in()
            self.devices = await NavienAPIClient(self.auth_client).list_devices()
            self.mqtt_client = NavienMqttClient(
                self.auth_client,
                config=MqttConnectionConfig(
                    keep_alive_secs=60,
                    initial_reconnect_delay=0.5,
                    max_reconnect_delay=60.0,
                    deep_reconnect_threshold=5,
                    enable_command_queue=True,
                ),
                # Temperatures in °F both ways (statuses and set_dhw_temperature); the entity
                # says so and Home Assistant converts to the user's unit system.
                unit_system="us_customary",
            )
            self.diagnostics = self.mqtt_client.diagnostics
            # Hook the typed connection events (delivered on this event loop's thread).
            for event, handler in self._event_handlers():
                self.mqtt_client.on(event, handler)
            await self.mqtt_client.connect()
            self.connection_state = CONNECTED
            for device in self.devices:
                await self.mqtt_client.subscribe_device_status(device, self._async_on_status)
                await self.mqtt_client.subscribe_device_feature(device, self._async_on_feature)
                await self.mqtt_client.request_device_info(device)
                # Asks for a status now, then every few minutes while connected.
                await self.mqtt_client.start_periodic_requests(
                    device, PeriodicRequestType.DEVICE_STATUS, STATUS_INTERVAL_SECONDS
                )
        except InvalidCredentialsError as err:
            await self.async_stop()
            raise ConfigEntryAuthFailed("The Navien account refused the e-mail/password") from err
        except (Nwp500Error, OSError, TimeoutError) as err:
            await self.async_stop()
            raise ConfigEntryNotReady(f"Cannot reach the Navien cloud: {err}") from err
        except BaseException:
            await self.async_stop()
            raise

    @callback
    def async_start_periodic_export(self) -> None:
        """Export now and every ``EXPORT_INTERVAL``; both end with the config entry."""
        entry = self.config_entry
        entry.async_on_unload(
            async_track_time_interval(
                self.hass,
                self._async_scheduled_export,
                EXPORT_INTERVAL,
                name=f"{DOMAIN} diagnostics export",
                cancel_on_shutdown=True,
            )
        )
        self._async_scheduled_export(dt_util.utcnow())

    @callback
    def _async_scheduled_export(self, _now: datetime) -> None:
        # A background task of the entry: Home Assistant cancels it when the entry unloads.
        self.config_entry.async_create_background_task(
            self.hass, self.async_export_logged(), f"{DOMAIN} diagnostics export"
        )

    async def async_stop(self) -> None:
        """Disconnect and let go of everything (idempotent; never raises)."""
        if self._stopped:
            return
        self._stopped = True
        client, self.connection_state = self.mqtt_client, DISCONNECTED
        if client is not None:
            for event, handler in self._event_handlers():
                client.off(event, handler)
            try:
                await client.stop_all_periodic_tasks()
                await client.disconnect()
            except Exception:  # noqa: BLE001 - tearing down: log and carry on
                _LOGGER.exception("Error while disconnecting from the Navien cloud")
        if self.auth_client is not None:
            await self.auth_client.close()
        # Let go of the clients (the entry keeps this object until it is set up again);
        # the collector stays for the last export.
        self.mqtt_client = self.auth_client = None
        self._async_notify()

    @callback
    def async_listen_for_hass_stop(self) -> None:
        """Disconnect when Home Assistant stops: config entries are not unloaded then."""
        remove = self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._async_on_hass_stop)
        self._remove_stop_listener = remove

        @callback
        def remove_unless_fired() -> None:
            # A listen_once listener is gone once it fired; removing it again logs an error.
            if self._remove_stop_listener is not None:
                self._remove_stop_listener()
                self._remove_stop_listener = None

        self.config_entry.async_on_unload(remove_unless_fired)

    async def _async_on_hass_stop(self, _event: Event) -> None:
        self._remove_stop_listener = None
        await self.async_stop()
        await self.async_export_logged()

    # -- diagnostics export ---------------------------------------------------------------
    async def export_diagnostics(self) -> Path:
        """Export diagnostics to the Home Assistant config dir (in the executor)."""
        if self.diagnostics is None:
            raise RuntimeError("not started")
        async with self._export_lock:
            json_data = self.diagnostics.export_json()
            await self.hass.async_add_executor_job(_write_atomically, self.diagnostics_path, json_data)
        _LOGGER.debug("Saved diagnostics to %s", self.diagnostics_path)
        return self.diagnostics_path

    async def async_export_logged(self) -> None:
        try:
            await self.export_diagnostics()
        except Exception as err:  # noqa: BLE001 - a failed export must not end the schedule
            _LOGGER.error("Failed to export diagnostics: %s", err)

    # -- what the entities read -----------------------------------------------------------
    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` on every status or connection change; returns the remover."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    @callback
    def _async_notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # -- client events and callbacks (all on the event loop's thread) ---------------------
    def _event_handlers(self) -> list[tuple[str, Callable[..., Any]]]:
        # Bound methods: ``off`` finds them again by equality.
        return [
            (MqttClientEvents.CONNECTION_INTERRUPTED, self._on_connection_interrupted),
            (MqttClientEvents.CONNECTION_RESUMED, self._on_connection_resumed),
            ("reconnection_failed", self._on_reconnection_failed),
        ]

    @callback
    def _on_connection_interrupted(self, event: ConnectionInterruptedEvent) -> None:
        error = event.error
        self.drops += 1
        self.connection_state = DISCONNECTED
        self.last_drop = {
            "at": dt_util.utcnow().isoformat(),
            "cause": getattr(error, "cause", None),
            "error_name": getattr(error, "name", None) or type(error).__name__,
            "error_code": getattr(error, "code", None),
            "message": str(error),
        }
        _LOGGER.warning("Connection to the Navien cloud dropped (%s): %s",
                        self.last_drop["cause"], error)
        self._async_notify()

    @callback
    def _on_connection_resumed(self, event: ConnectionResumedEvent) -> None:
        self.connection_state = CONNECTED
        _LOGGER.info("Connection to the Navien cloud resumed (session_present=%s)", event.session_present)
        self._async_notify()
        # The library has restored the subscriptions and sent what was queued; ask for a
        # fresh status of every device (a task of the entry, cancelled when it unloads).
        self.config_entry.async_create_background_task(
            self.hass, self._async_request_statuses(), f"{DOMAIN} status refresh"
        )

    @callback
    def _on_reconnection_failed(self, attempts: int) -> None:
        self.connection_state = RECONNECT_FAILED
        _LOGGER.error("Gave up reconnecting to the Navien cloud after %s attempts", attempts)
        self._async_notify()

    async def _async_request_statuses(self) -> None:
        client = self.mqtt_client
        if client is None or self._stopped:
            return
        for device in self.devices:
            try:
                await client.request_device_status(device)
            except Nwp500Error as err:
                _LOGGER.debug("Status request failed: %s", err)

    @callback
    def _async_on_status(self, status: DeviceStatus) -> None:
        self.statuses[status.mac_address] = status
        self._async_notify()

    @callback
    def _async_on_feature(self, feature: DeviceFeature) -> None:
        self.features[feature.mac_address] = feature
        self._async_notify()


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file (runs in the executor), so a
    reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; it holds nothing secret
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
