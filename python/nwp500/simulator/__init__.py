"""A local simulated Navien cloud: REST API, SigV4-checked MQTT-over-WebSocket front with
fault injection, a mosquitto broker and emulated NWP500 devices -- all on 127.0.0.1.

Run it: ``python -m nwp500.simulator`` (prints ``export ...`` lines to point the library and
its examples at it). In code: ``async with Simulator() as sim: ...`` on your event loop, or
``with SimulatorThread() as sim: ...`` on a loop of its own. Importing this package starts
nothing.
"""

from .control import ACTIONS as FAULT_ACTIONS
from .control import FaultError, parse_schedule
from .core import DEFAULT_EMAIL, DEFAULT_PASSWORD, Simulator
from .device import DeviceSpec, EmulatedDevice
from .faults import FaultProxy
from .threaded import SimulatorThread

__all__ = [
    "DEFAULT_EMAIL",
    "DEFAULT_PASSWORD",
    "DeviceSpec",
    "EmulatedDevice",
    "FAULT_ACTIONS",
    "FaultError",
    "FaultProxy",
    "Simulator",
    "SimulatorThread",
    "parse_schedule",
]
