"""Energy usage: the reply to an energy-usage query, per day, per month and in total."""

from __future__ import annotations

from ._fields import _Int, _Nested, _NestedList, _Num
from ._model import _Model

__all__ = ["EnergyUsageBase", "EnergyUsageDay", "EnergyUsageTotal", "MonthlyEnergyData", "EnergyUsageResponse"]


class EnergyUsageBase(_Model):
    """Energy in Wh and run time in hours, per heat source (the fields a day and the
    totals share)."""

    heat_pump_usage = _Num("hpUsage", default=0)
    heat_element_usage = _Num("heUsage", default=0)
    heat_pump_time = _Num("hpTime", default=0)
    heat_element_time = _Num("heTime", default=0)

    @property
    def total_usage(self) -> int | float:
        return self.heat_pump_usage + self.heat_element_usage


class EnergyUsageDay(EnergyUsageBase):
    """One day's use: energy in Wh, run time in hours, per heat source."""

    # 6.1.1 names
    @property
    def hp_usage(self) -> int | float:
        return self.heat_pump_usage

    @property
    def he_usage(self) -> int | float:
        return self.heat_element_usage

    @property
    def hp_time(self) -> int | float:
        return self.heat_pump_time

    @property
    def he_time(self) -> int | float:
        return self.heat_element_time


class EnergyUsageTotal(EnergyUsageDay):
    """Totals over the queried months."""

    @property
    def total_time(self) -> int | float:
        return self.heat_pump_time + self.heat_element_time

    @property
    def heat_pump_percentage(self) -> float:
        total = self.total_usage
        return self.heat_pump_usage / total * 100.0 if total > 0 else 0.0

    @property
    def heat_element_percentage(self) -> float:
        total = self.total_usage
        return self.heat_element_usage / total * 100.0 if total > 0 else 0.0


class MonthlyEnergyData(_Model):
    """One month: ``data`` has one entry per day."""

    year = _Int()
    month = _Int()
    data = _NestedList(EnergyUsageDay)


class EnergyUsageResponse(_Model):
    """The energy-usage reply: ``{"total": {...}, "usage": [{"year", "month", "data":
    [...]}]}`` (the ``response`` object; its other keys are ignored)."""

    total = _Nested(EnergyUsageTotal)
    usage = _NestedList(MonthlyEnergyData)

    def get_month_data(self, year: int, month: int) -> MonthlyEnergyData | None:
        for monthly in self.usage:
            if monthly.year == year and monthly.month == month:
                return monthly
        return None
