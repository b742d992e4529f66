"""README.md's "Using it" example, run as printed against the simulated cloud (only
``email``/``password`` supplied and a ``disconnect()`` added), pointed there the way a user
would: ``NWP500_API_BASE_URL`` / ``NWP500_MQTT_ENDPOINT``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import run
from nwp500.simulator.device import DeviceSpec

README = Path(__file__).resolve().parent.parent / "README.md"


def _first_python_block() -> str:
    return re.search(r"^## Using it\n.*?```python\n(.*?)```", README.read_text(), re.S | re.M).group(1)


def _run_example(sim, monkeypatch) -> None:
    for line in sim.export_lines():
        name, _, value = line.removeprefix("export ").partition("=")
        monkeypatch.setenv(name, value)
    lines = _first_python_block().splitlines()
    imports = [line for line in lines if line.startswith("from ")]
    body = [line for line in lines if not line.startswith("from ")]
    namespace = {"email": sim.email, "password": sim.password}
    exec("\n".join(imports + ["async def main():"] + ["    " + line for line in body]
                   + ["        await client.disconnect()"]), namespace)
    run(namespace["main"](), timeout=60)


def test_readme_example_runs(simulator, monkeypatch, capsys) -> None:
    _run_example(simulator, monkeypatch)
    out = capsys.readouterr().out
    assert re.search(r"^\d+(\.\d+)?$", out, re.M), out      # a status arrived and printed its temperature
    assert "cannot" not in out                              # a stock NWP500 does not rule out recirculation


@pytest.mark.parametrize("simulator", [{"devices": [DeviceSpec(feature_overrides=(("recirculationUse", 1),))]}],
                         indirect=True)
def test_readme_example_on_a_unit_without_recirculation(simulator, monkeypatch, capsys) -> None:
    _run_example(simulator, monkeypatch)
    assert "this unit cannot: recirculation_use" in capsys.readouterr().out
