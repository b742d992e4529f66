"""Exception hierarchy of nwp500.

Every exception the library raises on purpose derives from :class:`Nwp500Error`,
so ``except Nwp500Error`` catches all of them. The class names, constructor
signatures and attributes follow nwp500-python 9.3.0; the classes 9.3.0 dropped
(``TokenExpiredError``, ``MqttSubscriptionError``, ``DeviceNotFoundError``,
``DeviceOfflineError``, ``DeviceOperationError``) are kept so that code written
against older releases keeps importing.

:class:`ConnectionDropError` is specific to this library: it replaces the raw
``awscrt.exceptions.AwsCrtError`` that the reference leaked, while keeping its
``.name``/``.code``/``.message`` attributes and its ``"NAME: message"`` string so
that code and dashboards keyed on the AWS Common Runtime error names still work.

No :class:`MqttError` subclass derives from :class:`RuntimeError`: callers that
catch ``RuntimeError`` for programming errors must not swallow connectivity
failures by accident.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Nwp500Error",
    "AuthenticationError",
    "InvalidCredentialsError",
    "TokenExpiredError",
    "TokenRefreshError",
    "APIError",
    "MqttError",
    "MqttConnectionError",
    "ConnectionDropError",
    "MqttNotConnectedError",
    "MqttPublishError",
    "MqttSubscriptionError",
    "MqttCredentialsError",
    "ValidationError",
    "ParameterValidationError",
    "RangeValidationError",
    "DeviceError",
    "DeviceNotFoundError",
    "DeviceOfflineError",
    "DeviceOperationError",
    "DeviceCapabilityError",
]


class Nwp500Error(Exception):
    """Base class of every error raised by nwp500.

    Args:
        message: Human-readable description.
        error_code: Optional machine-readable code.
        details: Optional extra context; stored as ``{}`` when omitted.
        retriable: Whether repeating the operation may succeed.
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        details: dict[str, Any] | None = None,
        retriable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.details: dict[str, Any] = details if details is not None else {}
        self.retriable = retriable

    def __str__(self) -> str:
        parts = [self.message]
        if self.error_code:
            parts.append(f"[{self.error_code}]")
        if self.retriable:
            parts.append("(retriable)")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly description, e.g. for logs or diagnostics."""
        return {
            "error_type": type(self).__name__,
            "message": self.message,
            "error_code": self.error_code,
            "details": self.details,
            "retriable": self.retriable,
        }


# --- authentication -------------------------------------------------------


class AuthenticationError(Nwp500Error):
    """Raised when signing in to the Navien cloud or refreshing tokens fails.

    ``status_code`` is the HTTP status when the server answered; ``response`` is
    the decoded response body, if any. Network failures are ``retriable``.
    """

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        response: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.response = response


class InvalidCredentialsError(AuthenticationError):
    """Raised when the cloud rejects the email/password pair.

    Retrying with the same credentials will not help; the user must re-enter them.
    """


class TokenExpiredError(AuthenticationError):
    """Raised when a token has expired and cannot be used.

    Kept for compatibility with code written against older nwp500 releases.
    """


class TokenRefreshError(AuthenticationError):
    """Raised when exchanging the refresh token for new tokens fails."""


# --- REST API -------------------------------------------------------------


class APIError(Nwp500Error):
    """Raised when a Navien REST call fails or returns an error body.

    ``code`` is the HTTP status or the API's own result code (named ``code``,
    not ``status_code``, as in the reference); ``response`` is the decoded body.
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        response: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.code = code
        self.response = response


# --- MQTT -----------------------------------------------------------------


class MqttError(Nwp500Error):
    """Base class of errors from the MQTT connectivity layer."""


class MqttConnectionError(MqttError):
    """Raised when the MQTT connection cannot be established or is unusable.

    Also raised by operations that need state created by ``connect()`` (for
    example periodic requests) when called before a successful connect.
    """


class ConnectionDropError(MqttConnectionError):
    """Describes why an MQTT connection dropped or a connect attempt failed.

    It is delivered as ``ConnectionInterruptedEvent.error``, recorded by the
    diagnostics collector and raised from ``connect()``. Its ``name``/``code``
    follow the AWS Common Runtime errors (e.g. ``AWS_ERROR_MQTT_UNEXPECTED_HANGUP``,
    5134), so handlers written for ``awscrt.exceptions.AwsCrtError`` keep working.

    Args:
        name: AWS Common Runtime style error name.
        code: Matching numeric AWS Common Runtime error code.
        message: Human-readable description.
        cause: Drop-cause class from the library's taxonomy, e.g. ``"tcp_closed"``,
            ``"keepalive_timeout"`` or ``"credentials_expired"``.
        reason_code: MQTT 5 only: the reason code of the server's DISCONNECT or of the
            CONNACK that refused the connection (``0x8E`` session taken over, ...);
            ``None`` over MQTT 3.1.1, where the server cannot say why.
        reason_string: MQTT 5 only: the reason string the server sent with it, if any.
    """

    def __init__(
        self,
        name: str,
        code: int,
        message: str,
        cause: str,
        reason_code: int | None = None,
        reason_string: str | None = None,
    ) -> None:
        # A dropped connection is by nature worth retrying; the reconnect loop
        # decides separately whether the *cause* (e.g. bad credentials) is fatal.
        super().__init__(message, error_code=name, retriable=True)
        self.name = name
        self.code = code
        self.cause = cause
        self.reason_code = reason_code
        self.reason_string = reason_string

    def __str__(self) -> str:
        # Same shape as AwsCrtError's str(), which dashboards parse.
        return f"{self.name}: {self.message}"

    def __repr__(self) -> str:
        # The MQTT 5 reason appears only when there is one, so MQTT 3.1.1 output stays as it was.
        reason = "" if self.reason_code is None else (
            f", reason_code={self.reason_code!r}, reason_string={self.reason_string!r}")
        return (
            f"{type(self).__name__}(name={self.name!r}, code={self.code!r}, "
            f"message={self.message!r}, cause={self.cause!r}{reason})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # args holds only the message, so default pickling would call the
        # four-argument constructor with one argument.
        return (
            type(self),
            (self.name, self.code, self.message, self.cause, self.reason_code, self.reason_string),
            self.__dict__,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the base description plus ``name``, ``code``, ``cause``, ``reason_code``
        and ``reason_string``."""
        data = super().to_dict()
        data.update(name=self.name, code=self.code, cause=self.cause, reason_code=self.reason_code,
                    reason_string=self.reason_string)
        return data


class MqttNotConnectedError(MqttError):
    """Raised when an operation needs a live MQTT connection and there is none.

    Publishing while offline queues the command instead, unless the offline
    queue is disabled.
    """


class MqttPublishError(MqttError):
    """Raised when a publish fails; usually ``retriable``."""


class MqttSubscriptionError(MqttError):
    """Raised when subscribing or unsubscribing to a topic fails.

    Kept for compatibility with code written against older nwp500 releases.
    """


class MqttCredentialsError(MqttError):
    """Raised when no usable AWS credentials are available for MQTT.

    For example: the auth client is not signed in, or a deep reconnect needs
    fresh credentials and there is no refresh token.
    """


# --- validation -----------------------------------------------------------


class ValidationError(Nwp500Error):
    """Base class of errors about invalid arguments, raised before any I/O."""


class ParameterValidationError(ValidationError):
    """Raised when a parameter has an invalid value or type.

    ``parameter`` names the offending argument and ``value`` is what was passed.
    """

    def __init__(
        self,
        message: str,
        parameter: str | None = None,
        value: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.parameter = parameter
        self.value = value


class RangeValidationError(ValidationError):
    """Raised when a numeric value lies outside its allowed range.

    ``field`` names the value; ``min_value``/``max_value`` give the bounds.
    """

    def __init__(
        self,
        message: str,
        field: str | None = None,
        value: Any = None,
        min_value: Any = None,
        max_value: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.field = field
        self.value = value
        self.min_value = min_value
        self.max_value = max_value


# --- devices --------------------------------------------------------------


class DeviceError(Nwp500Error):
    """Base class of errors about a specific device."""


class DeviceNotFoundError(DeviceError):
    """Raised when a requested device is not registered to the account.

    Kept for compatibility with code written against older nwp500 releases.
    """


class DeviceOfflineError(DeviceError):
    """Raised when a device is known but not reachable through the cloud.

    Kept for compatibility with code written against older nwp500 releases.
    """


class DeviceOperationError(DeviceError):
    """Raised when a device rejects or fails an operation.

    Kept for compatibility with code written against older nwp500 releases.
    """


class DeviceCapabilityError(DeviceError):
    """Raised when a command needs a feature the device does not report.

    Args:
        feature_name: The capability that is missing.
        message: Overrides the default
            ``"Device does not support {feature_name} capability"``.
    """

    def __init__(self, feature_name: str, message: str | None = None) -> None:
        if message is None:
            message = f"Device does not support {feature_name} capability"
        super().__init__(message)
        self.feature_name = feature_name
