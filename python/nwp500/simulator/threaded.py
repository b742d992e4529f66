"""``SimulatorThread``: a :class:`~.core.Simulator` on its own event loop in a daemon thread,
driven with plain synchronous calls (for pytest fixtures and scripts that use
``asyncio.run`` per test):

    with SimulatorThread() as sim:
        os.environ["NWP500_MQTT_ENDPOINT"] = sim.mqtt_endpoint
        sim.drop()                    # returns once the connections are closed
        sim.fault("blackhole", seconds=5)
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from .core import Simulator


class SimulatorThread:
    def __init__(self, **options: Any) -> None:
        self._options = options
        self.sim: Simulator | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _call(self, coro: Any, timeout: float = 30.0) -> Any:
        assert self._loop is not None, "not started"
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("SimulatorThread controls must not be called from its own loop")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self, timeout: float = 15.0) -> "SimulatorThread":
        if self._thread is not None:
            raise RuntimeError("already started")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="nwp500-simulator")
        self._thread.start()

        async def make() -> Simulator:
            return await Simulator(**self._options).start()

        try:
            self.sim = self._call(make(), timeout)
        except BaseException:
            self._shutdown_loop()
            raise
        return self

    def stop(self, timeout: float = 15.0) -> None:
        if self._thread is None or not self._thread.is_alive():
            return
        try:
            if self.sim is not None:
                self._call(self.sim.stop(), timeout)
        finally:
            self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def cancel_rest() -> None:
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in rest:
                t.cancel()
            if rest:
                await asyncio.wait(rest, timeout=5)

        try:
            asyncio.run_coroutine_threadsafe(cancel_rest(), loop).result(10)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if not thread.is_alive():
            loop.close()

    def __enter__(self) -> "SimulatorThread":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- the Simulator's read-only face --------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in ("api_base_url", "mqtt_endpoint", "control_url", "broker_url", "broker_pid",
                    "email", "password", "device_mac", "devices", "store", "export_lines"):
            if self.sim is None:
                raise AttributeError(f"{name}: simulator not started")
            return getattr(self.sim, name)
        raise AttributeError(name)

    def state(self) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            assert self.sim is not None
            return self.sim.state()
        return self._call(read())

    # -- faults (each returns once it has taken effect) --------------------------------------
    def fault(self, action: str, **params: Any) -> dict[str, Any]:
        assert self.sim is not None, "not started"
        return self._call(self.sim.fault(action, **params))

    def drop(self) -> dict[str, Any]:
        return self.fault("drop")

    def reset(self) -> dict[str, Any]:
        return self.fault("reset")

    def blackhole(self, seconds: float | None = None) -> dict[str, Any]:
        return self.fault("blackhole", seconds=seconds)

    def resume(self) -> dict[str, Any]:
        return self.fault("resume")

    def disconnect(self, reason_code: int, reason: str | None = None) -> dict[str, Any]:
        """An MQTT 5 server DISCONNECT with ``reason_code`` (and ``reason``) to every client."""
        return self.fault("disconnect", reason_code=reason_code, reason=reason)

    def refuse_connect(self, count: int | None = None) -> dict[str, Any]:
        return self.fault("refuse_connect", count=count)

    def allow_connect(self) -> dict[str, Any]:
        return self.fault("allow_connect")

    def expire_credentials(self, drop: bool = False) -> dict[str, Any]:
        return self.fault("expire_credentials", drop=drop)

    def expire_tokens(self) -> dict[str, Any]:
        return self.fault("expire_tokens")

    def takeover(self, client_id: str | None = None, hold: float = 0.0) -> dict[str, Any]:
        return self.fault("takeover", client_id=client_id, hold=hold)

    def cut_every(self, seconds: float) -> dict[str, Any]:
        return self.fault("cut_every", seconds=seconds)

    def cut_stop(self) -> dict[str, Any]:
        return self.fault("cut_stop")

    def idle_timeout(self, seconds: float) -> dict[str, Any]:
        return self.fault("idle_timeout", seconds=seconds)
