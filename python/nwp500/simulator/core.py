"""``Simulator``: the whole simulated Navien cloud in one object, on 127.0.0.1 only.

    async with Simulator() as sim:
        sim.api_base_url     # http://127.0.0.1:P/api/v2.1   (REST + /_sim control)
        sim.mqtt_endpoint    # ws://127.0.0.1:Q/mqtt          (SigV4-checked websocket front)
        await sim.drop()     # or sim.fault("blackhole", seconds=10), ...

Parts: a mosquitto broker (:mod:`.broker`), the REST API (:mod:`.rest`) and control endpoint
(:mod:`.control`) on one HTTP server, the websocket front with fault injection
(:mod:`.wsfront`) and one emulated device per registered device (:mod:`.device`).
It runs on the caller's event loop; :class:`~.threaded.SimulatorThread` runs it on its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Iterable

from . import control
from .broker import Broker
from .device import DeviceSpec, EmulatedDevice
from .httpio import HttpServer, Request, Response, json_response
from .rest import BASE_PATH, NavienApi
from .tokens import CredentialStore
from .wsfront import WsFront

_log = logging.getLogger("nwp500.simulator")

DEFAULT_EMAIL = "demo@example.com"
DEFAULT_PASSWORD = "demo-password"


class Simulator:
    def __init__(self, *, email: str = DEFAULT_EMAIL, password: str = DEFAULT_PASSWORD,
                 devices: Iterable[DeviceSpec] | None = None, rest_port: int = 0, ws_port: int = 0,
                 broker_port: int = 0, token_lifetime: int = 3600, aws_lifetime: int = 3600,
                 refresh_includes_aws: bool = True, strict_sigv4: bool = True,
                 fault_schedule: str | list[control.ScheduledFault] | None = None,
                 cut_every: float | None = None, idle_timeout: float | None = None,
                 refuse_connect: bool = False, thermal: bool = True, log_dir: str | None = None) -> None:
        self.email, self.password = email, password
        self.devices = list(devices) if devices is not None else [DeviceSpec()]
        if not self.devices:
            raise ValueError("devices must not be empty")
        if len({d.mac_address for d in self.devices}) != len(self.devices):
            raise ValueError("devices must have distinct MAC addresses")
        self._ports = (rest_port, ws_port, broker_port)
        self.store = CredentialStore(token_lifetime=token_lifetime, aws_lifetime=aws_lifetime,
                                     refresh_includes_aws=refresh_includes_aws)
        self.store.add_account(email, password)
        self.schedule = (control.parse_schedule(fault_schedule) if isinstance(fault_schedule, str)
                         else list(fault_schedule or []))
        self._initial = {"cut_every": cut_every, "idle_timeout": idle_timeout, "refuse": refuse_connect}
        self.strict_sigv4, self.thermal = strict_sigv4, thermal
        self.broker = Broker(broker_port, log_dir=log_dir)
        self.api = NavienApi(self.store, self.devices)
        self.control = control.ControlApi(self)
        self.http = HttpServer(self._route, name="rest")
        self.front: WsFront | None = None
        self.devices_emulated: list[EmulatedDevice] = []
        self.fault_log: list[dict[str, Any]] = []
        self.started_at: float | None = None
        self._schedule_task: asyncio.Task | None = None
        self._state = "new"

    # -- lifecycle --------------------------------------------------------------------
    async def start(self) -> "Simulator":
        if self._state != "new":
            raise RuntimeError(f"simulator is {self._state}; make a new one")
        self._state = "starting"
        try:
            await self.broker.start()
            rest_port, ws_port, _ = self._ports
            self.front = WsFront((self.broker.host, self.broker.port), self.store, strict=self.strict_sigv4)
            await self.front.start(ws_port)
            await self.http.start(rest_port)
            for spec in self.devices:
                device = EmulatedDevice(spec, self.broker.url, thermal=self.thermal)
                self.devices_emulated.append(device)
                await device.start()
        except BaseException:
            await self.stop()
            raise
        if self._initial["cut_every"]:
            self.front.cut_every(self._initial["cut_every"])
        if self._initial["idle_timeout"]:
            self.front.idle_timeout(self._initial["idle_timeout"])
        if self._initial["refuse"]:
            self.front.refuse_connect(None)
        self.started_at = time.monotonic()
        if self.schedule:
            self._schedule_task = asyncio.ensure_future(
                control.run_schedule(self, self.schedule, self.started_at))
        self._state = "running"
        _log.info("simulator up: %s %s (broker pid %s)", self.api_base_url, self.mqtt_endpoint, self.broker.pid)
        return self

    async def stop(self) -> None:
        """Stop everything (idempotent): devices, servers, then mosquitto by pid."""
        if self._state in ("stopped", "new"):
            self._state = "stopped"
            return
        self._state = "stopping"
        try:
            if self._schedule_task is not None:
                self._schedule_task.cancel()
                await asyncio.wait([self._schedule_task], timeout=2)
            for device in self.devices_emulated:
                try:
                    await device.stop()
                except Exception as exc:  # noqa: BLE001 - keep stopping the rest
                    _log.warning("device stop failed: %s", exc)
            await self.http.stop()
            if self.front is not None:
                await self.front.stop()
        finally:
            try:
                await self.broker.stop()
            finally:
                self.broker.kill_now()
                self.broker.cleanup()
                self._state = "stopped"

    async def __aenter__(self) -> "Simulator":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def _route(self, req: Request) -> Response:
        for handler in (self.control.handle, self.api.handle):
            resp = await handler(req)
            if resp is not None:
                return resp
        return json_response(404, {"code": 404, "msg": "NOT_FOUND", "data": None})

    # -- where things are ------------------------------------------------------------------
    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}{BASE_PATH}"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}/_sim"

    @property
    def mqtt_endpoint(self) -> str:
        assert self.front is not None, "not started"
        return self.front.url

    @property
    def broker_url(self) -> str:
        """The mosquitto TCP listener itself (no SigV4, no faults)."""
        return self.broker.url

    @property
    def broker_pid(self) -> int | None:
        return self.broker.pid

    @property
    def device_mac(self) -> str:
        return self.devices[0].mac_address

    @property
    def device(self) -> EmulatedDevice:
        return self.devices_emulated[0]

    def export_lines(self) -> list[str]:
        return [f"export NWP500_API_BASE_URL={self.api_base_url}",
                f"export NWP500_MQTT_ENDPOINT={self.mqtt_endpoint}",
                f"export NAVIEN_EMAIL={self.email}",
                f"export NAVIEN_PASSWORD={self.password}"]

    def state(self) -> dict[str, Any]:
        return {
            "state": self._state,
            "uptime": None if self.started_at is None else round(time.monotonic() - self.started_at, 3),
            "api_base_url": self.api_base_url, "mqtt_endpoint": self.front.url if self.front else None,
            "broker": {"url": self.broker.url, "pid": self.broker.pid, "running": self.broker.running},
            "front": self.front.snapshot() if self.front else None,
            "credentials": self.store.snapshot(),
            "rest_calls": dict(self.api.calls),
            "tou_plans": {mac: plan["touInfo"] for mac, plan in self.api.tou_plans.items()},
            "devices": [d.snapshot() for d in self.devices_emulated],
            "faults": list(self.fault_log[-50:]),
        }

    # -- faults ----------------------------------------------------------------------------
    async def fault(self, action: str, **params: Any) -> dict[str, Any]:
        """Apply one fault now (see :data:`.control.ACTIONS`); returns what it did."""
        if self._state != "running" or self.front is None:
            raise RuntimeError("simulator is not running")
        result = await control.apply_fault(self, action, params)
        at = round(time.monotonic() - (self.started_at or time.monotonic()), 3)
        self.fault_log.append({"at": at, "action": action, "params": params, "result": result})
        return result

    async def drop(self) -> dict[str, Any]:
        return await self.fault("drop")

    async def reset(self) -> dict[str, Any]:
        return await self.fault("reset")

    async def blackhole(self, seconds: float | None = None) -> dict[str, Any]:
        return await self.fault("blackhole", seconds=seconds)

    async def resume(self) -> dict[str, Any]:
        return await self.fault("resume")

    async def refuse_connect(self, count: int | None = None) -> dict[str, Any]:
        return await self.fault("refuse_connect", count=count)

    async def allow_connect(self) -> dict[str, Any]:
        return await self.fault("allow_connect")

    async def expire_credentials(self, drop: bool = False) -> dict[str, Any]:
        return await self.fault("expire_credentials", drop=drop)

    async def expire_tokens(self) -> dict[str, Any]:
        return await self.fault("expire_tokens")

    async def takeover(self, client_id: str | None = None, hold: float = 0.0) -> dict[str, Any]:
        return await self.fault("takeover", client_id=client_id, hold=hold)

    async def cut_every(self, seconds: float) -> dict[str, Any]:
        return await self.fault("cut_every", seconds=seconds)

    async def cut_stop(self) -> dict[str, Any]:
        return await self.fault("cut_stop")

    async def idle_timeout(self, seconds: float) -> dict[str, Any]:
        return await self.fault("idle_timeout", seconds=seconds)
