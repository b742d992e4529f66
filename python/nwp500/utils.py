"""Small helpers (nwp500-python 9.3.0's ``nwp500.utils``)."""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["log_performance"]

F = TypeVar("F", bound=Callable[..., Any])

_logger = logging.getLogger("nwp500.utils")


def log_performance(func: F) -> F:
    """Decorate a function or coroutine function so each call logs its duration at DEBUG
    on the ``nwp500.utils`` logger."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                _logger.debug("%s completed in %.3f s", func.__qualname__, time.perf_counter() - start)

        return cast(F, async_wrapper)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            _logger.debug("%s completed in %.3f s", func.__qualname__, time.perf_counter() - start)

    return cast(F, wrapper)
