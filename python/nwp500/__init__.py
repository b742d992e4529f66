"""nwp500: keeps Navien NWP500 heat-pump water heaters connected to the Navien cloud, and
tells you why the connection drops.

The connection lives in a Rust core (``nwp500._core``); this package is its Python face with
nwp500-python 9.3.0's names and import paths.
"""

from ._core import __version__ as _core_version
from .api_client import NavienAPIClient
from .auth import NavienAuthClient, authenticate, refresh_access_token
from . import device_models  # noqa: F401  (the earlier module name, loaded with the package as before)
from .enums import CommandCode, CurrentOperationMode, DhwOperationSetting, TemperatureType
from .events import EventEmitter, EventListener
from .exceptions import (
    APIError,
    AuthenticationError,
    ConnectionDropError,
    DeviceCapabilityError,
    DeviceError,
    DeviceNotFoundError,
    DeviceOfflineError,
    DeviceOperationError,
    InvalidCredentialsError,
    MqttConnectionError,
    MqttCredentialsError,
    MqttError,
    MqttNotConnectedError,
    MqttPublishError,
    MqttSubscriptionError,
    Nwp500Error,
    ParameterValidationError,
    RangeValidationError,
    TokenExpiredError,
    TokenRefreshError,
    ValidationError,
)
from .mqtt import (
    ConnectionDropEvent,
    ConnectionEvent,
    DropPatternAnalysis,
    MqttConnectionConfig,
    MqttDiagnosticsCollector,
    MqttMetrics,
    NavienMqttClient,
    PeriodicRequestType,
    QoS,
)
from .models import (
    AuthenticationResponse,
    AuthTokens,
    Device,
    DeviceFeature,
    DeviceInfo,
    DeviceStatus,
    EnergyUsageResponse,
    FirmwareInfo,
    Location,
    ReservationSchedule,
    TOUInfo,
    TOUReservationSchedule,
    UserInfo,
)
from .unit_system import get_unit_system, reset_unit_system, set_unit_system
from .mqtt_events import (
    ConnectionInterruptedEvent,
    ConnectionResumedEvent,
    MqttClientEvents,
)

__version__ = "3.0.0.dev0"

__all__ = [
    "CommandCode",
    "CurrentOperationMode",
    "DeviceFeature",
    "DeviceStatus",
    "DhwOperationSetting",
    "EnergyUsageResponse",
    "ReservationSchedule",
    "TOUReservationSchedule",
    "TemperatureType",
    "get_unit_system",
    "reset_unit_system",
    "set_unit_system",
    "AuthTokens",
    "AuthenticationResponse",
    "Device",
    "DeviceInfo",
    "FirmwareInfo",
    "Location",
    "NavienAPIClient",
    "NavienAuthClient",
    "TOUInfo",
    "UserInfo",
    "authenticate",
    "refresh_access_token",
    "APIError",
    "AuthenticationError",
    "ConnectionDropError",
    "ConnectionDropEvent",
    "ConnectionEvent",
    "DropPatternAnalysis",
    "ConnectionInterruptedEvent",
    "ConnectionResumedEvent",
    "DeviceCapabilityError",
    "DeviceError",
    "DeviceNotFoundError",
    "DeviceOfflineError",
    "DeviceOperationError",
    "EventEmitter",
    "EventListener",
    "InvalidCredentialsError",
    "MqttClientEvents",
    "MqttConnectionConfig",
    "MqttConnectionError",
    "MqttCredentialsError",
    "MqttDiagnosticsCollector",
    "MqttError",
    "MqttMetrics",
    "MqttNotConnectedError",
    "MqttPublishError",
    "MqttSubscriptionError",
    "NavienMqttClient",
    "Nwp500Error",
    "ParameterValidationError",
    "PeriodicRequestType",
    "QoS",
    "RangeValidationError",
    "TokenExpiredError",
    "TokenRefreshError",
    "ValidationError",
    "__version__",
]
