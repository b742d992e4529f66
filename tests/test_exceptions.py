"""Tests of nwp500.exceptions, plus the small pure-Python helper modules."""

from __future__ import annotations

import inspect
import pickle

import pytest

from nwp500 import exceptions as exc
from nwp500._redact import REDACTED, redact, redact_mac, redact_topic
from nwp500.config import (
    API_BASE_URL,
    AWS_IOT_ENDPOINT,
    api_base_url,
    mqtt_endpoint,
)
from nwp500.exceptions import (
    APIError,
    AuthenticationError,
    ConnectionDropError,
    DeviceCapabilityError,
    MqttConnectionError,
    MqttError,
    Nwp500Error,
    RangeValidationError,
    TokenRefreshError,
)
from nwp500.mqtt.periodic_types import PeriodicRequestType
from nwp500.mqtt.types import QoS


def test_base_error_str_args_and_to_dict() -> None:
    e = Nwp500Error("boom")
    assert str(e) == "boom"
    assert e.args == ("boom",)
    assert e.details == {}
    assert e.error_code is None and e.retriable is False

    e = MqttError("lost", error_code="E1", details={"a": 1}, retriable=True)
    assert str(e) == "lost [E1] (retriable)"
    assert e.args == ("lost",)
    assert e.to_dict() == {
        "error_type": "MqttError",
        "message": "lost",
        "error_code": "E1",
        "details": {"a": 1},
        "retriable": True,
    }
    assert str(Nwp500Error("m", retriable=True)) == "m (retriable)"


def test_subclass_attributes() -> None:
    a = TokenRefreshError("no", status_code=401, response={"code": 401}, retriable=True)
    assert isinstance(a, AuthenticationError)
    assert (a.status_code, a.response, a.retriable) == (401, {"code": 401}, True)

    api = APIError("bad", code=500, response={"msg": "x"})
    assert (api.code, api.response) == (500, {"msg": "x"})
    assert not hasattr(api, "status_code")

    r = RangeValidationError("out", field="t", value=200, min_value=95, max_value=150)
    assert (r.field, r.value, r.min_value, r.max_value) == ("t", 200, 95, 150)

    p = exc.ParameterValidationError("bad", parameter="mode", value=9)
    assert (p.parameter, p.value) == ("mode", 9)


def test_device_capability_error() -> None:
    e = DeviceCapabilityError("recirculation")
    assert e.feature_name == "recirculation"
    assert str(e) == "Device does not support recirculation capability"
    assert isinstance(e, exc.DeviceError)
    assert str(DeviceCapabilityError("x", "custom")) == "custom"


def test_hierarchy_and_no_runtime_error() -> None:
    for name in exc.__all__:
        cls = getattr(exc, name)
        assert issubclass(cls, Nwp500Error), name
        assert cls.__doc__, name
        if issubclass(cls, MqttError):
            assert not issubclass(cls, RuntimeError), name
    expected_mqtt = {
        "MqttConnectionError",
        "MqttNotConnectedError",
        "MqttPublishError",
        "MqttSubscriptionError",
        "MqttCredentialsError",
        "ConnectionDropError",
    }
    for name in expected_mqtt:
        assert issubclass(getattr(exc, name), MqttError)
    for name in ("InvalidCredentialsError", "TokenExpiredError", "TokenRefreshError"):
        assert issubclass(getattr(exc, name), AuthenticationError)
    assert issubclass(ConnectionDropError, MqttConnectionError)
    # __all__ lists every public exception class defined in the module.
    defined = {
        n
        for n, o in vars(exc).items()
        if inspect.isclass(o) and issubclass(o, BaseException) and not n.startswith("_")
    }
    assert defined == set(exc.__all__)


def _drop() -> ConnectionDropError:
    return ConnectionDropError(
        "AWS_ERROR_MQTT_UNEXPECTED_HANGUP",
        5134,
        "The connection was closed unexpectedly.",
        "tcp_closed",
    )


def test_connection_drop_error() -> None:
    e = _drop()
    assert str(e) == (
        "AWS_ERROR_MQTT_UNEXPECTED_HANGUP: The connection was closed unexpectedly."
    )
    assert e.name == "AWS_ERROR_MQTT_UNEXPECTED_HANGUP"
    assert e.code == 5134
    assert e.message == "The connection was closed unexpectedly."
    assert e.cause == "tcp_closed"
    assert e.error_code == e.name
    assert e.retriable is True
    assert repr(e) == (
        "ConnectionDropError(name='AWS_ERROR_MQTT_UNEXPECTED_HANGUP', code=5134, "
        "message='The connection was closed unexpectedly.', cause='tcp_closed')"
    )
    d = e.to_dict()
    assert d["error_type"] == "ConnectionDropError"
    assert (d["name"], d["code"], d["cause"]) == (e.name, 5134, "tcp_closed")
    assert d["message"] == e.message and d["retriable"] is True
    with pytest.raises(MqttError):
        raise e


def test_connection_drop_error_keywords_and_pickle() -> None:
    e = ConnectionDropError(
        name="AWS_IO_SOCKET_TIMEOUT", code=1048, message="socket timed out", cause="x"
    )
    clone = pickle.loads(pickle.dumps(e))
    assert type(clone) is ConnectionDropError
    assert repr(clone) == repr(e) and str(clone) == str(e)


def test_other_errors_pickle() -> None:
    for e in (
        AuthenticationError("a", status_code=401, retriable=True),
        DeviceCapabilityError("feat"),
        RangeValidationError("r", field="f", min_value=1),
    ):
        clone = pickle.loads(pickle.dumps(e))
        assert clone.to_dict() == e.to_dict()
        assert vars(clone) == vars(e)


def test_enums() -> None:
    assert QoS.AT_LEAST_ONCE == 1 and QoS(2) is QoS.EXACTLY_ONCE
    assert PeriodicRequestType.DEVICE_STATUS == "device_status"
    assert PeriodicRequestType("device_info") is PeriodicRequestType.DEVICE_INFO


def test_config_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NWP500_API_BASE_URL", raising=False)
    monkeypatch.delenv("NWP500_MQTT_ENDPOINT", raising=False)
    assert api_base_url() == API_BASE_URL
    assert mqtt_endpoint() == AWS_IOT_ENDPOINT
    monkeypatch.setenv("NWP500_API_BASE_URL", "http://127.0.0.1:8080/api/v2.1")
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", "mqtt://127.0.0.1:1883")
    assert api_base_url() == "http://127.0.0.1:8080/api/v2.1"
    assert mqtt_endpoint() == "mqtt://127.0.0.1:1883"
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", "")
    assert mqtt_endpoint() == AWS_IOT_ENDPOINT


def test_redaction() -> None:
    assert redact_topic("cmd/52/navilink-04786332fca0/st") == (
        f"cmd/52/navilink-{REDACTED}/st"
    )
    assert "04786332" not in redact_topic("evt/52/04786332FCA0/x")
    assert redact_topic("x 04:78:63:32:fc:a0 y") == f"x {REDACTED} y"
    # Longer hex runs (hashes, signatures) are not mistaken for MACs.
    assert redact_topic("ab" * 16) == "ab" * 16
    assert redact_mac("04786332fca0") == REDACTED
    assert redact_mac("") == ""

    data = {
        "password": "hunter2",
        "accessToken": "t",
        "nested": [{"macAddress": "04786332fca0", "refreshToken": None}],
        "X-Amz-Security-Token": "s",
        "AccessKeyId": "AKIA",
        "topic": "cmd/52/navilink-04786332fca0",
        "count": 3,
    }
    out = redact(data)
    assert out["password"] == out["accessToken"] == REDACTED
    assert out["nested"][0] == {"macAddress": REDACTED, "refreshToken": None}
    assert out["X-Amz-Security-Token"] == out["AccessKeyId"] == REDACTED
    assert out["topic"] == f"cmd/52/navilink-{REDACTED}"
    assert out["count"] == 3
    assert data["password"] == "hunter2"  # input untouched
