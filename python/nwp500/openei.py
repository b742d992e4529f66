"""``OpenEIClient``: utility rate plans from the OpenEI database (nwp500 9.3.0 API).

A time-of-use schedule for the water heater starts from the user's utility rate plan. OpenEI's
``utility_rates`` API (version 7) lists the plans for a ZIP code; ``NavienAPIClient``'s
``convert_tou`` turns one into Navien periods. The request runs in the Rust core on the same
HTTP stack as the Navien calls, off the event loop.

The API key comes from ``api_key`` or the ``OPENEI_API_KEY`` environment variable;
``NWP500_OPENEI_API_URL`` points the client somewhere else (a proxy, or a local fake in tests).
"""

from __future__ import annotations

import os
from typing import Any

from ._core import OPENEI_API_URL, OPENEI_API_VERSION, OpenEiCore

__all__ = ["OpenEIClient"]

# 9.3.0's module constants, from the core that uses them.
assert OPENEI_API_URL and OPENEI_API_VERSION

API_KEY_ENV = "OPENEI_API_KEY"
API_URL_ENV = "NWP500_OPENEI_API_URL"


class OpenEIClient:
    """Reads residential utility rate plans for a ZIP code from OpenEI.

    Args:
        api_key: an OpenEI API key; default ``$OPENEI_API_KEY``.
        session: accepted for compatibility with 9.3.0 (an aiohttp session); unused, since
            requests run in the Rust core.
        timeout: seconds a request may take (an addition over 9.3.0, keyword-only).

    Raises:
        ValueError: no API key was given or found in the environment.
    """

    def __init__(self, api_key: str | None = None, session: Any = None, *, timeout: float = 30.0) -> None:
        key = api_key or os.environ.get(API_KEY_ENV, "").strip()
        if not key:
            raise ValueError(f"api_key is required: pass one or set {API_KEY_ENV}")
        self._session = session
        self._core = OpenEiCore(os.environ.get(API_URL_ENV, "").strip() or OPENEI_API_URL, key, float(timeout))

    def __repr__(self) -> str:
        return "OpenEIClient(api_key=<redacted>)"

    async def fetch_rates(self, zip_code: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """Every residential rate plan OpenEI lists for ``zip_code`` (full detail, at most
        ``limit``), as OpenEI returns them.

        Raises:
            ValueError: an empty ZIP code or a ``limit`` below 1.
            APIError: OpenEI refused the request or answered something that is not a rate list
                (``.code`` is the HTTP status; ``retriable`` for 5xx and network failures).
        """
        zip_code = str(zip_code).strip()
        if not zip_code:
            raise ValueError("zip_code must not be empty")
        if not 1 <= int(limit) <= 10_000:
            raise ValueError(f"limit must be within 1..10000, got {limit}")
        rates: list[dict[str, Any]] = await self._core.rates(zip_code, int(limit))
        return rates

    async def list_utilities(self, zip_code: str) -> list[str]:
        """The names of the utilities serving ``zip_code``, sorted, each once."""
        rates = await self.fetch_rates(zip_code)
        return sorted({str(r["utility"]) for r in rates if r.get("utility")})

    async def list_rate_plans(self, zip_code: str, *, utility: str | None = None) -> list[dict[str, Any]]:
        """The rate plans for ``zip_code``, only ``utility``'s when given (compared without
        regard to case or surrounding spaces)."""
        rates = await self.fetch_rates(zip_code)
        if utility is None:
            return rates
        wanted = utility.strip().casefold()
        return [r for r in rates if str(r.get("utility", "")).strip().casefold() == wanted]

    async def get_rate_plan(self, zip_code: str, plan_name: str, *, utility: str | None = None) -> dict[str, Any] | None:
        """The plan named ``plan_name`` (its ``name``, or its OpenEI ``label``), or ``None``."""
        wanted = plan_name.strip().casefold()
        for plan in await self.list_rate_plans(zip_code, utility=utility):
            if wanted in (str(plan.get("name", "")).strip().casefold(), str(plan.get("label", "")).strip().casefold()):
                return plan
        return None

