"""One call from e-mail and password to the three clients (nwp500-python 9.3.0's
``nwp500.factory``)."""

from __future__ import annotations

from .api_client import NavienAPIClient
from .auth import NavienAuthClient
from .mqtt.client import NavienMqttClient

__all__ = ["create_navien_clients"]


async def create_navien_clients(email: str, password: str) -> tuple[NavienAuthClient, NavienAPIClient, NavienMqttClient]:
    """Sign in and return ``(auth_client, api_client, mqtt_client)``; the MQTT client is
    not connected yet (call ``await mqtt_client.connect()``). The REST base URL and the
    MQTT endpoint are the defaults (``NWP500_API_BASE_URL`` / ``NWP500_MQTT_ENDPOINT`` when
    set).

    Raises:
        InvalidCredentialsError: the account refused the e-mail/password.
        AuthenticationError: signing in failed otherwise.
    """
    auth_client = NavienAuthClient(email, password)
    await auth_client.sign_in(email, password)
    try:
        api_client = NavienAPIClient(auth_client)
        mqtt_client = NavienMqttClient(auth_client)
    except BaseException:
        await auth_client.close()
        raise
    return auth_client, api_client, mqtt_client
