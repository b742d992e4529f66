"""Per-device state-change events (nwp500-python 9.3.0's ``nwp500.mqtt.state_tracker``);
the tracker lives in :mod:`nwp500.state_tracker`."""

from ..state_tracker import DeviceStateTracker

__all__ = ["DeviceStateTracker"]
