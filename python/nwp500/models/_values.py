"""What the cloud records (:mod:`._record`) and the device records (:mod:`._model`) share:
camelCase key names, reading numbers, and reprs that hide secrets.

:func:`to_number` is the one number reader of both. It raises :class:`NumberError` with a
``kind`` rather than a message, because the two families word their errors differently:
the cloud records never show the value (it may be a token), the device records do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .._redact import REDACTED, _is_secret_key

# NumberError kinds.
NOT_A_NUMBER = "not a number"  # neither bool, int, float nor text
NON_NUMERIC_TEXT = "non-numeric text"
NON_FINITE = "non-finite"  # nan or infinity, given as a float or as text
FRACTIONAL = "fractional"  # an integer was wanted


class NumberError(ValueError):
    """A value that is not the number wanted; ``kind`` says why (see above)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def to_number(value: Any, want: type | None = None, *, finite: bool = True) -> int | float:
    """The number in ``value``: a bool as 0 or 1, an int or float as given, or text
    (stripped) read as an int when it is one, else as a float.

    ``want=int`` returns an int and refuses a fractional or non-finite number;
    ``want=float`` returns a float (text is read directly as one). ``finite=False``
    lets nan and infinity through (not with ``want=int``).

    Raises:
        NumberError: ``value`` holds no such number.
    """
    number: int | float
    if isinstance(value, int):
        number = int(value) if isinstance(value, bool) else value
        return float(number) if want is float else number
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        number = _read_text(value.strip(), want)
        if isinstance(number, int):
            return number
    else:
        raise NumberError(NOT_A_NUMBER)
    if (finite or want is int) and not math.isfinite(number):
        raise NumberError(NON_FINITE)
    if want is int:
        if not number.is_integer():
            raise NumberError(FRACTIONAL)
        return int(number)
    return float(number) if want is float else number


def _read_text(text: str, want: type | None) -> int | float:
    if want is not float:
        try:
            return int(text)
        except ValueError:
            pass
    try:
        return float(text)
    except ValueError:
        raise NumberError(NON_NUMERIC_TEXT) from None


def to_camel(name: str) -> str:
    """``dhw_temperature_raw`` -> ``dhwTemperatureRaw``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def safe_repr(type_name: str, fields: Iterable[tuple[str, Any]]) -> str:
    """``Type(name=value, ...)`` with the values of secret names (tokens, keys, MAC
    addresses) shown as ``<REDACTED>`` unless they are empty."""
    parts = []
    for name, value in fields:
        shown = REDACTED if (value not in (None, "") and _is_secret_key(name)) else repr(value)
        parts.append(f"{name}={shown}")
    return f"{type_name}({', '.join(parts)})"
