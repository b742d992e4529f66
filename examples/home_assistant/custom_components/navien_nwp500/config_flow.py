"""Config flow: the account's e-mail and password, checked against the Navien cloud."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import voluptuous as vol

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from nwp500 import NavienAPIClient, NavienAuthClient
from nwp500.exceptions import InvalidCredentialsError, Nwp500Error

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_EMAIL): TextSelector(TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="email")),
        vol.Required(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
        ),
    }
)
REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_PASSWORD): USER_SCHEMA.schema[CONF_PASSWORD]})


async def _async_check_account(email: str, password: str) -> dict[str, str]:
    """Sign in and list the water heaters; the form's ``errors`` (empty when it worked)."""
    try:
        async with NavienAuthClient(email, password) as auth_client:
            devices = await NavienAPIClient(auth_client).list_devices()
    except InvalidCredentialsError:
        return {"base": "invalid_auth"}
    except (Nwp500Error, OSError, TimeoutError) as err:
        # AuthenticationError (network, server), APIError, ...: the cloud is not reachable.
        _LOGGER.debug("Cannot reach the Navien cloud: %s", err)
        return {"base": "cannot_connect"}
    except Exception:
        _LOGGER.exception("Unexpected error while checking the Navien account")
        return {"base": "unknown"}
    if not devices:
        return {"base": "no_devices"}
    return {}


class NavienConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Navien account."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            email = user_input[CONF_EMAIL].strip()
            await self.async_set_unique_id(email.lower())
            self._abort_if_unique_id_configured()
            errors = await _async_check_account(email, user_input[CONF_PASSWORD])
            if not errors:
                return self.async_create_entry(
                    title=email, data={CONF_EMAIL: email, CONF_PASSWORD: user_input[CONF_PASSWORD]}
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, {CONF_EMAIL: (user_input or {}).get(CONF_EMAIL)}),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The stored password stopped working (setup raised ConfigEntryAuthFailed)."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await _async_check_account(entry.data[CONF_EMAIL], user_input[CONF_PASSWORD])
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_PASSWORD: user_input[CONF_PASSWORD]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={CONF_EMAIL: entry.data[CONF_EMAIL]},
        )
