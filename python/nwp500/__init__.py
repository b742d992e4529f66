"""nwp500: keeps Navien NWP500 heat-pump water heaters connected to the Navien cloud, and
tells you why the connection drops.

The connection lives in a Rust core (``nwp500._core``); this package is its Python face with
nwp500-python 9.3.0's names and import paths.

Everything public is imported here, at ``import nwp500``: afterwards no public name,
module or method imports anything (Home Assistant flags imports inside its event loop).
Only the tools beside the library are left out: the simulator (``nwp500.simulator``) and the
command (``nwp500.cli``, ``python -m nwp500``).
"""

from __future__ import annotations

from ._version import __version__

# The modules, leaves first (each line only needs those above it).
from . import exceptions, enums, config, converters, unit_system, events, mqtt_events  # noqa: I001
from . import models, state_tracker, encoding, temperature, field_factory, topic_builder, utils
from . import auth, api_client, device_info_cache
from . import mqtt
from . import device_capabilities, command_decorators, factory, openei, reservations, tou_schedule
from . import device_models, mqtt_client, mqtt_diagnostics, mqtt_utils

from .api_client import NavienAPIClient
from .auth import NavienAuthClient, authenticate, refresh_access_token
from .enums import (
    CommandCode,
    CurrentOperationMode,
    DhwOperationSetting,
    DREvent,
    ErrorCode,
    FilterChange,
    HeatSource,
    InstallType,
    OnOffFlag,
    Operation,
    RecirculationMode,
    TemperatureType,
    TempFormulaType,
    TouRateType,
    TouWeekType,
    UnitType,
    VolumeCode,
)
from .events import EventEmitter, EventListener
from .exceptions import (
    APIError,
    AuthenticationError,
    DeviceCapabilityError,
    DeviceError,
    InvalidCredentialsError,
    MqttConnectionError,
    MqttCredentialsError,
    MqttError,
    MqttNotConnectedError,
    MqttPublishError,
    Nwp500Error,
    ParameterValidationError,
    RangeValidationError,
    TokenRefreshError,
    ValidationError,
)
from .factory import create_navien_clients
from .models import (
    AuthenticationResponse,
    AuthTokens,
    ConvertedTOUPlan,
    Device,
    DeviceFeature,
    DeviceInfo,
    DeviceStatus,
    EnergyUsageDay,
    EnergyUsageResponse,
    EnergyUsageTotal,
    FirmwareInfo,
    Location,
    MonthlyEnergyData,
    MqttCommand,
    MqttRequest,
    OtaCommitPayload,
    RecirculationSchedule,
    RecirculationScheduleEntry,
    ReservationEntry,
    ReservationSchedule,
    TOUInfo,
    TOUPeriod,
    TOUReservationSchedule,
    TOUSchedule,
    UserInfo,
    WeeklyReservationEntry,
    WeeklyReservationSchedule,
    fahrenheit_to_half_celsius,
    preferred_to_half_celsius,
    reservation_param_to_preferred,
)
from .mqtt import (
    ConnectionDropEvent,
    ConnectionEvent,
    MqttConnectionConfig,
    MqttDiagnosticsCollector,
    MqttMetrics,
    NavienMqttClient,
    PeriodicRequestType,
    QoS,
)
from .mqtt_events import MqttClientEvents
from .openei import OpenEIClient
from .reservations import (
    add_reservation,
    delete_reservation,
    fetch_reservations,
    update_reservation,
    update_reservations_confirmed,
)
from .tou_schedule import configure_tou_schedule_confirmed
from .unit_system import get_unit_system, reset_unit_system, set_unit_system

# nwp500-python 9.3.0's top-level names (all 89), in its order.
__all__ = [
    "__version__",
    "DeviceCapabilityError",
    "create_navien_clients",
    "ConvertedTOUPlan",
    "DeviceStatus",
    "DeviceFeature",
    "DeviceInfo",
    "Location",
    "Device",
    "FirmwareInfo",
    "ReservationEntry",
    "ReservationSchedule",
    "WeeklyReservationEntry",
    "WeeklyReservationSchedule",
    "RecirculationScheduleEntry",
    "RecirculationSchedule",
    "OtaCommitPayload",
    "TOUSchedule",
    "TOUInfo",
    "TOUPeriod",
    "TOUReservationSchedule",
    "MqttRequest",
    "MqttCommand",
    "EnergyUsageTotal",
    "EnergyUsageDay",
    "MonthlyEnergyData",
    "EnergyUsageResponse",
    "CommandCode",
    "CurrentOperationMode",
    "DhwOperationSetting",
    "DREvent",
    "ErrorCode",
    "FilterChange",
    "HeatSource",
    "InstallType",
    "OnOffFlag",
    "Operation",
    "RecirculationMode",
    "TemperatureType",
    "TempFormulaType",
    "TouRateType",
    "TouWeekType",
    "UnitType",
    "VolumeCode",
    "fahrenheit_to_half_celsius",
    "preferred_to_half_celsius",
    "reservation_param_to_preferred",
    "NavienAuthClient",
    "AuthenticationResponse",
    "AuthTokens",
    "UserInfo",
    "authenticate",
    "refresh_access_token",
    "Nwp500Error",
    "AuthenticationError",
    "InvalidCredentialsError",
    "TokenRefreshError",
    "APIError",
    "MqttError",
    "MqttConnectionError",
    "MqttNotConnectedError",
    "MqttPublishError",
    "MqttCredentialsError",
    "ValidationError",
    "ParameterValidationError",
    "RangeValidationError",
    "DeviceError",
    "NavienAPIClient",
    "OpenEIClient",
    "fetch_reservations",
    "add_reservation",
    "delete_reservation",
    "update_reservation",
    "update_reservations_confirmed",
    "configure_tou_schedule_confirmed",
    "NavienMqttClient",
    "MqttConnectionConfig",
    "PeriodicRequestType",
    "MqttDiagnosticsCollector",
    "MqttMetrics",
    "ConnectionDropEvent",
    "ConnectionEvent",
    "QoS",
    "EventEmitter",
    "EventListener",
    "MqttClientEvents",
    "set_unit_system",
    "get_unit_system",
    "reset_unit_system",
]
