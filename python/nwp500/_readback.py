"""A command confirmed by the device: subscribe to where it answers, send, wait for the
answer, unsubscribe. Shared by the reservation and TOU helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def read_back(
    subscribe: Callable[[Callable[[T], None]], Awaitable[Any]],
    unsubscribe: Callable[[Callable[[T], None]], Awaitable[Any]],
    send: Callable[[], Awaitable[Any]],
    timeout: float,
) -> T | None:
    """The first answer after ``send()``, or ``None`` if none arrives within ``timeout`` s."""
    answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()

    def on_answer(value: T) -> None:
        if not answer.done():
            answer.set_result(value)

    await subscribe(on_answer)
    try:
        await send()
        return await asyncio.wait_for(answer, timeout)
    except asyncio.TimeoutError:
        return None
    finally:
        await unsubscribe(on_answer)
