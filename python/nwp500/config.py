"""Built-in endpoints of the Navien cloud, and their environment overrides.

The constants are the production values, as in nwp500-python. The helper
functions are what the library uses when the caller passes no explicit
``base_url``/``endpoint``: they let unchanged user code be pointed at a
simulator or test broker through ``NWP500_API_BASE_URL`` and
``NWP500_MQTT_ENDPOINT``.
"""

from __future__ import annotations

import os

__all__ = [
    "API_BASE_URL",
    "SIGN_IN_ENDPOINT",
    "REFRESH_ENDPOINT",
    "AWS_IOT_ENDPOINT",
    "AWS_REGION",
    "MQTT_PROTOCOL_VERSION",
    "API_BASE_URL_ENV",
    "MQTT_ENDPOINT_ENV",
    "api_base_url",
    "mqtt_endpoint",
]

API_BASE_URL = "https://nlus.naviensmartcontrol.com/api/v2.1"
SIGN_IN_ENDPOINT = "/user/sign-in"
REFRESH_ENDPOINT = "/auth/refresh"
AWS_IOT_ENDPOINT = "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com"
AWS_REGION = "us-east-1"

# Value of the "protocolVersion" field in every command envelope.
MQTT_PROTOCOL_VERSION = 2

API_BASE_URL_ENV = "NWP500_API_BASE_URL"
MQTT_ENDPOINT_ENV = "NWP500_MQTT_ENDPOINT"


def _env_or(name: str, default: str) -> str:
    # An empty value counts as unset, so `NWP500_MQTT_ENDPOINT= cmd` in a shell
    # does not silently produce an unusable endpoint.
    value = os.environ.get(name, "").strip()
    return value or default


def api_base_url() -> str:
    """Return the REST base URL: ``$NWP500_API_BASE_URL`` if set, else the default.

    Read on every call, so a test can change the environment at run time.
    """
    return _env_or(API_BASE_URL_ENV, API_BASE_URL)


def mqtt_endpoint() -> str:
    """Return the MQTT endpoint: ``$NWP500_MQTT_ENDPOINT`` if set, else AWS IoT.

    The value may be a bare host (AWS IoT over SigV4-signed WSS) or a URL such as
    ``mqtt://127.0.0.1:1883``; ``MqttConnectionConfig`` interprets it.
    """
    return _env_or(MQTT_ENDPOINT_ENV, AWS_IOT_ENDPOINT)
