"""`serve --port 0`: a free port is picked, and picked again when it was taken before Gradio bound it."""

import socket
from types import SimpleNamespace

import pytest

from lsb_harness import cli


def test_a_port_taken_between_the_pick_and_the_bind_is_replaced_by_another():
    tried = []

    def real_launch(blocks, **kw):
        tried.append(kw["server_port"])
        if len(tried) < 3:
            raise OSError(f"Cannot find empty port in range: {kw['server_port']}-{kw['server_port']}.")

    port = cli._launch_on_a_free_port(None, real_launch, {}, SimpleNamespace(port=0, host="127.0.0.1"))
    assert len(tried) == 3 and port == tried[-1]


def test_an_explicit_port_that_is_taken_fails_at_once():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        taken = s.getsockname()[1]

        def real_launch(blocks, **kw):
            raise OSError(f"Cannot find empty port in range: {taken}-{taken}.")

        with pytest.raises(OSError):
            cli._launch_on_a_free_port(None, real_launch, {}, SimpleNamespace(port=taken, host="127.0.0.1"))


def test_the_smoke_command_serves_on_a_port_the_child_picked(tmp_path):
    from pathlib import Path

    from lsb_harness import smoke

    apps = Path(__file__).parent / "apps"
    report = smoke.run(apps / "flux_t2i" / "app.py", [str(apps / "flux_t2i" / "files.txt")], None, 120)
    assert report["ok"], report
    assert report["verdict"]["url"].startswith("http://127.0.0.1:") and not report["verdict"]["url"].endswith(":0/")
