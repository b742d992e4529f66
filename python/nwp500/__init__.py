"""nwp500: keeps Navien NWP500 heat-pump water heaters connected to the Navien cloud, and
tells you why the connection drops.

The connection lives in a Rust core (``nwp500._core``); this package is its Python face with
nwp500-python 9.3.0's names and import paths.

Names are loaded on first use (PEP 562): ``import nwp500`` costs almost nothing, and
``from nwp500 import NavienMqttClient`` loads the MQTT client without the REST client, the
device records or the enums.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import attach

__version__ = "3.0.0.dev0"

# Where each public name lives (module relative to this package).
_HOME: dict[str, str] = {
    **dict.fromkeys(("CommandCode", "CurrentOperationMode", "DhwOperationSetting", "TemperatureType"), ".enums"),
    **dict.fromkeys(("get_unit_system", "reset_unit_system", "set_unit_system"), ".unit_system"),
    **dict.fromkeys(("AuthTokens", "AuthenticationResponse", "UserInfo"), ".models.auth"),
    **dict.fromkeys(("Device", "DeviceInfo", "FirmwareInfo", "Location", "TOUInfo"), ".models.device"),
    "DeviceFeature": ".models.feature",
    "DeviceStatus": ".models.status",
    "EnergyUsageResponse": ".models.energy",
    **dict.fromkeys(("ReservationSchedule", "TOUReservationSchedule"), ".models.schedule"),
    "NavienAPIClient": ".api_client",
    **dict.fromkeys(("NavienAuthClient", "authenticate", "refresh_access_token"), ".auth"),
    **dict.fromkeys((
        "APIError", "AuthenticationError", "ConnectionDropError", "DeviceCapabilityError", "DeviceError",
        "DeviceNotFoundError", "DeviceOfflineError", "DeviceOperationError", "InvalidCredentialsError",
        "MqttConnectionError", "MqttCredentialsError", "MqttError", "MqttNotConnectedError", "MqttPublishError",
        "MqttSubscriptionError", "Nwp500Error", "ParameterValidationError", "RangeValidationError",
        "TokenExpiredError", "TokenRefreshError", "ValidationError"), ".exceptions"),
    # The MQTT names come through their package, never straight from its submodules: the
    # package imports those itself, and two threads entering the package from both ends at
    # once can deadlock on CPython's import locks.
    **dict.fromkeys(("ConnectionDropEvent", "ConnectionEvent", "DropPatternAnalysis", "MqttDiagnosticsCollector",
                     "MqttMetrics", "NavienMqttClient", "MqttConnectionConfig", "PeriodicRequestType", "QoS"),
                    ".mqtt"),
    **dict.fromkeys(("ConnectionInterruptedEvent", "ConnectionResumedEvent", "MqttClientEvents"), ".mqtt_events"),
    **dict.fromkeys(("EventEmitter", "EventListener"), ".events"),
}

__all__ = sorted(_HOME) + ["__version__"]


__getattr__, __dir__ = attach(__name__, _HOME, __all__)


if TYPE_CHECKING:  # what type checkers and IDEs see; nothing of it runs
    from .api_client import NavienAPIClient
    from .auth import NavienAuthClient, authenticate, refresh_access_token
    from .enums import CommandCode, CurrentOperationMode, DhwOperationSetting, TemperatureType
    from .events import EventEmitter, EventListener
    from .exceptions import (
        APIError, AuthenticationError, ConnectionDropError, DeviceCapabilityError, DeviceError,
        DeviceNotFoundError, DeviceOfflineError, DeviceOperationError, InvalidCredentialsError,
        MqttConnectionError, MqttCredentialsError, MqttError, MqttNotConnectedError, MqttPublishError,
        MqttSubscriptionError, Nwp500Error, ParameterValidationError, RangeValidationError,
        TokenExpiredError, TokenRefreshError, ValidationError,
    )
    from .models.auth import AuthenticationResponse, AuthTokens, UserInfo
    from .models.device import Device, DeviceInfo, FirmwareInfo, Location, TOUInfo
    from .models.energy import EnergyUsageResponse
    from .models.feature import DeviceFeature
    from .models.schedule import ReservationSchedule, TOUReservationSchedule
    from .models.status import DeviceStatus
    from .mqtt.client import NavienMqttClient
    from .mqtt.diagnostics import (
        ConnectionDropEvent, ConnectionEvent, DropPatternAnalysis, MqttDiagnosticsCollector, MqttMetrics,
    )
    from .mqtt.periodic_types import PeriodicRequestType
    from .mqtt.types import QoS
    from .mqtt.utils import MqttConnectionConfig
    from .mqtt_events import ConnectionInterruptedEvent, ConnectionResumedEvent, MqttClientEvents
    from .unit_system import get_unit_system, reset_unit_system, set_unit_system
