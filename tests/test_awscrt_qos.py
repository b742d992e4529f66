"""9.3.0's QoS converters (``nwp500.mqtt.types``): without awscrt, converting to it is a clear
ImportError and converting from any int-valued QoS works; with awscrt installed (a child
interpreter that sees it), both directions round-trip and calling them imports nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nwp500.mqtt.types import QoS, from_awscrt_qos, to_awscrt_qos

EXTRAS = Path(__file__).resolve().parent.parent / ".venv" / "extras"


def test_without_awscrt():
    if "awscrt" in sys.modules:
        pytest.skip("awscrt is importable in this interpreter")
    with pytest.raises(ImportError, match="pip install awscrt"):
        to_awscrt_qos(QoS.AT_LEAST_ONCE)
    assert from_awscrt_qos(2) is QoS.EXACTLY_ONCE
    with pytest.raises(ValueError):
        from_awscrt_qos(7)


CHILD = """
import json, sys
import nwp500
from awscrt import mqtt
from nwp500.mqtt.types import QoS, from_awscrt_qos, to_awscrt_qos
imports = []
sys.addaudithook(lambda event, args: imports.append(args[0]) if event == "import" else None)
out = [type(to_awscrt_qos(q)).__module__ + "." + type(to_awscrt_qos(q)).__name__ for q in QoS]
back = [from_awscrt_qos(q) is QoS(int(q)) for q in mqtt.QoS if int(q) <= 2]
same = [to_awscrt_qos(q) is mqtt.QoS(int(q)) for q in (0, 1, 2)]
print(json.dumps({"types": out, "back": back, "same": same, "imports": imports}))
"""


def test_with_awscrt_round_trip():
    if not (EXTRAS / "awscrt").is_dir():
        pytest.skip("awscrt is not set up beside the virtualenv (scripts/setup installs it in .venv/extras)")
    env = {**os.environ, "PYTHONPATH": str(EXTRAS)}
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["types"] == ["awscrt.mqtt.QoS"] * 3
    assert all(result["back"]) and all(result["same"])
    assert result["imports"] == []
