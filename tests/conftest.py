"""Shared fixtures: real mosquitto brokers, a TCP fault proxy, a test CA.

* ``test_ca``      session-scoped :class:`TestCA` (nothing set globally; pass
                   ``test_ca.ca_path`` / point ``SSL_CERT_FILE`` at ``bundle_path``
                   yourself, e.g. with ``monkeypatch.setenv``).
* ``broker``       a fresh :class:`Mosquitto` on 127.0.0.1 per test.
* ``tls_broker``   a :class:`Mosquitto` with an extra TLS listener (``tls_url``).
* ``fault_proxy``  factory (uses ``broker``): ``fault_proxy()`` proxies to it,
                   ``fault_proxy((host, port))`` to anything else; all stopped
                   at teardown (before the broker).
* ``ws_broker``    a :class:`WsMosquitto` (ws + wss + tcp) in a private netns;
                   skipped when namespaces are unavailable.

Broker logs are printed at teardown of a failed test (pytest shows them under
"Captured stdout teardown").
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # make `support` importable however pytest is invoked
    sys.path.insert(0, _HERE)

from support import FaultProxy, Mosquitto, NetNamespace, TestCA, WsMosquitto  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a test that takes seconds (deselect: -m 'not slow')")
    # scripts/matrix runs the suite against an installed wheel: make sure that is what the
    # tests import, not the source tree beside them.
    if os.environ.get("NWP500_EXPECT_INSTALLED"):
        import nwp500

        source = os.path.join(os.path.dirname(_HERE), "python")
        if os.path.abspath(nwp500.__file__).startswith(source + os.sep):
            raise pytest.UsageError(f"NWP500_EXPECT_INSTALLED: nwp500 came from {nwp500.__file__}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _failed(request) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return rep is None or rep.failed


def _finish(request, broker) -> None:
    try:
        if _failed(request):
            print(f"---- {broker!r} log (tail) ----\n{broker.log_tail(80)}")
    finally:
        broker.close()


@pytest.fixture(scope="session")
def _mosquitto_installed() -> None:
    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")


@pytest.fixture(scope="session")
def test_ca():
    ca = TestCA()
    yield ca
    ca.cleanup()


@pytest.fixture
def broker(request, _mosquitto_installed):
    b = Mosquitto()
    b.start()
    yield b
    _finish(request, b)


@pytest.fixture
def tls_broker(request, _mosquitto_installed, test_ca):
    b = Mosquitto(tls=True, ca=test_ca)
    b.start()
    yield b
    _finish(request, b)


@pytest.fixture
def fault_proxy(broker):
    proxies: list[FaultProxy] = []

    def make(target: tuple[str, int] | None = None) -> FaultProxy:
        p = FaultProxy(*(target or (broker.host, broker.port)))
        proxies.append(p)
        return p

    yield make
    for p in proxies:
        p.stop()


@pytest.fixture
def ws_broker(request, _mosquitto_installed, test_ca):
    reason = NetNamespace.unavailable_reason()
    if reason:
        pytest.skip(f"websocket broker needs a private network namespace: {reason}")
    b = WsMosquitto(tls=True, ca=test_ca)
    try:
        b.start()
    except BaseException:
        b.close()
        raise
    yield b
    _finish(request, b)


@pytest.fixture
def simulator(request, _mosquitto_installed):
    """A running simulated Navien cloud (:class:`nwp500.simulator.SimulatorThread`), fresh per
    test, on its own loop thread: ``simulator.api_base_url``, ``.mqtt_endpoint``, ``.email``,
    ``.password``, ``.device_mac``, ``.broker_pid``; synchronous faults (``simulator.drop()``,
    ``.blackhole(5)``, ``.fault("takeover")`` ...). Options via indirect parametrisation:
    ``@pytest.mark.parametrize("simulator", [{"strict_sigv4": False}], indirect=True)``."""
    from nwp500.simulator import SimulatorThread

    sim = SimulatorThread(**getattr(request, "param", {}))
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def device_units():
    """Decode in the device's own unit (°F, ``temperatureType`` 2), whatever ran before; use
    with ``pytestmark = pytest.mark.usefixtures("device_units")``."""
    from nwp500.unit_system import reset_unit_system

    reset_unit_system()
    yield
    reset_unit_system()


@pytest.fixture(params=[False, True], ids=["mqtt311", "mqtt5"])
def mqtt5(request) -> bool:
    """Connection behaviour is tested over both protocol versions: a test that takes this
    fixture runs once over MQTT 3.1.1 and once over MQTT 5 (pass it to ``fast_config``)."""
    return request.param
