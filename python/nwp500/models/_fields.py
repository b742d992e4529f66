"""Field descriptors of the device records: how each device key is read, stored, written
back and, for temperatures, flows and volumes, converted to the preferred unit.

Declared on a :class:`~._model._Model` subclass (``dhw_temperature = _HalfCelsius()``);
the model collects them and reads a device dict through them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from ..enums import TempFormulaType
from ..unit_system import (
    deci_celsius_delta_to_preferred,
    deci_celsius_to_preferred,
    half_celsius_to_preferred,
    liters_to_preferred,
    lpm_to_preferred,
    raw_celsius_to_preferred,
)
from ._values import FRACTIONAL, NON_FINITE, NumberError, to_camel, to_number

if TYPE_CHECKING:
    from ._model import _Model

_ABSENT = object()


# ---------------------------------------------------------------------------------------
# Value readers (raise ValueError naming the field and showing the value)
# ---------------------------------------------------------------------------------------


def _number(value: Any, where: str) -> int | float:
    try:
        return to_number(value)
    except NumberError as exc:
        raise _number_error(value, where, exc) from None


def _integer(value: Any, where: str) -> int:
    try:
        return to_number(value, int)  # type: ignore[return-value]
    except NumberError as exc:
        raise _number_error(value, where, exc) from None


def _number_error(value: Any, where: str, error: NumberError) -> ValueError:
    if error.kind == FRACTIONAL:
        problem = "an integer"
    elif error.kind == NON_FINITE and not isinstance(value, str):
        problem = "a finite number"
    else:
        problem = "a number"
    return ValueError(f"{where} must be {problem}, got {value!r}")


def _compact(number: int | float) -> int | float:
    """Keep integral values as ``int`` (raw device units are integers)."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


# ---------------------------------------------------------------------------------------
# Field descriptors
# ---------------------------------------------------------------------------------------


class _Field:
    """One device key. Plain fields store their decoded value under their own name (a
    non-data descriptor, so the instance attribute wins); converted fields (subclasses
    of :class:`_Converted`) store the raw value under ``<name>_raw``."""

    converted: ClassVar[bool] = False
    unit_kind: ClassVar[str | None] = None  # "temperature" | "flow_rate" | "water"

    def __init__(
        self,
        key: str | None = None,
        *,
        default: Any = _ABSENT,
        alt_keys: tuple[str, ...] = (),
        unit: str | None = None,
    ) -> None:
        # "" until __set_name__ derives it from the attribute name, like name and store.
        self.key: str = key or ""
        self.default = default
        self.alt_keys = alt_keys
        self.static_unit = unit
        self.name = ""
        self.store = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if not self.key:
            self.key = to_camel(name)
        self.store = f"{name}_raw" if self.converted else name

    @property
    def required(self) -> bool:
        return self.default is _ABSENT

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default

    # device form -> stored value
    def parse(self, value: Any, where: str) -> Any:
        raise NotImplementedError

    # python form (as model_dump writes it) -> stored value
    def parse_python(self, value: Any, where: str) -> Any:
        return self.parse(value, where)

    # stored value -> device form
    def to_device(self, stored: Any) -> Any:
        return stored.value if isinstance(stored, Enum) else stored

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        try:
            return instance.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


class _Int(_Field):
    def parse(self, value: Any, where: str) -> int:
        return _integer(value, where)


class _Num(_Field):
    """A number kept as given (``int`` when integral)."""

    def parse(self, value: Any, where: str) -> int | float:
        return _compact(_number(value, where))


class _Float(_Field):
    def parse(self, value: Any, where: str) -> float:
        return float(_number(value, where))


class _Str(_Field):
    def parse(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string, got {type(value).__name__}")
        return value


class _DeviceBool(_Field):
    """A flag sent as a number: ``ON`` reads as True, any other number as False (here
    1 or 0 = False, 2 = True); written back as ``ON`` / ``OFF``."""

    ON: ClassVar[int] = 2
    OFF: ClassVar[int] = 1

    def parse(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        return self._is_on(_integer(value, where))

    def _is_on(self, code: int) -> bool:
        return code == self.ON

    def to_device(self, stored: Any) -> Any:
        return self.ON if stored else self.OFF


class _ZeroOneBool(_DeviceBool):
    """0 = False, non-zero = True (``touStatus``)."""

    ON, OFF = 1, 0

    def _is_on(self, code: int) -> bool:
        return code != self.OFF


class _TouOverride(_DeviceBool):
    """1 = override active (True), anything else = False (``touOverrideStatus``)."""

    ON, OFF = 1, 2


class _EnumField(_Field):
    """An IntEnum member; an unknown integer is kept as ``int``; member names are read
    too (``model_dump`` writes names)."""

    def __init__(self, enum: type[Enum], key: str | None = None, **kw: Any) -> None:
        super().__init__(key, **kw)
        self.enum = enum

    def parse(self, value: Any, where: str) -> Any:
        if isinstance(value, self.enum):
            return value
        if isinstance(value, str) and value.strip() in self.enum.__members__:
            return self.enum[value.strip()]
        number = _integer(value, where)
        try:
            return self.enum(number)
        except ValueError:
            return number


class _FormulaType(_EnumField):
    """``tempFormulaType``: int or numeric text → :class:`TempFormulaType`; other text is
    kept as given (6.1.1 accepted int or str)."""

    def __init__(self, key: str | None = None, **kw: Any) -> None:
        super().__init__(TempFormulaType, key, **kw)

    def parse(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text in TempFormulaType.__members__:
                return TempFormulaType[text]
            try:
                number = _integer(text, where)
            except ValueError:
                return value
            return super().parse(number, where)
        return super().parse(value, where)


class _TimesTen(_Field):
    """Energy in 10 Wh steps → Wh (``totalEnergyCapacity``)."""

    def parse(self, value: Any, where: str) -> float:
        return float(_number(value, where)) * 10.0

    def parse_python(self, value: Any, where: str) -> float:
        return float(_number(value, where))

    def to_device(self, stored: Any) -> Any:
        return _compact(stored / 10.0)


class _Nested(_Field):
    def __init__(self, model: type[_Model], key: str | None = None, **kw: Any) -> None:
        super().__init__(key, **kw)
        self.model = model

    def parse(self, value: Any, where: str) -> Any:
        if not isinstance(value, (Mapping, self.model)):
            raise ValueError(f"{where} must be an object, got {type(value).__name__}")
        return self.model.model_validate(value)

    def to_device(self, stored: Any) -> Any:
        return stored.to_protocol_dict()


class _NestedList(_Field):
    def __init__(
        self,
        model: type[_Model],
        key: str | None = None,
        *,
        text_decoder: Callable[[str], list[dict[str, Any]]] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(key, **kw)
        self.model = model
        self.text_decoder = text_decoder

    def parse(self, value: Any, where: str) -> list[Any]:
        if isinstance(value, str) and self.text_decoder is not None:
            try:
                value = self.text_decoder(value)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{where} must be a list, got {type(value).__name__}")
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, (Mapping, self.model)):
                raise ValueError(f"{where}[{index}] must be an object, got {type(item).__name__}")
            try:
                items.append(self.model.model_validate(item))
            except ValueError as exc:
                raise ValueError(f"{where}[{index}]: {exc}") from None
        return items

    def to_device(self, stored: Any) -> Any:
        return [item.to_protocol_dict() for item in stored]


class _Converted(_Field):
    """Stored raw under ``<name>_raw``; the attribute itself is the value converted to the
    preferred unit at the time it is read (read-only)."""

    converted = True

    def parse(self, value: Any, where: str) -> int | float:
        return _compact(_number(value, where))

    if TYPE_CHECKING:
        # (raw value, metric?) -> the value in the preferred unit; set by each subclass.
        @staticmethod
        def to_preferred(raw: float, metric: bool, /) -> float: ...

    def convert(self, raw: Any, instance: _Model) -> Any:
        return self.to_preferred(raw, instance._is_celsius())

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        raw = instance.__dict__.get(self.store)
        if raw is None:
            return None
        return self.convert(raw, instance)

    def __set__(self, instance: Any, value: Any) -> None:
        raise AttributeError(
            f"{self.name} is converted from {self.store} when read; set {self.store} instead"
        )


class _HalfCelsius(_Converted):
    unit_kind = "temperature"
    to_preferred = staticmethod(half_celsius_to_preferred)


class _DeciCelsius(_Converted):
    unit_kind = "temperature"
    to_preferred = staticmethod(deci_celsius_to_preferred)


class _DeciCelsiusDelta(_Converted):
    unit_kind = "temperature"
    to_preferred = staticmethod(deci_celsius_delta_to_preferred)


class _OutsideTemperature(_Converted):
    """Half-degrees Celsius; whole °F rounded as the device's ``tempFormulaType`` says."""

    unit_kind = "temperature"

    def convert(self, raw: Any, instance: _Model) -> float:
        formula = instance.__dict__.get("temp_formula_type")
        return raw_celsius_to_preferred(raw, instance._is_celsius(), formula)


class _FlowRate(_Converted):
    """Tenths of a litre per minute → LPM or GPM."""

    unit_kind = "flow_rate"
    to_preferred = staticmethod(lpm_to_preferred)


class _Volume(_Converted):
    """Litres → L or gallons."""

    unit_kind = "water"
    to_preferred = staticmethod(liters_to_preferred)
