"""``python -m nwp500.simulator``: run the simulated Navien cloud until SIGINT/SIGTERM.

On start it prints four ``export`` lines on stdout (eval them in a shell, or parse them),
and a short summary on stderr. With ``--fault ACTION[=VALUE]`` it instead sends one fault to
a running simulator (``--control URL`` or derived from ``$NWP500_API_BASE_URL``) and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import urllib.error
import urllib.request
from typing import TypedDict
from urllib.parse import urlsplit

from .control import ACTIONS, FaultError, parse_fault, parse_schedule
from .core import DEFAULT_EMAIL, DEFAULT_PASSWORD, Simulator
from .device import DeviceSpec


class _DeviceText(TypedDict, total=False):
    """The ``DeviceSpec`` fields ``--device MAC[,ADDITIONAL[,NAME]]`` can set."""

    mac_address: str
    additional_value: str
    device_name: str


def _device(text: str) -> DeviceSpec:
    parts = [p.strip() for p in text.split(",")]
    kw: _DeviceText = {"mac_address": parts[0]}
    if len(parts) > 1 and parts[1]:
        kw["additional_value"] = parts[1]
    if len(parts) > 2 and parts[2]:
        kw["device_name"] = parts[2]
    try:
        return DeviceSpec(**kw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _schedule(text: str) -> str:
    try:
        parse_schedule(text)
    except FaultError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nwp500.simulator",
        description="A local Navien cloud (REST + SigV4 websocket MQTT + mosquitto + emulated NWP500) "
                    "on 127.0.0.1, with fault injection.",
        epilog="Fault actions: " + ", ".join(sorted(ACTIONS)) + ". Control a running simulator with "
               "POST http://127.0.0.1:P/_sim/fault {\"action\": ..., \"seconds\": N} or GET /_sim/state.")
    a = p.add_argument_group("account and devices")
    a.add_argument("--email", default=DEFAULT_EMAIL, help="account e-mail (default %(default)s)")
    a.add_argument("--password", default=DEFAULT_PASSWORD, help="account password (default %(default)s)")
    a.add_argument("--device", action="append", type=_device, metavar="MAC[,ADDITIONAL_VALUE[,NAME]]",
                   help="register a device (repeatable; default one NWP500 04786332fca0)")
    n = p.add_argument_group("ports (0 = a free one)")
    n.add_argument("--rest-port", type=int, default=0, help="REST API and /_sim control")
    n.add_argument("--ws-port", type=int, default=0, help="MQTT over websocket (ws://.../mqtt)")
    n.add_argument("--broker-port", type=int, default=0, help="mosquitto's plain TCP listener")
    c = p.add_argument_group("credentials")
    c.add_argument("--token-lifetime", type=int, default=3600, metavar="S",
                   help="access token lifetime, authenticationExpiresIn (default %(default)s)")
    c.add_argument("--aws-lifetime", type=int, default=3600, metavar="S",
                   help="AWS credential lifetime, authorizationExpiresIn (default %(default)s)")
    c.add_argument("--refresh-without-aws", action="store_true",
                   help="token refresh returns no new AWS credentials")
    c.add_argument("--lenient-sigv4", action="store_true",
                   help="accept any well-formed SigV4 query naming live credentials (no signature check)")
    f = p.add_argument_group("faults")
    f.add_argument("--fault-schedule", type=_schedule, metavar="SPEC",
                   help='e.g. "20:drop,45:blackhole=10,70:expire_credentials" (seconds after start)')
    f.add_argument("--cut-every", type=_seconds, metavar="S", help="close each connection S s after it came up")
    f.add_argument("--idle-timeout", type=_seconds, metavar="S", help="close a connection after S s of silence")
    f.add_argument("--refuse-connect", action="store_true", help="answer every CONNECT with CONNACK 5")
    f.add_argument("--fault", metavar="ACTION[=VALUE]",
                   help="send one fault to a running simulator and exit (see --control)")
    f.add_argument("--state", action="store_true", help="print a running simulator's state and exit")
    f.add_argument("--control", metavar="URL",
                   help="a running simulator's REST URL (default: from $NWP500_API_BASE_URL)")
    o = p.add_argument_group("other")
    o.add_argument("--no-thermal", action="store_true", help="keep the tank temperature constant")
    o.add_argument("--log-dir", help="directory for mosquitto's config and log (default: a temp dir)")
    o.add_argument("--log-level", default="WARNING", help="Python logging level on stderr (default %(default)s)")
    return p


def _control_base(args: argparse.Namespace) -> str:
    url = args.control or os.environ.get("NWP500_API_BASE_URL", "")
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise SystemExit("--fault/--state need --control http://127.0.0.1:P (or $NWP500_API_BASE_URL)")
    return f"{parts.scheme}://{parts.netloc}/_sim"


def remote(args: argparse.Namespace) -> int:
    base = _control_base(args)
    if args.fault:
        try:
            action, params = parse_fault(args.fault)
        except FaultError as exc:
            raise SystemExit(str(exc)) from None
        req = urllib.request.Request(f"{base}/fault", data=json.dumps(dict(params, action=action)).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    else:
        req = urllib.request.Request(f"{base}/state")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = json.load(resp)
    except urllib.error.HTTPError as exc:
        body = json.load(exc)
    except OSError as exc:
        print(f"cannot reach {base}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(body, indent=2))
    return 0 if body.get("code") == 200 else 1


async def serve(args: argparse.Namespace) -> int:
    sim = Simulator(email=args.email, password=args.password, devices=args.device,
                    rest_port=args.rest_port, ws_port=args.ws_port, broker_port=args.broker_port,
                    token_lifetime=args.token_lifetime, aws_lifetime=args.aws_lifetime,
                    refresh_includes_aws=not args.refresh_without_aws, strict_sigv4=not args.lenient_sigv4,
                    fault_schedule=args.fault_schedule, cut_every=args.cut_every,
                    idle_timeout=args.idle_timeout, refuse_connect=args.refuse_connect,
                    thermal=not args.no_thermal, log_dir=args.log_dir)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    starting = asyncio.ensure_future(sim.start())
    waiter = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():  # a signal while starting
        starting.cancel()
        await asyncio.wait({starting})
        await sim.stop()
        return 130
    waiter.cancel()
    try:
        starting.result()
    except Exception as exc:  # noqa: BLE001 - report and leave nothing behind
        print(f"simulator failed to start: {exc}", file=sys.stderr)
        return 1
    try:
        print("\n".join(sim.export_lines()), flush=True)
        print(f"# nwp500 simulator: control {sim.control_url} (POST /fault, GET /state); "
              f"devices {', '.join(d.mac_address for d in sim.devices)}; broker pid {sim.broker_pid}; "
              f"Ctrl-C to stop", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await sim.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.fault or args.state:
        return remote(args)
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
