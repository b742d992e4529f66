from nwp500.simulator.faults import FaultProxy  # noqa: F401  (moved; re-exported for the tests)
