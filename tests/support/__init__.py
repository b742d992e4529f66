"""Real-infrastructure helpers for nwp500's tests.

Everything here drives real processes and sockets: a mosquitto broker on
loopback (:mod:`.broker`), a userspace TCP fault proxy (:mod:`.proxy`), a
throw-away certificate authority (:mod:`.tlsca`) and private network
namespaces for websocket listeners (:mod:`.netns`).
"""

from .broker import Mosquitto, WsMosquitto
from .netns import NetNamespace
from .proxy import FaultProxy
from .tlsca import TestCA

__all__ = ["FaultProxy", "Mosquitto", "NetNamespace", "TestCA", "WsMosquitto"]
