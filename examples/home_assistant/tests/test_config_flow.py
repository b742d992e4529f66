"""The config flow against the simulated Navien cloud: success, a wrong password, an
unreachable cloud, and signing in again after the password changed."""

from __future__ import annotations

import pytest
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from conftest import DOMAIN, Simulator


async def _start(hass: HomeAssistant) -> dict:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result


async def test_success_creates_the_entry_and_sets_it_up(hass: HomeAssistant, setup_env: Simulator) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": setup_env.email, "password": setup_env.password}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == setup_env.email
    assert result["data"] == {"email": setup_env.email, "password": setup_env.password}
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.unique_id == setup_env.email.lower()
    assert entry.state is ConfigEntryState.LOADED

    # The same account a second time is refused.
    again = await _start(hass)
    again = await hass.config_entries.flow.async_configure(
        again["flow_id"], {"email": setup_env.email, "password": setup_env.password}
    )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_wrong_password_is_invalid_auth(hass: HomeAssistant, setup_env: Simulator) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": setup_env.email, "password": "not-the-password"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    # The user corrects it in the same form.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": setup_env.email, "password": setup_env.password}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_unreachable_cloud_is_cannot_connect(hass: HomeAssistant, closed_port: int,
                                                   monkeypatch: pytest.MonkeyPatch, socket_enabled: None) -> None:
    monkeypatch.setenv("NWP500_API_BASE_URL", f"http://127.0.0.1:{closed_port}/api/v2.1")
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": "someone@example.com", "password": "secret-password"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_setup_with_an_unreachable_cloud_retries_later(hass: HomeAssistant, closed_port: int,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             socket_enabled: None) -> None:
    monkeypatch.setenv("NWP500_API_BASE_URL", f"http://127.0.0.1:{closed_port}/api/v2.1")
    entry = MockConfigEntry(domain=DOMAIN, unique_id="someone@example.com",
                            data={"email": "someone@example.com", "password": "secret-password"})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_changed_password_asks_to_sign_in_again(hass: HomeAssistant, setup_env: Simulator) -> None:
    entry = MockConfigEntry(domain=DOMAIN, unique_id=setup_env.email.lower(), title=setup_env.email,
                            data={"email": setup_env.email, "password": "an-old-password"})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR

    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == config_entries.SOURCE_REAUTH
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"password": "still-wrong"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {"password": setup_env.password})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["password"] == setup_env.password
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)
