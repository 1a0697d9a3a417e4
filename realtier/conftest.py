"""Session fixtures of the real tier: the Hub cache every base is built into, and the timings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def hub(tmp_path_factory) -> Path:
    """The Hub cache: every base built once; returns its path (HF_HUB_CACHE)."""
    return tmp_path_factory.mktemp("hub")


@pytest.fixture(scope="session", autouse=True)
def _timings():
    yield
    path = os.environ.get("LSB_REAL_TIMINGS")
    if path:
        from test_real import TIMINGS

        Path(path).write_text("\n".join(f"{name}: {secs:.0f}s" for name, secs in TIMINGS) + "\n")
