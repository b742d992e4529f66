"""The type stubs of the extension match what it exports (issue 10 item 8): ``mypy.stubtest``
compares every name, signature and default of ``nwp500._core`` with ``_core.pyi``; and the
package type-checks against them, so the stubs are the ones its Python code relies on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def test_core_stubs_match_the_extension():
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy.stubtest", "nwp500._core"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_package_type_checks():
    pytest.importorskip("mypy")
    package = Path(__file__).resolve().parent.parent / "python" / "nwp500"
    done = subprocess.run([sys.executable, "-m", "mypy", str(package)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
