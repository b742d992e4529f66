"""An emulated NWP500 on the simulator's broker, speaking the Navien MQTT protocol.

It is an ordinary MQTT client (nwp500's own :class:`~nwp500.NavienMqttClient`, pointed at
``mqtt://127.0.0.1:PORT``), subscribed to ``cmd/{deviceType}/navilink-{mac}/#``. Requests
(messages with a ``request`` object and no ``response``) are answered on the request's
``responseTopic``; everything else, including its own replies, is ignored.

What answers what:

* status (16777219) and every ``ctrl`` command (power, DHW mode incl. vacation ``[5, days]``,
  DHW temperature, anti-legionella, TOU on/off, freeze temperature, demand response on/off,
  air-filter reset, recirculation mode and hot button, intelligent scheduling on/off, OTA
  commit and check, Wi-Fi reconnect/reset, smart diagnostic, reservation water program): a
  full status, after applying (the last four are only recorded in ``state.applied``);
* weekly reservation write (33554438): ``reservationUse`` and the program, hex-encoded like
  the reservation read-back, on ``cmd/DT/{clientID}/res/rsv-weekly/rd``;
* recirculation schedule write (33554440): ``schedule``, a list of windows, on
  ``cmd/DT/{clientID}/res/recirc-rsv/rd``. 9.3.0 sends both writes with the per-device
  ``responseTopic``, but subscribes to these two topics for the read-backs; where a real
  device answers is not known, so the emulation answers where 9.3.0 listens;
* device info (16777217): the feature object;
* energy usage (16777225): daily usage, on ``cmd/DT/{clientID}/res/energy-usage-daily-query/rd``;
* reservation write (16777226) and read (16777222): ``reservationUse`` and the program,
  hex-encoded (6 bytes per entry), on ``cmd/DT/{clientID}/res/rsv/rd``;
* TOU settings (33554439; a write when it carries ``reservation``, else a read):
  ``reservationUse`` and the periods, on ``cmd/DT/{clientID}/res/tou/rd``.

An invalid write (out-of-range parameter, malformed entry, another controller's serial) is
logged and changes nothing, but is still answered with the current state, as the device does
for an out-of-range control parameter.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import logging
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from . import devicestate as ds

_log = logging.getLogger("nwp500.simulator.device")


@dataclass(frozen=True)
class DeviceSpec:
    """A registered device: what the REST API lists and what answers on MQTT."""

    mac_address: str = "04786332fca0"
    additional_value: str = "5322"
    device_type: int = 52
    device_name: str = "NWP500"
    home_seq: int = 25004
    serial_number: str = "56496061BT22230408"
    #: Feature keys this device reports differently from a stock NWP500, e.g. a model without
    #: a heat pump: ``(("heatpumpUse", 1),)`` (capability flags: 2 = supported, 1 = not).
    feature_overrides: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        mac = self.mac_address.lower()
        if len(mac) != 12 or any(c not in "0123456789abcdef" for c in mac):
            raise ValueError(f"mac_address must be 12 hex digits, got {self.mac_address!r}")
        object.__setattr__(self, "mac_address", mac)
        object.__setattr__(self, "feature_overrides", tuple((str(k), int(v)) for k, v in self.feature_overrides))

    @property
    def topic_root(self) -> str:
        return f"cmd/{self.device_type}/navilink-{self.mac_address}"


class _DeviceAuth:
    """Duck-typed auth client for a connection that needs no credentials (plain mqtt://)."""

    is_authenticated = True
    has_stored_credentials = False

    def __init__(self) -> None:
        self.current_tokens = SimpleNamespace(access_key_id="ASIASIMULATEDDEVICE0", secret_key="unused",
                                              session_token=None, refresh_token=None)

    async def ensure_valid_token(self) -> Any:
        return self.current_tokens

    async def refresh_token(self, refresh_token: str) -> Any:
        return self.current_tokens

    async def re_authenticate(self) -> Any:
        return self.current_tokens


def energy_usage(spec: DeviceSpec, year: int, months: list[int]) -> dict[str, Any]:
    """Daily heat-pump/element usage (Wh) and run time (h), stable per device and day."""
    usage, total = [], {"hpUsage": 0, "heUsage": 0, "hpTime": 0, "heTime": 0}
    for month in months:
        if not 1 <= month <= 12:
            continue
        days = []
        for day in range(1, calendar.monthrange(year, month)[1] + 1):
            h = hashlib.sha256(f"{spec.mac_address}/{year}/{month}/{day}".encode()).digest()
            hp_time, he_time = 2 + h[0] % 5, (h[1] % 4 == 0) * (1 + h[2] % 2)
            entry = {"hpUsage": hp_time * 460 + h[3] % 90, "heUsage": he_time * 3750,
                     "hpTime": hp_time, "heTime": he_time}
            for k in total:
                total[k] += entry[k]
            days.append(entry)
        usage.append({"year": year, "month": month, "data": days})
    return {"typeOfUsage": 1, "total": total, "usage": usage}


class EmulatedDevice:
    def __init__(self, spec: DeviceSpec, broker_url: str, *, thermal: bool = True,
                 status_key: str = "status", feature_key: str = "feature") -> None:
        self.spec = spec
        self.broker_url = broker_url
        self.state = ds.DeviceState(spec.serial_number, thermal=thermal)
        self.state.feature.update(spec.feature_overrides)
        self.status_key, self.feature_key = status_key, feature_key
        self.client: Any = None
        self.offline = False          # True: requests are received but never answered
        self.requests_handled = 0
        self.last_request: dict[str, Any] | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def client_id(self) -> str:
        return f"navilink-{self.spec.mac_address}"

    async def start(self, timeout: float = 5.0) -> None:
        from nwp500 import MqttConnectionConfig, NavienMqttClient  # the package under test

        config = MqttConnectionConfig(endpoint=self.broker_url, client_id=self.client_id,
                                      keep_alive_secs=60, initial_reconnect_delay=0.2,
                                      max_reconnect_delay=2.0, operation_timeout=5.0)
        self.client = NavienMqttClient(_DeviceAuth(), config=config)
        await asyncio.wait_for(self.client.connect(), timeout)
        await asyncio.wait_for(self.client.subscribe(f"{self.spec.topic_root}/#", self._on_message), timeout)

    async def stop(self, timeout: float = 5.0) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.disconnect(), timeout)
            finally:
                self.client = None

    # -- requests --------------------------------------------------------------------
    def _on_message(self, topic: str, message: Any) -> None:
        if not isinstance(message, dict) or "response" in message:
            return  # our own replies (and anything else that is not a request)
        request = message.get("request")
        if not isinstance(request, dict) or self.offline:
            return
        task = asyncio.ensure_future(self._answer(topic, message, request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def reply_for(self, topic: str, message: dict, request: dict) -> tuple[str, dict] | None:
        """The (topic, payload) answering one request, after applying it; ``None`` to stay quiet."""
        spec = self.spec
        try:
            command = int(request["command"])
        except (KeyError, TypeError, ValueError):
            return None
        client_id = str(message.get("clientID") or "")
        response: dict[str, Any] = {"command": command, "deviceType": spec.device_type,
                                    "macAddress": spec.mac_address, "additionalValue": spec.additional_value}
        reply_topic = message.get("responseTopic")
        default_topic = f"{spec.topic_root}/{client_id}/res"
        forced_topic: str | None = None
        if command == ds.OTA_COMMIT:
            if not self.state.commit_ota(request.get("commitOta")):
                _log.info("device %s ignored an OTA commit %r", spec.mac_address[-4:], request.get("commitOta"))
            response[self.status_key] = self.state.status_for(command)
        elif command == ds.RESERVATION_WEEKLY:
            if not self.state.write_weekly(request.get("reservationUse"), request.get("reservation")):
                _log.info("device %s ignored an invalid weekly reservation write", spec.mac_address[-4:])
            response.update(self.state.weekly_response())
            forced_topic = f"cmd/{spec.device_type}/{client_id}/res/rsv-weekly/rd"
        elif command == ds.RECIRC_RESERVATION:
            if not self.state.write_recirculation_schedule(request.get("schedule")):
                _log.info("device %s ignored an invalid recirculation schedule", spec.mac_address[-4:])
            response.update(self.state.recirculation_response())
            forced_topic = f"cmd/{spec.device_type}/{client_id}/res/recirc-rsv/rd"
        elif command == ds.STATUS or command in ds.CONTROL_COMMANDS:
            if command in ds.CONTROL_COMMANDS:
                if not self.state.apply(command, request.get("param")):
                    _log.info("device %s ignored command %s %r", spec.mac_address[-4:], command,
                              request.get("param"))
            response[self.status_key] = self.state.status_for(command)
        elif command == ds.DEVICE_INFO:
            response[self.feature_key] = dict(self.state.feature)
        elif command == ds.ENERGY_USAGE:
            months = request.get("month") or []
            year = request.get("year")
            if not isinstance(year, int) or not isinstance(months, list):
                return None
            response.update(energy_usage(spec, year, [m for m in months if isinstance(m, int)]))
            default_topic = f"cmd/{spec.device_type}/{client_id}/res/energy-usage-daily-query/rd"
        elif command in ds.RESERVATION_COMMANDS:
            if command == ds.RESERVATION_WRITE and not self.state.write_reservations(
                    request.get("reservationUse"), request.get("reservation")):
                _log.info("device %s ignored an invalid reservation write", spec.mac_address[-4:])
            response.update(self.state.reservation_response())
            default_topic = f"cmd/{spec.device_type}/{client_id}/res/rsv/rd"
        elif command == ds.TOU_SETTINGS:
            if "reservation" in request and not self.state.write_tou(
                    request.get("controllerSerialNumber"), request.get("reservationUse"),
                    request.get("reservation")):
                _log.info("device %s ignored an invalid TOU write", spec.mac_address[-4:])
            response.update(self.state.tou_response())
            default_topic = f"cmd/{spec.device_type}/{client_id}/res/tou/rd"
        else:
            return None
        if forced_topic is not None:
            reply_topic = forced_topic
        elif not isinstance(reply_topic, str) or not reply_topic or "#" in reply_topic or "+" in reply_topic:
            reply_topic = default_topic
        payload = {"clientID": client_id, "sessionID": message.get("sessionID", ""),
                   "requestTopic": message.get("requestTopic", topic), "responseTopic": reply_topic,
                   "response": response}
        return reply_topic, payload

    async def _answer(self, topic: str, message: dict, request: dict) -> None:
        self.last_request = message
        reply = self.reply_for(topic, message, request)
        if reply is None:
            return
        self.requests_handled += 1
        try:
            await self.client.publish(*reply)
        except Exception as exc:  # noqa: BLE001 - a lost reply is what a real device does too
            _log.warning("device %s could not publish a reply: %s", self.spec.mac_address[-4:], exc)

    def snapshot(self) -> dict[str, Any]:
        return {"mac_address": self.spec.mac_address, "device_type": self.spec.device_type,
                "connected": bool(self.client is not None and self.client.is_connected),
                "offline": self.offline, "requests_handled": self.requests_handled,
                "state": self.state.summary(),
                # what the device carried out, oldest first: [command, [values]]
                "applied": [[command, list(values)] for command, values in self.state.applied[-100:]]}
