"""Import-and-connect smoke for an installed nwp500 (the wheel under test), on whatever
interpreter runs it: sign in to the simulated Navien cloud over REST, connect over the
SigV4-signed websocket, get the emulated water heater's status, survive a server-side drop
(cause diagnosed, connection resumed), disconnect. Exits non-zero on any failure.

    python scripts/smoke.py        # run from outside the source tree's python/ directory
"""

from __future__ import annotations

import asyncio
import os
import sys
import sysconfig


async def round_trip() -> str:
    from nwp500 import MqttConnectionConfig, NavienAPIClient, NavienAuthClient, NavienMqttClient
    from nwp500.simulator import SimulatorThread

    with SimulatorThread() as sim:
        async with NavienAuthClient(sim.email, sim.password, base_url=sim.api_base_url) as auth:
            device = (await NavienAPIClient(auth, base_url=sim.api_base_url).list_devices())[0]
            config = MqttConnectionConfig(endpoint=sim.mqtt_endpoint, initial_reconnect_delay=0.2,
                                          max_reconnect_delay=1.0, reconnect_jitter=False)
            client = NavienMqttClient(auth, config=config)
            statuses: asyncio.Queue = asyncio.Queue()
            drops: asyncio.Queue = asyncio.Queue()
            resumed = asyncio.Event()
            client.on("connection_interrupted", lambda error: drops.put_nowait(error))
            client.on("connection_resumed", lambda *_: resumed.set())
            await asyncio.wait_for(client.connect(), 20)
            try:
                await client.subscribe_device_status(device, statuses.put_nowait)
                await client.request_device_status(device)
                status = await asyncio.wait_for(statuses.get(), 20)
                await asyncio.get_running_loop().run_in_executor(None, sim.drop)
                error = await asyncio.wait_for(drops.get(), 20)
                await asyncio.wait_for(resumed.wait(), 20)
                cause = getattr(error, "cause", None) or getattr(getattr(error, "error", None), "cause", "?")
                return f"status dhw={status.dhw_temperature} drop={type(error).__name__}:{cause} resumed"
            finally:
                await client.disconnect()


def main() -> int:
    import nwp500

    where = os.path.dirname(nwp500.__file__)
    purelib = sysconfig.get_paths()["purelib"]
    if not where.startswith(purelib):
        print(f"smoke: nwp500 imported from {where}, not from this interpreter's site-packages", file=sys.stderr)
        return 1
    outcome = asyncio.run(asyncio.wait_for(round_trip(), 90))
    print(f"smoke: Python {sys.version.split()[0]}: nwp500 {nwp500.__version__} from site-packages: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
