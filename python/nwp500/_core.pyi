"""Type stubs of the Rust extension ``nwp500._core``."""

from typing import Any, Awaitable, Callable, final

from typing_extensions import Self, disjoint_base

__version__: str
__all__ = [
    "_internal_error_probe",
    "MqttConnectionConfig",
    "MqttClientCore",
    "DiagnosticsCore",
    "CloudCore",
    "OpenEiCore",
    "OPENEI_API_URL",
    "OPENEI_API_VERSION",
    "topic_matches_pattern",
    "build_command",
    "fahrenheit_to_half_celsius",
    "drop_cause_for_error_name",
    "presign_websocket_query",
    "__version__",
]

@final
class MqttConnectionConfig:
    """Connection settings (nwp500 9.3.0 fields, plus ``ping_timeout``, ``reconnect_jitter``,
    ``mqtt5`` and ``session_expiry_interval``). ``mqtt5=True`` speaks MQTT 5, so a server that
    closes or refuses the connection says why (``ConnectionDropError.reason_code``);
    ``session_expiry_interval`` (seconds, MQTT 5 with ``clean_session=False``) is how long the
    broker keeps the session and its queued QoS 1 messages after a drop. Mutable: every assignment is checked on its own, and the rules
    between fields (``ping_timeout`` below ``keep_alive_secs``, ...) again at ``connect()``.

    Raises:
        ValueError: an invalid value; the message starts with the field name.
    """

    endpoint: str
    region: str
    client_id: str
    clean_session: bool
    keep_alive_secs: int
    auto_reconnect: bool
    max_reconnect_attempts: int
    initial_reconnect_delay: float
    max_reconnect_delay: float
    reconnect_backoff_multiplier: float
    deep_reconnect_threshold: int
    operation_timeout: float
    enable_command_queue: bool
    max_queued_commands: int
    max_queued_command_age: float | None
    ping_timeout: float
    reconnect_jitter: bool
    mqtt5: bool
    session_expiry_interval: int

    def __new__(
        cls,
        endpoint: str | None = None,
        region: str | None = None,
        client_id: str | None = None,
        clean_session: bool = True,
        keep_alive_secs: int = 1200,
        auto_reconnect: bool = True,
        max_reconnect_attempts: int = ...,
        initial_reconnect_delay: float = 1.0,
        max_reconnect_delay: float = 120.0,
        reconnect_backoff_multiplier: float = 2.0,
        deep_reconnect_threshold: int = 10,
        operation_timeout: float = 30.0,
        enable_command_queue: bool = True,
        max_queued_commands: int = 100,
        max_queued_command_age: float | None = ...,
        ping_timeout: float = ...,
        reconnect_jitter: bool = True,
        mqtt5: bool = False,
        session_expiry_interval: int = ...,
    ) -> Self: ...
    def validate(self) -> None:
        """Check every value again; raises ``ValueError`` naming the field."""

@disjoint_base
class MqttClientCore:
    """The Rust half of :class:`nwp500.NavienMqttClient`; use that class. It owns nothing of
    the connection's state: the session in the Rust core does, and these members read it."""

    def __new__(cls, auth_client: Any, config: MqttConnectionConfig | None = None, unit_system: Any = None, *_args: Any, **_kwargs: Any) -> Self: ...
    @property
    def config(self) -> MqttConnectionConfig: ...
    @property
    def auth_client(self) -> Any: ...
    @property
    def unit_system(self) -> Any: ...
    @property
    def session_id(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def is_connected(self) -> bool: ...
    @property
    def is_reconnecting(self) -> bool: ...
    @property
    def reconnect_attempts(self) -> int: ...
    @property
    def next_reconnect_in(self) -> float | None:
        """Seconds until the next reconnect attempt starts; ``None`` unless one is waiting
        out its backoff delay."""
    @property
    def queued_commands_count(self) -> int: ...
    @property
    def dropped_commands_count(self) -> int:
        """Commands dropped from a full offline queue since the client was made."""
    @property
    def failed_commands_count(self) -> int:
        """Queued commands given up: the connection kept dropping while they were in flight
        (a message the server closes the link on), or, over MQTT 5, they are larger than the
        maximum packet size the server announced."""
    def clear_command_queue(self) -> int:
        """Empty the offline queue; returns how many commands were removed."""
    def _reset_reconnect(self) -> None: ...
    def _subscriptions(self) -> dict[str, int]:
        """``{topic: qos}`` the session keeps: granted, or to be restored on the next link."""
    def _remove_callback(self, topic: str, callback: Callable[..., Any]) -> int:
        """Withdraw one callback (compared with ``==``); returns how many the topic keeps."""
    @property
    def _diagnostics_core(self) -> DiagnosticsCore: ...
    def _connect(self) -> Awaitable[bool]: ...
    def _disconnect(self) -> Awaitable[None]: ...
    def _publish(self, topic: str, payload: dict[str, Any] | list[Any] | str | bytes, qos: int = 1) -> Awaitable[int]: ...
    def _subscribe(self, topic: str, callback: Callable[[str, dict[str, Any]], Any], qos: int = 1) -> Awaitable[int]: ...
    def _unsubscribe(self, topic: str) -> Awaitable[int]: ...

def topic_matches_pattern(topic: str, pattern: str) -> bool:
    """MQTT topic-filter matching with nwp500's rules (``a/#`` also matches ``a``)."""

def presign_websocket_query(
    host: str,
    path: str,
    region: str,
    access_key_id: str,
    secret_key: str,
    session_token: str | None,
    unix_time: int,
    expires: int | None = None,
    service: str = ...,
) -> str:
    """The SigV4 presigned query string of a websocket upgrade (session token unsigned,
    appended last)."""

def drop_cause_for_error_name(name: str) -> str | None:
    """The drop-cause taxonomy entry an AWS CRT error name implies, if any."""

@final
class DiagnosticsCore:
    """The collector behind :class:`nwp500.MqttDiagnosticsCollector`; use that class."""

    def __new__(cls, max_events_retained: int = 1000) -> Self: ...
    @property
    def max_events_retained(self) -> int: ...
    def record_drop(
        self,
        error_name: str | None,
        error_message: str | None,
        error_code: int | None,
        cause: str | None,
        reconnect_attempt: int,
        active_subscriptions: int,
        queued_commands: int,
        want_record: bool = True,
        reason_code: int | None = None,
        reason_string: str | None = None,
    ) -> dict[str, Any] | None: ...
    def record_connection(
        self, event_type: str, session_present: bool, return_code: int | None, attempt_number: int, want_record: bool = True
    ) -> dict[str, Any] | None: ...
    def record_publish(self, queued: bool) -> None: ...
    def record_disconnect(self) -> None: ...
    def record_reconnect_attempt(self) -> None: ...
    def record_system_event(self, kind: str, detail: str) -> None: ...
    def metrics(self) -> dict[str, Any]: ...
    def recent_drops(self, limit: int) -> list[dict[str, Any]]: ...
    def recent_connections(self, limit: int) -> list[dict[str, Any]]: ...
    def system_events(self) -> list[dict[str, str]]: ...
    def recent_system_events(self, limit: int) -> list[dict[str, str]]: ...
    def start_host_monitor(self, interval: float, endpoint: str, journal: bool = True) -> list[str]: ...
    def stop_host_monitor(self) -> None: ...
    @property
    def host_monitor_running(self) -> bool: ...
    def analyze(self) -> dict[str, Any]: ...
    def export_json(self) -> str: ...
    def summary_lines(self) -> list[str]: ...

@final
class CloudCore:
    """The REST session behind :class:`nwp500.NavienAuthClient`; use that class."""

    def __new__(cls, base_url: str, user_id: str, password: str, timeout: float, stored_tokens: str | None = None) -> Self: ...
    @property
    def base_url(self) -> str: ...
    @property
    def user_email(self) -> str | None: ...
    @property
    def has_stored_credentials(self) -> bool: ...
    @property
    def is_authenticated(self) -> bool: ...
    def session(self) -> dict[str, Any] | None: ...
    def sign_in(self, user_id: str | None, password: str | None) -> Awaitable[dict[str, Any]]: ...
    def refresh(self, refresh_token: str | None) -> Awaitable[dict[str, Any]]: ...
    def ensure_valid(self) -> Awaitable[dict[str, Any] | None]: ...
    def enter(self) -> Awaitable[None]: ...
    def re_authenticate(self) -> Awaitable[dict[str, Any]]: ...
    def request(
        self, method: str, path: str, body: str | None = None, query: list[tuple[str, str]] | None = None
    ) -> Awaitable[dict[str, Any]]: ...

def build_command(
    name: str,
    device_type: int,
    mac_address: str,
    additional_value: str,
    client_id: str,
    session_id: str,
    **params: Any,
) -> tuple[str, str]:
    """The topic and JSON payload of device command ``name`` (nwp500 9.3.0's envelope);
    raises nwp500's validation errors for out-of-range parameters."""

def fahrenheit_to_half_celsius(f: float) -> int:
    """A Fahrenheit temperature in the device's half-degree Celsius units (half-even)."""

def _internal_error_probe(place: str) -> Any:
    """Test probe: a panic in a call (``"call"``) or in a runtime future (``"future"``, an
    awaitable) must reach Python as an ``Nwp500Error`` saying it is an internal error."""

OPENEI_API_URL: str
OPENEI_API_VERSION: int

@final
class OpenEiCore:
    """The OpenEI utility-rate client behind :class:`nwp500.openei.OpenEIClient`."""

    def __new__(cls, url: str, api_key: str, timeout: float) -> Self: ...
    def rates(self, zip_code: str, limit: int) -> Awaitable[list[dict[str, Any]]]: ...
