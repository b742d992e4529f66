"""Attributes of a package loaded on first use (PEP 562).

``import nwp500`` should not pay for the REST client, the device records and the enums when
the caller wants the MQTT client only; each package lists where its names live and this
resolves them when they are first read (``from nwp500 import X`` included), then caches
them in the package so later reads are plain attribute reads.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable


def attach(package: str, home: dict[str, str], public: list[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``home`` maps each name to the
    module (relative to ``package``) that defines it; any other name that is a submodule
    is imported as one (``nwp500.device_models`` after ``import nwp500``)."""

    def __getattr__(name: str) -> Any:
        namespace = vars(sys.modules[package])
        where = home.get(name)
        if where is not None:
            value = getattr(importlib.import_module(where, package), name)
        elif name.startswith("__"):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        else:
            try:
                value = importlib.import_module(f".{name}", package)
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
