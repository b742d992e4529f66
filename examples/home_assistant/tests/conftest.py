"""Fixtures for the example integration's tests inside a real Home Assistant.

Run with the Home Assistant environment (Python 3.13): ``.venv-ha/bin/python -m pytest
examples/home_assistant/tests`` (``scripts/test`` does it). Nothing of nwp500 is mocked:

* ``simulator``  the simulated Navien cloud, ``python -m nwp500.simulator``, in a child process
                 (REST sign-in, a SigV4-checking websocket MQTT front, mosquitto, an emulated
                 NWP500); the library finds it through the ``NWP500_API_BASE_URL`` /
                 ``NWP500_MQTT_ENDPOINT`` lines it prints. Faults and the emulated device's
                 state go through its HTTP control endpoint.
* ``setup_env``  points the library at the simulator and Home Assistant's config directory
                 at a temporary one; sockets are allowed, to 127.0.0.1 only (pytest-socket as
                 pytest-homeassistant-custom-component configures it).
* ``config_entry`` a ``MockConfigEntry`` with the simulator's account, added to ``hass``.

Home Assistant's checks stay on: ``verify_cleanup`` (no lingering task, timer or thread after
each test) and blocking-call detection. pytest-homeassistant-custom-component does not arm the
latter, and Home Assistant skips its file/import checks while ``unittest`` is imported; here it
is armed in full, as ``bootstrap`` arms it in a real instance, and every test fails if Home
Assistant logged "Detected blocking call" with nwp500 or the integration in the offending
stack. An audit hook also fails any test during which a module of nwp500 or of the integration
was imported on the event loop's thread by an ``import`` statement (``importlib.import_module``
in the loop is one of Home Assistant's own checks).

The test modules import nothing of nwp500 or of the integration themselves, so the first
import of both happens where Home Assistant does it, in its executor.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from homeassistant import block_async_io
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from homeassistant.util.loop import raise_for_blocking_call
from pytest_homeassistant_custom_component.common import MockConfigEntry

DOMAIN = "navien_nwp500"

# -- the integration under test ------------------------------------------------------------
# Home Assistant finds custom integrations through the ``custom_components`` package, which it
# imports from its config directory. Here that package is examples/home_assistant/
# custom_components, a namespace package as in a real config directory, imported before the
# first ``hass`` (pytest-homeassistant-custom-component's test config dir would otherwise
# provide its own).
_EXAMPLE = str(Path(__file__).resolve().parents[1])
if _EXAMPLE not in sys.path:
    sys.path.insert(0, _EXAMPLE)
import custom_components  # noqa: E402

assert any(Path(p) == Path(_EXAMPLE, "custom_components") for p in custom_components.__path__), \
    f"custom_components resolves to {list(custom_components.__path__)}"


# -- blocking-call detection, armed in full -------------------------------------------------
# A real Home Assistant arms it in bootstrap (``block_async_io.enable()``); the test harness
# does not, and under tests (``unittest`` imported) ``enable()`` would skip the checks of
# open(), Path.read_text/write_text, importlib.import_module, os.listdir/scandir and the ssl
# loaders. So every one of Home Assistant's checks is armed here, with one difference from
# ``protect_loop``: it checks "is an event loop running in this thread" rather than "is this
# the thread that armed it". In Home Assistant both are the same (the loop owns the main
# thread); under pytest the main thread also runs pytest itself between tests.
def _arm_blocking_call_detection() -> None:
    for call in block_async_io._BLOCKING_CALLS:
        original = call.original_func

        def protected(*args: Any, _call: Any = call, _original: Any = original, **kwargs: Any) -> Any:
            if asyncio._get_running_loop() is not None:
                # Same frame depth as Home Assistant's protect_loop: the offender is 2 up.
                raise_for_blocking_call(_original, check_allowed=_call.check_allowed, strict=_call.strict,
                                        strict_core=_call.strict_core, args=args, kwargs=kwargs)
            return _original(*args, **kwargs)

        setattr(call.object, call.function, protected)


_arm_blocking_call_detection()

#: How Home Assistant words a blocking call it caught (logged; raised for the strict ones).
BLOCKING_MARKERS = ("Detected blocking call", "Caught blocking call")
#: What makes a report ours: the offender or a caller in nwp500 or in the integration. (Home
#: Assistant's own test harness does some blocking I/O in the loop; not this project's concern.)
OURS_MARKERS = ("nwp500", "navien")


# -- imports on the event loop's thread -------------------------------------------------------
_LOOP_IMPORTS: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "import":
        return
    name = args[0]
    if not isinstance(name, str) or not (
        name == "nwp500" or name.startswith("nwp500.") or name.startswith("custom_components.navien_nwp500")
    ):
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # no loop running in this thread: an executor thread, or collection time
    _LOOP_IMPORTS.append(name)


sys.addaudithook(_audit)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def loop_hygiene() -> Generator[_Collect]:
    """Fail the test when Home Assistant reported a blocking call in its event loop, or a
    module of nwp500 or the integration was imported there (set up before ``hass``, so this
    also covers its teardown, where remaining entries are unloaded)."""
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    _LOOP_IMPORTS.clear()
    try:
        yield handler
    finally:
        root.removeHandler(handler)
    reports = [r.getMessage().splitlines()[0] for r in handler.records
               if any(m in r.getMessage() for m in BLOCKING_MARKERS)
               and any(m in r.getMessage() for m in OURS_MARKERS)]
    handler.records.clear()
    assert not reports, "Home Assistant detected blocking calls in its event loop:\n" + "\n".join(reports)
    assert not _LOOP_IMPORTS, f"imported on the event loop's thread: {_LOOP_IMPORTS}"


@pytest.fixture(autouse=True)
def simulator_outlives_hass(request: pytest.FixtureRequest) -> None:
    """Start a test's simulator before ``hass`` (so it stops after it): the entries Home
    Assistant unloads at teardown then disconnect from a cloud that is still there."""
    if "simulator" in request.fixturenames:
        request.getfixturevalue("simulator")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(loop_hygiene: _Collect, simulator_outlives_hass: None,
                                    enable_custom_integrations: None) -> None:
    """Let Home Assistant load ``custom_components/navien_nwp500``. (Its first two arguments
    order the fixtures: ``loop_hygiene`` and the simulator are set up before ``hass``, so they
    are torn down after it.)"""


# -- the simulated Navien cloud, in a child process ------------------------------------------
@dataclass
class Simulator:
    """A running ``python -m nwp500.simulator``; the methods block (call them in an executor)."""

    process: subprocess.Popen[bytes]
    exports: dict[str, str]
    log_path: Path
    control_url: str = field(init=False)

    def __post_init__(self) -> None:
        base = self.api_base_url
        self.control_url = base[: base.index("/", len("http://"))] + "/_sim"

    @property
    def api_base_url(self) -> str:
        return self.exports["NWP500_API_BASE_URL"]

    @property
    def mqtt_endpoint(self) -> str:
        return self.exports["NWP500_MQTT_ENDPOINT"]

    @property
    def email(self) -> str:
        return self.exports["NAVIEN_EMAIL"]

    @property
    def password(self) -> str:
        return self.exports["NAVIEN_PASSWORD"]

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.control_url}/state", timeout=10) as resp:
            return json.load(resp)["data"]

    def fault(self, action: str, **params: Any) -> dict[str, Any]:
        """Apply one fault (``drop``, ``reset``, ``blackhole`` ...); returns once it took effect."""
        body = json.dumps(dict(params, action=action)).encode()
        req = urllib.request.Request(f"{self.control_url}/fault", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)["data"]

    def device_state(self) -> dict[str, Any]:
        return self.state()["devices"][0]["state"]

    def front_connections(self) -> list[dict[str, Any]]:
        return self.state()["front"]["connections"]


def _read_exports(proc: subprocess.Popen[bytes], deadline: float) -> dict[str, str]:
    """The ``export NAME=value`` lines the simulator prints once it is up."""
    assert proc.stdout is not None
    fd, buf, exports = proc.stdout.fileno(), b"", {}
    while len(exports) < 4:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the simulator printed no export lines in time")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError(f"the simulator exited (status {proc.wait()})")
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            text = line.decode().strip()
            if text.startswith("export ") and "=" in text:
                name, value = text[len("export "):].split("=", 1)
                exports[name] = value
    return exports


@pytest.fixture
def simulator(tmp_path: Path) -> Generator[Simulator]:
    """A fresh simulated Navien cloud per test (constant tank temperature: ``--no-thermal``)."""
    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto is not installed (scripts/setup installs it)")
    log_path = tmp_path / "simulator.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nwp500.simulator", "--no-thermal", "--log-level", "INFO",
             "--log-dir", str(tmp_path / "simulator")],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        sim = Simulator(proc, _read_exports(proc, time.monotonic() + 30), log_path)
        yield sim
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    return path


@pytest.fixture
def setup_env(hass: HomeAssistant, simulator: Simulator, config_dir: Path,
              monkeypatch: pytest.MonkeyPatch, socket_enabled: None) -> Simulator:
    """The library pointed at the simulator (the guide's code reads these variables), Home
    Assistant's config directory at a temporary one."""
    monkeypatch.setenv("NWP500_API_BASE_URL", simulator.api_base_url)
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", simulator.mqtt_endpoint)
    hass.config.config_dir = str(config_dir)
    return simulator


@pytest.fixture
def config_entry(hass: HomeAssistant, setup_env: Simulator) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=setup_env.email,
        unique_id=setup_env.email,
        data={"email": setup_env.email, "password": setup_env.password},
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def closed_port(socket_enabled: None) -> int:
    """A 127.0.0.1 port nothing listens on: an unreachable cloud."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- waiting, with deadlines ------------------------------------------------------------------
async def wait_for_state(hass: HomeAssistant, predicate: Callable[[], bool], what: str,
                         timeout: float = 20.0) -> None:
    """Wait until ``predicate()`` holds, re-checking on every state change in Home Assistant."""
    changed = asyncio.Event()

    @callback
    def on_change(_event: Event) -> None:
        changed.set()

    unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                changed.clear()
                await changed.wait()
    except TimeoutError:
        pytest.fail(f"timed out after {timeout} s waiting for {what}")
    finally:
        unsub()


async def poll(hass: HomeAssistant, check: Callable[[], Any], what: str | Callable[[], str],
               timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Run the blocking ``check()`` in the executor until it returns something truthy (for
    things outside Home Assistant: the simulator's state, files, /proc); fail at the deadline
    (``what`` may be a callable, to describe the last state in the message)."""
    deadline = time.monotonic() + timeout
    while True:
        last = await hass.async_add_executor_job(check)
        if last:
            return last
        if time.monotonic() > deadline:
            text = what() if callable(what) else what
            pytest.fail(f"timed out after {timeout} s waiting for {text} (last: {last!r})")
        await asyncio.sleep(interval)


async def async_setup_diagnostics(hass: HomeAssistant) -> bool:
    """Home Assistant's diagnostics integration (serves the download over its HTTP API)."""
    ok = await async_setup_component(hass, "diagnostics", {})
    await hass.async_block_till_done()
    return ok
