"""MqttConnectionConfig: 9.3.0 defaults, validation at construction, the environment
default of the endpoint, mutability, import paths, and the client constructor's checks."""

from __future__ import annotations

import asyncio
import importlib
import re
import subprocess
import sys

import pytest

from helpers import DuckAuth
from nwp500 import MqttConnectionConfig, MqttCredentialsError, NavienMqttClient

AWS_IOT_ENDPOINT = "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com"
CLIENT_ID_RE = re.compile(r"navien-client-[0-9a-f]{8}")


def Auth(*, authenticated: bool = True, tokens: bool = True, **token_fields) -> DuckAuth:
    """A DuckAuth, optionally not signed in, without tokens, or with some token fields changed."""
    auth = DuckAuth()
    auth.is_authenticated = authenticated
    for name, value in token_fields.items():
        setattr(auth.current_tokens, name, value)
    if not tokens:
        auth.current_tokens = None
    return auth


@pytest.fixture(autouse=True)
def _no_endpoint_override(monkeypatch):
    monkeypatch.delenv("NWP500_MQTT_ENDPOINT", raising=False)


# ---- defaults ---------------------------------------------------------------------------------

def test_defaults_are_those_of_9_3_0():
    c = MqttConnectionConfig()
    assert c.endpoint == AWS_IOT_ENDPOINT
    assert c.region == "us-east-1"
    assert CLIENT_ID_RE.fullmatch(c.client_id), c.client_id
    assert c.clean_session is True
    assert c.keep_alive_secs == 1200
    assert c.auto_reconnect is True
    assert c.max_reconnect_attempts == -1
    assert c.initial_reconnect_delay == 1.0
    assert c.max_reconnect_delay == 120.0
    assert c.reconnect_backoff_multiplier == 2.0
    assert c.deep_reconnect_threshold == 10
    assert c.operation_timeout == 30.0
    assert c.enable_command_queue is True
    assert c.max_queued_commands == 100
    assert c.max_queued_command_age == 300.0
    # Additions of nwp500 (TARGET §4.4, §4.6): a ping deadline of a few seconds, jitter on.
    assert 0 < c.ping_timeout <= 10
    assert c.reconnect_jitter is True


def test_client_ids_are_generated_per_config_and_empty_counts_as_unset():
    ids = {MqttConnectionConfig().client_id for _ in range(20)}
    assert len(ids) == 20
    assert all(CLIENT_ID_RE.fullmatch(i) for i in ids)
    assert CLIENT_ID_RE.fullmatch(MqttConnectionConfig(client_id="").client_id)
    assert CLIENT_ID_RE.fullmatch(MqttConnectionConfig(client_id=None).client_id)
    assert MqttConnectionConfig(client_id="my-id").client_id == "my-id"


def test_deep_reconnect_threshold_below_one_is_clamped_as_in_9_3_0():
    assert MqttConnectionConfig(deep_reconnect_threshold=0).deep_reconnect_threshold == 1
    assert MqttConnectionConfig(deep_reconnect_threshold=-3).deep_reconnect_threshold == 1


def test_keyword_construction_and_equality():
    a = MqttConnectionConfig(endpoint="mqtt://127.0.0.1:1883", client_id="x", keep_alive_secs=10,
                             ping_timeout=2.0, max_queued_command_age=None)
    b = MqttConnectionConfig(endpoint="mqtt://127.0.0.1:1883", client_id="x", keep_alive_secs=10,
                             ping_timeout=2.0, max_queued_command_age=None)
    assert a.max_queued_command_age is None
    assert a == b
    b.max_queued_commands = 5
    assert a != b


# ---- validation -------------------------------------------------------------------------------

INVALID = [
    # (field named in the message, kwargs)
    ("keep_alive_secs", dict(keep_alive_secs=29)),
    ("keep_alive_secs", dict(keep_alive_secs=1201)),
    ("keep_alive_secs", dict(keep_alive_secs=0)),
    ("keep_alive_secs", dict(endpoint="mqtt://127.0.0.1:1883", keep_alive_secs=0, ping_timeout=1.0)),
    ("keep_alive_secs", dict(endpoint="mqtt://127.0.0.1:1883", keep_alive_secs=-5, ping_timeout=1.0)),
    ("initial_reconnect_delay", dict(initial_reconnect_delay=-1.0)),
    ("initial_reconnect_delay", dict(initial_reconnect_delay=float("nan"))),
    ("max_reconnect_delay", dict(max_reconnect_delay=-0.5)),
    ("max_reconnect_delay", dict(initial_reconnect_delay=10.0, max_reconnect_delay=5.0)),
    ("reconnect_backoff_multiplier", dict(reconnect_backoff_multiplier=0.5)),
    ("max_queued_commands", dict(max_queued_commands=0)),
    ("max_queued_commands", dict(max_queued_commands=-1)),
    ("max_queued_command_age", dict(max_queued_command_age=-1.0)),
    ("operation_timeout", dict(operation_timeout=0)),
    ("operation_timeout", dict(operation_timeout=-1.0)),
    ("ping_timeout", dict(ping_timeout=1200.0)),
    ("ping_timeout", dict(ping_timeout=0.0)),
    ("ping_timeout", dict(endpoint="mqtt://127.0.0.1:1883", keep_alive_secs=5, ping_timeout=5.0)),
    ("endpoint", dict(endpoint="http://example.com")),
    ("endpoint", dict(endpoint="ftp://example.com:21")),
    ("endpoint", dict(endpoint="not a host")),
    ("endpoint", dict(endpoint="mqtt://")),
    ("client_id", dict(client_id="a/b")),
    ("client_id", dict(client_id="a+b")),
    ("client_id", dict(client_id="a#")),
    ("region", dict(region="")),
]


@pytest.mark.parametrize("field,kwargs", INVALID, ids=[f"{f}-{i}" for i, (f, _) in enumerate(INVALID)])
def test_invalid_value_is_a_value_error_naming_the_field(field, kwargs):
    with pytest.raises(ValueError) as info:
        MqttConnectionConfig(**kwargs)
    assert field in str(info.value), str(info.value)


@pytest.mark.parametrize("kwargs", [
    dict(keep_alive_secs=30), dict(keep_alive_secs=1200),
    dict(initial_reconnect_delay=0.0, max_reconnect_delay=0.0),
    dict(reconnect_backoff_multiplier=1.0),
    dict(max_queued_commands=1), dict(max_queued_command_age=0.0), dict(max_queued_command_age=None),
    dict(operation_timeout=0.001),
    dict(endpoint="mqtt://127.0.0.1:1883", keep_alive_secs=1, ping_timeout=0.5),
    dict(endpoint="mqtt://127.0.0.1:1883", keep_alive_secs=65535),
    dict(endpoint="mqtts://localhost:8883"), dict(endpoint="ws://198.51.100.2:8080/mqtt"),
    dict(endpoint="wss://localhost:8443/mqtt"), dict(endpoint="example-ats.iot.eu-west-1.amazonaws.com"),
    dict(client_id="navien-client-0123abcd"),
])
def test_boundary_values_are_accepted(kwargs):
    MqttConnectionConfig(**kwargs)


def test_keep_alive_range_applies_to_aws_endpoints_only():
    MqttConnectionConfig(endpoint="mqtt://127.0.0.1:1883", keep_alive_secs=5, ping_timeout=1.0)
    MqttConnectionConfig(endpoint="ws://198.51.100.2:8080/mqtt", keep_alive_secs=2, ping_timeout=1.0)
    with pytest.raises(ValueError, match="keep_alive_secs"):
        MqttConnectionConfig(endpoint="wss://x-ats.iot.us-east-1.amazonaws.com/mqtt", keep_alive_secs=5,
                             ping_timeout=1.0)


def test_validate_rechecks_a_mutated_config():
    # A rule between two fields is checked when the record is used, so fields can be
    # assigned in any order; validate() (and connect()) names the field.
    c = MqttConnectionConfig()
    c.validate()
    c.initial_reconnect_delay = 500.0
    with pytest.raises(ValueError, match="max_reconnect_delay"):
        c.validate()
    c.max_reconnect_delay = 600.0
    c.validate()


@pytest.mark.parametrize("field,value", [
    ("operation_timeout", -1.0), ("operation_timeout", float("nan")), ("operation_timeout", 0.0),
    ("operation_timeout", 1e30), ("ping_timeout", float("inf")), ("max_queued_commands", 0),
    ("initial_reconnect_delay", -0.5), ("max_reconnect_delay", 1e300),
    ("reconnect_backoff_multiplier", 0.5), ("max_queued_command_age", -3.0),
    ("keep_alive_secs", 0), ("client_id", "a/b"), ("endpoint", "ftp://x"), ("region", " "),
])
def test_every_assignment_is_checked_and_a_bad_one_changes_nothing(field, value):
    c = MqttConnectionConfig()
    before = getattr(c, field)
    with pytest.raises(ValueError, match=field):
        setattr(c, field, value)
    assert getattr(c, field) == before
    c.validate()


# ---- environment default of the endpoint ------------------------------------------------------

def test_endpoint_env_default(monkeypatch):
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", "mqtt://127.0.0.1:18830")
    assert MqttConnectionConfig(keep_alive_secs=10, ping_timeout=1.0).endpoint == "mqtt://127.0.0.1:18830"
    # An explicit endpoint wins over the environment.
    assert MqttConnectionConfig(endpoint="mqtt://127.0.0.1:1").endpoint == "mqtt://127.0.0.1:1"
    # Read at construction, not import time.
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", "ws://198.51.100.2:8080/mqtt")
    assert MqttConnectionConfig().endpoint == "ws://198.51.100.2:8080/mqtt"
    # Empty or blank counts as unset.
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", "  ")
    assert MqttConnectionConfig().endpoint == AWS_IOT_ENDPOINT
    monkeypatch.delenv("NWP500_MQTT_ENDPOINT")
    assert MqttConnectionConfig().endpoint == AWS_IOT_ENDPOINT


def test_endpoint_env_value_is_validated(monkeypatch):
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", "http://example.com")
    with pytest.raises(ValueError, match="endpoint"):
        MqttConnectionConfig()


def test_endpoint_env_default_is_used_by_a_client_without_config(monkeypatch, broker):
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", broker.url)
    client = NavienMqttClient(Auth())
    assert client.config.endpoint == broker.url

    async def main():
        assert await asyncio.wait_for(client.connect(), 10) is True
        await asyncio.wait_for(client.disconnect(), 10)

    asyncio.run(main())
    assert broker.count_connections(client.client_id) == 1


def test_nwp500_config_helpers_follow_the_environment(monkeypatch):
    from nwp500 import config
    assert config.AWS_IOT_ENDPOINT == AWS_IOT_ENDPOINT
    assert config.mqtt_endpoint() == AWS_IOT_ENDPOINT
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", "mqtt://127.0.0.1:1")
    assert config.mqtt_endpoint() == "mqtt://127.0.0.1:1"


# ---- mutability -------------------------------------------------------------------------------

def test_fields_are_mutable_and_connect_uses_the_current_values(broker):
    config = MqttConnectionConfig(endpoint="mqtt://127.0.0.1:1", client_id="before-mutation",
                                  keep_alive_secs=10, ping_timeout=1.0)
    client = NavienMqttClient(Auth(), config=config)
    assert client.config is config  # the caller's object, as in 9.3.0

    config.endpoint = broker.url
    config.client_id = "after-mutation"
    assert client.client_id == "after-mutation"

    async def main():
        assert await asyncio.wait_for(client.connect(), 10) is True
        assert client.is_connected
        await asyncio.wait_for(client.disconnect(), 10)

    asyncio.run(main())
    assert broker.count_connections("after-mutation") == 1
    assert broker.count_connections("before-mutation") == 0


def test_connect_rejects_an_invalid_mutation(broker):
    config = MqttConnectionConfig(endpoint=broker.url, keep_alive_secs=10, ping_timeout=1.0)
    client = NavienMqttClient(Auth(), config=config)
    config.ping_timeout = 30.0  # fine on its own, not with a 10 s keep-alive

    async def main():
        with pytest.raises(ValueError, match="ping_timeout"):
            await asyncio.wait_for(client.connect(), 10)
        assert not client.is_connected

    asyncio.run(main())
    assert broker.count_connections(config.client_id) == 0


# ---- import paths -----------------------------------------------------------------------------

@pytest.mark.parametrize("module", [
    "nwp500", "nwp500.mqtt", "nwp500.mqtt.client", "nwp500.mqtt.utils", "nwp500.mqtt_utils",
    "nwp500.mqtt_client", "nwp500.mqtt_events", "nwp500.events", "nwp500.exceptions", "nwp500.config",
])
def test_import_path(module):
    assert importlib.import_module(module) is sys.modules[module]


def test_import_paths_give_the_same_objects():
    import nwp500
    import nwp500.mqtt
    import nwp500.mqtt.client
    import nwp500.mqtt.utils
    import nwp500.mqtt_client
    import nwp500.mqtt_utils
    from nwp500.mqtt_utils import MqttConnectionConfig as A, PeriodicRequestType as P1
    from nwp500.mqtt.utils import MqttConnectionConfig as B, PeriodicRequestType as P2
    from nwp500.mqtt_client import MqttConnectionConfig as C, NavienMqttClient as N1, PeriodicRequestType as P3

    assert A is B is C is nwp500.MqttConnectionConfig is nwp500.mqtt.MqttConnectionConfig
    assert P1 is P2 is P3 is nwp500.PeriodicRequestType is nwp500.mqtt.PeriodicRequestType
    assert N1 is nwp500.NavienMqttClient is nwp500.mqtt.NavienMqttClient is nwp500.mqtt.client.NavienMqttClient
    assert P1.DEVICE_INFO == "device_info" and P1.DEVICE_STATUS == "device_status"


def test_event_and_exception_modules_export_the_9_3_0_names():
    import nwp500
    from nwp500 import events, exceptions, mqtt_events
    assert events.EventEmitter is nwp500.EventEmitter and events.EventListener is nwp500.EventListener
    assert mqtt_events.MqttClientEvents is nwp500.MqttClientEvents
    assert mqtt_events.ConnectionInterruptedEvent and mqtt_events.ConnectionResumedEvent
    for name in ("MqttError", "MqttConnectionError", "MqttCredentialsError", "MqttNotConnectedError",
                 "MqttPublishError", "Nwp500Error"):
        assert getattr(exceptions, name) is getattr(nwp500, name)
    # Ours, or dropped from the top level by 9.3.0: in nwp500.exceptions only.
    for name in ("MqttSubscriptionError", "ConnectionDropError", "TokenExpiredError", "DeviceNotFoundError",
                 "DeviceOfflineError", "DeviceOperationError"):
        assert getattr(exceptions, name)
        assert name not in nwp500.__all__ and not hasattr(nwp500, name)
    assert issubclass(exceptions.MqttCredentialsError, exceptions.MqttError)


def _loaded_after(statement: str) -> set[str]:
    """The nwp500 modules a fresh interpreter has loaded after ``statement``."""
    code = f"{statement}\nimport sys\nprint(' '.join(m for m in sys.modules if m.startswith('nwp500')))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd="/")
    return set(out.stdout.split())


def test_import_loads_everything_public_and_not_the_simulator():
    """Complete at import: ``import nwp500`` loads every public module (so nothing is imported
    later, inside an event loop), and leaves the simulator (a separate tool) out."""
    loaded = _loaded_after("import nwp500")
    assert {"nwp500.api_client", "nwp500.auth", "nwp500.enums", "nwp500.models.status", "nwp500.mqtt.client",
            "nwp500.mqtt.reconnection", "nwp500.encoding", "nwp500.factory", "nwp500._core"} <= loaded
    assert not any(m.startswith("nwp500.simulator") for m in loaded)
    assert "nwp500._lazy" not in loaded


def test_every_public_name_resolves_and_is_listed():
    import nwp500
    import nwp500.models as models

    for name in nwp500.__all__:
        assert getattr(nwp500, name) is not None, name
        assert name in dir(nwp500)
    for name in models.__all__:
        assert getattr(models, name) is not None, name
    assert nwp500.models is models and nwp500.device_models.DeviceStatus is models.DeviceStatus
    with pytest.raises(AttributeError, match="no_such_name"):
        nwp500.no_such_name
    with pytest.raises(ImportError):
        exec("from nwp500 import no_such_name", {})


_RACE = r"""
import threading
import nwp500, nwp500.models as models
targets = [(nwp500, n) for n in nwp500.__all__] + [(models, n) for n in models.__all__]
barrier = threading.Barrier(len(targets))
errors = []
def read(module, name):
    barrier.wait()
    try:
        getattr(module, name)
    except BaseException as exc:
        errors.append(f"{name}: {type(exc).__name__}: {exc}")
threads = [threading.Thread(target=read, args=t) for t in targets]
for t in threads: t.start()
for t in threads: t.join()
print("\n".join(errors) or "ok")
"""


def test_first_reads_from_many_threads_at_once_all_succeed():
    """Every public name read for the first time by its own thread, all released together:
    no import-lock deadlock (``_DeadlockError``) and no half-initialised module. Before the
    MQTT names went through their package this failed in ~2 of 3 fresh interpreters."""
    for _ in range(10):
        out = subprocess.run([sys.executable, "-c", _RACE], capture_output=True, text=True, timeout=60, cwd="/")
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip() == "ok", out.stdout


# ---- client constructor checks ----------------------------------------------------------------

def test_client_needs_an_authenticated_auth_client():
    with pytest.raises(MqttCredentialsError):
        NavienMqttClient(Auth(authenticated=False))


@pytest.mark.parametrize("kwargs", [
    dict(access_key_id=None), dict(secret_key=None), dict(access_key_id="", secret_key=""),
    dict(access_key_id=None, secret_key=None, session_token=None), dict(tokens=False),
])
def test_client_needs_aws_keys(kwargs):
    with pytest.raises(MqttCredentialsError):
        NavienMqttClient(Auth(**kwargs))


def test_client_rejects_an_invalid_config_object_with_value_error():
    config = MqttConnectionConfig()
    config.initial_reconnect_delay = 500.0  # above max_reconnect_delay: a rule of two fields
    with pytest.raises(ValueError, match="max_reconnect_delay"):
        NavienMqttClient(Auth(), config=config)


def test_client_without_config_gets_a_default_one():
    client = NavienMqttClient(Auth())
    assert isinstance(client.config, MqttConnectionConfig)
    assert client.config.endpoint == AWS_IOT_ENDPOINT
    assert CLIENT_ID_RE.fullmatch(client.client_id)
    assert not client.is_connected


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf"), 1e30])
def test_a_bad_deadline_on_a_live_client_is_refused_and_publish_still_settles(broker, value):
    # Issue 10 item 4: this assignment used to be accepted, and every publish then hung.
    config = MqttConnectionConfig(endpoint=broker.url, keep_alive_secs=10, ping_timeout=1.0,
                                  operation_timeout=5.0)
    client = NavienMqttClient(Auth(), config=config)

    async def main():
        await asyncio.wait_for(client.connect(), 10)
        with pytest.raises(ValueError, match="operation_timeout"):
            client.config.operation_timeout = value
        assert client.config.operation_timeout == 5.0
        assert await asyncio.wait_for(client.publish("t/deadline", {"ok": 1}), 10) > 0
        await asyncio.wait_for(client.disconnect(), 10)

    asyncio.run(main())
