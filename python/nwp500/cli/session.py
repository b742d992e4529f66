"""Signing in and connecting for one run of a device command.

``open_session(...)`` is an async context manager: credentials from the options or the
environment, stored tokens reused when they belong to the same account and server (no sign-in
request then), the tokens stored again afterwards (they may have been refreshed), the first
device of the account, and, when the command talks to the device, a connected MQTT client that
is disconnected on the way out. Failures become :class:`CliError` with a one-line message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, AsyncIterator

from .. import NavienAPIClient, NavienAuthClient, NavienMqttClient
from ..config import api_base_url
from ..exceptions import (
    APIError,
    AuthenticationError,
    InvalidCredentialsError,
    MqttError,
    Nwp500Error,
    TokenRefreshError,
    ValidationError,
)
from ..unit_system import set_unit_system
from . import tokens as token_store

__all__ = ["CliError", "Credentials", "Session", "credentials", "open_session", "describe_error"]

_log = logging.getLogger("nwp500.cli")

BAD_INPUT = 2      # wrong arguments, refused credentials, a value out of range
FAILED = 1         # the cloud or the device did not do what was asked


class CliError(Exception):
    """A failure the command reports as one line on stderr, with its exit status."""

    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(" ".join(str(message).split()))
        self.exit_code = exit_code
        self.command: str | None = None   # the command path to name in the message, once known


@dataclass(frozen=True)
class Credentials:
    """Who to sign in as; ``password`` may be empty when stored tokens are reused."""

    email: str
    password: str
    base_url: str


def credentials(email: str | None, password: str | None) -> tuple[Credentials, Any]:
    """The account to use and its stored tokens (or ``None``).

    ``email``/``password`` come from ``--email``/``--password`` or ``NAVIEN_EMAIL``/
    ``NAVIEN_PASSWORD``; without an e-mail the stored tokens' account is used. Raises
    :class:`CliError` (exit 2) when there is nothing to sign in with."""
    base_url = api_base_url()
    email = (email or "").strip() or None
    stored, stored_email = token_store.load_tokens(email, base_url)
    email = email or stored_email
    if not email or (not password and stored is None):
        raise CliError("credentials missing: use --email/--password or set NAVIEN_EMAIL and NAVIEN_PASSWORD",
                       BAD_INPUT)
    return Credentials(email, password or "", base_url), stored


def describe_error(exc: BaseException) -> CliError:
    """The one-line :class:`CliError` for a library error (secrets never appear in these)."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, InvalidCredentialsError):
        return CliError(f"sign-in refused: {exc}", BAD_INPUT)
    if isinstance(exc, (AuthenticationError, TokenRefreshError)):
        return CliError(f"could not sign in: {exc}")
    if isinstance(exc, ValidationError):
        return CliError(f"invalid value: {exc}", BAD_INPUT)
    if isinstance(exc, MqttError):
        return CliError(f"MQTT error: {exc}")
    if isinstance(exc, Nwp500Error):
        return CliError(str(exc))
    if isinstance(exc, TimeoutError):
        return CliError(str(exc) or "timed out")
    if isinstance(exc, ValueError):  # pydantic's ValidationError included: bad input
        return CliError(f"invalid value: {exc}", BAD_INPUT)
    if isinstance(exc, OSError):
        return CliError(f"{type(exc).__name__}: {exc}")
    return CliError(f"unexpected error: {type(exc).__name__}: {exc}")


@dataclass
class Session:
    """What a command works with: the signed-in clients and the device."""

    auth: NavienAuthClient
    api: NavienAPIClient
    device: Any
    mqtt: NavienMqttClient | None
    unit_system: str | None


async def _store(auth: NavienAuthClient, creds: Credentials, last: list[Any]) -> None:
    current = auth.current_tokens
    if current is None:
        return
    snapshot = current.to_dict()
    if last and last[0] == snapshot:
        return
    last[:] = [snapshot]
    await asyncio.to_thread(token_store.save_tokens, current, creds.email, creds.base_url)


@contextlib.asynccontextmanager
async def open_session(email: str | None, password: str | None, unit_system: str | None = None, *,
                       connect_mqtt: bool = True, store_tokens: bool = True) -> AsyncIterator[Session]:
    """Sign in (or reuse stored tokens), pick the account's first device and, with
    ``connect_mqtt``, connect an MQTT client; everything is closed on exit."""
    creds, stored = await asyncio.to_thread(credentials, email, password)  # reads the token file
    if unit_system:
        set_unit_system(unit_system)  # type: ignore[arg-type]  # checked by the command's choices
    if stored is not None:
        _log.info("reusing the stored sign-in of %s", creds.email)
    auth = NavienAuthClient(creds.email, creds.password, stored_tokens=stored, unit_system=unit_system)
    last: list[Any] = []
    try:
        await auth.__aenter__()
    except InvalidCredentialsError:
        if stored is not None:
            await asyncio.to_thread(token_store.forget_tokens)
        raise
    try:
        if store_tokens:
            await _store(auth, creds, last)
        api = NavienAPIClient(auth, unit_system=unit_system) if unit_system else NavienAPIClient(auth)  # type: ignore[arg-type]
        try:
            device = await api.get_first_device()
        except APIError as exc:
            if exc.code != 401 or stored is None:
                raise
            # The server no longer takes the stored tokens (revoked, or expired early): sign in.
            await asyncio.to_thread(token_store.forget_tokens)
            if not creds.password:
                raise CliError("the stored sign-in was refused by the server: give --password or set "
                               "NAVIEN_PASSWORD to sign in again", BAD_INPUT) from None
            _log.info("the stored sign-in was refused; signing in again")
            await auth.sign_in()
            if store_tokens:
                await _store(auth, creds, last)
            device = await api.get_first_device()
        if device is None:
            raise CliError("no devices found on this account")
        _log.info("using device %s", device.device_info.device_name)
        mqtt: NavienMqttClient | None = None
        if connect_mqtt:
            mqtt = NavienMqttClient(auth, unit_system=unit_system) if unit_system else NavienMqttClient(auth)
            await mqtt.connect()
        try:
            yield Session(auth, api, device, mqtt, unit_system)
        finally:
            if mqtt is not None:
                await mqtt.disconnect()
    finally:
        if store_tokens:
            await _store(auth, creds, last)
        await auth.__aexit__(None, None, None)
