"""Helpers that keep secrets and device MAC addresses out of logs and exports.

Passwords, tokens, AWS keys and full MAC addresses must never reach logs,
exception messages, reprs or diagnostics exports. Everything that formats such
data for humans passes it through these functions first. They err on the side
of hiding too much: any run of exactly 12 hex digits is treated as a MAC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "SECRET_KEYS", "redact", "redact_mac", "redact_serial", "redact_topic"]

REDACTED = "<REDACTED>"

#: Normalised (snake_case, lowercase) keys whose values are always hidden.
SECRET_KEYS: frozenset[str] = frozenset(
    {
        "password",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "secret",
        "secret_key",
        "secret_access_key",
        "session_token",
        "security_token",
        "access_key_id",
        "authorization",
        "api_key",
        "mac",
        "mac_address",
        "device_mac",
        # Query parameters of a SigV4-presigned websocket URL.
        "x_amz_credential",
        "x_amz_signature",
        "x_amz_security_token",
    }
)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# "navilink-<anything up to the next slash>" is how Navien topics embed a MAC.
_NAVILINK_SEGMENT = re.compile(r"(navilink-)[^/\s]+", re.IGNORECASE)

# Bare (04786332fca0) and separated (04:78:63:32:fc:a0, 04-78-...) MACs, not
# part of a longer hex run such as a signature or hash.
_MAC = re.compile(
    r"(?<![0-9A-Fa-f])"
    r"(?:[0-9A-Fa-f]{12}"
    r"|[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4})"
    r"(?![0-9A-Fa-f])"
)


def _normalise_key(key: str) -> str:
    # Payloads mix camelCase (Navien REST), snake_case (our models) and
    # header/query spellings (X-Amz-Security-Token); compare one form.
    return _CAMEL_BOUNDARY.sub("_", key).replace("-", "_").lower()


def _is_secret_key(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    norm = _normalise_key(key)
    return norm in SECRET_KEYS or norm.endswith(("_token", "password", "_secret"))


def redact_mac(mac: str | None) -> str | None:
    """Hide a MAC address completely.

    Empty and ``None`` values are returned unchanged, so "no MAC" stays
    distinguishable from "a MAC that was hidden".
    """
    if not mac:
        return mac
    return REDACTED


def redact_serial(serial: str | None) -> str | None:
    """Hide a serial number completely (empty and ``None`` are returned unchanged)."""
    if not serial:
        return serial
    return REDACTED


def redact_topic(topic: str) -> str:
    """Hide every MAC address in an MQTT topic (or any other text).

    ``cmd/52/navilink-04786332fca0/st`` becomes ``cmd/52/navilink-<REDACTED>/st``;
    other 12-hex-digit or colon/hyphen-separated MACs become ``<REDACTED>``.
    """
    if not topic:
        return topic
    masked = _NAVILINK_SEGMENT.sub(lambda m: m.group(1) + REDACTED, topic)
    return _MAC.sub(REDACTED, masked)


def redact(obj: Any, keys_to_redact: set[str] | None = None) -> Any:
    """Return a copy of ``obj`` that is safe to log or export.

    * In mappings, values of secret-looking keys (password, tokens, AWS keys,
      authorization, MAC addresses, ...) become ``"<REDACTED>"`` (``None``
      stays ``None``); matching
      ignores case and accepts camelCase and hyphenated spellings.
    * Mappings, lists, tuples and sets are processed recursively.
    * Strings elsewhere have embedded MAC addresses masked (see
      :func:`redact_topic`).
    * Other values are returned unchanged.

    ``keys_to_redact`` adds key names (any spelling) to hide besides the built-in ones.
    The input is never modified.
    """
    if keys_to_redact:
        extra = frozenset(_normalise_key(k) for k in keys_to_redact)
        return _redact(obj, lambda key: _is_secret_key(key) or (isinstance(key, str) and _normalise_key(key) in extra))
    return _redact(obj, _is_secret_key)


def _redact(obj: Any, secret: Any) -> Any:
    if isinstance(obj, str):
        return redact_topic(obj)
    if isinstance(obj, Mapping):
        # A None secret stays None: it reveals nothing and shows that the
        # value is absent rather than hidden.
        return {
            key: (
                REDACTED
                if value is not None and secret(key)
                else _redact(value, secret)
            )
            for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [_redact(item, secret) for item in obj]
    if isinstance(obj, tuple):
        return tuple(_redact(item, secret) for item in obj)
    if isinstance(obj, (set, frozenset)):
        return type(obj)(_redact(item, secret) for item in obj)
    return obj
