"""Fixtures: copy a sample app to a temp dir, run the harness CLI, talk to its Gradio HTTP API."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

HARNESS_DIR = Path(__file__).resolve().parents[1]
APPS = Path(__file__).resolve().parent / "apps"
sys.path.insert(0, str(HARNESS_DIR))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_copy(tmp_path):
    """app_copy("flux_t2i", edit=lambda src: src.replace(...)) -> Path of app.py in a temp dir."""

    def make(name: str, edit=None, requirements: str | None = None) -> Path:
        dst = tmp_path / name
        shutil.copytree(APPS / name, dst)
        app = dst / "app.py"
        if edit is not None:
            src = app.read_text()
            new = edit(src)
            assert new != src, "edit did not change the app"
            app.write_text(new)
        if requirements is not None:
            (dst / "requirements.txt").write_text(requirements)
        return app

    return make


def run_cli(*args, timeout=120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(HARNESS_DIR))
    return subprocess.run([sys.executable, "-m", "lsb_harness", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=HARNESS_DIR)


def check(app: Path, files: Path | str | None = None, *extra) -> tuple[dict, subprocess.CompletedProcess]:
    args = ["check", "--app", app]
    if files is not None:
        args += ["--files", files]
    cp = run_cli(*args, *extra)
    try:
        return json.loads(cp.stdout), cp
    except json.JSONDecodeError:
        raise AssertionError(f"stdout is not JSON:\n{cp.stdout}\nstderr:\n{cp.stderr[-3000:]}")


class Server:
    def __init__(self, app: Path, files: Path | None, extra=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "lsb_harness", "serve", "--app", str(app), "--port", str(self.port)]
        if files is not None:
            args += ["--files", str(files)]
        args += list(extra)
        env = dict(os.environ, PYTHONPATH=str(HARNESS_DIR))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     cwd=HARNESS_DIR)
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.ready = threading.Event()
        self.verdict = None
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr, False), daemon=True).start()

    def _pump(self, stream, sink, watch):
        for line in stream:
            sink.append(line)
            if watch and line.startswith("LSB_HARNESS_READY "):
                self.verdict = json.loads(line[len("LSB_HARNESS_READY "):])
                self.ready.set()

    def wait(self, timeout=90) -> bool:
        """True when serving; False when the process exited first."""
        end = time.time() + timeout
        while time.time() < end:
            if self.ready.wait(0.2):
                return True
            if self.proc.poll() is not None:
                time.sleep(0.3)  # let the pumps drain
                return False
        raise AssertionError(f"harness neither served nor exited in {timeout}s; stderr:\n{''.join(self.stderr)[-3000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    # ---- Gradio HTTP API (two-step /call + SSE) ----
    def get_json(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.loads(r.read())

    def call(self, api_name: str, data: list, timeout=60) -> tuple[str, object]:
        body = json.dumps({"data": data}).encode()
        req = urllib.request.Request(f"{self.url}/gradio_api/call/{api_name}", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            event_id = json.loads(r.read())["event_id"]
        event = None
        with urllib.request.urlopen(f"{self.url}/gradio_api/call/{api_name}/{event_id}", timeout=timeout) as r:
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    payload = line.split(":", 1)[1].strip()
                    return event, json.loads(payload) if payload else None
        raise AssertionError("SSE stream closed without complete/error")

    def upload(self, path: Path) -> dict:
        boundary = uuid.uuid4().hex
        data = path.read_bytes()
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path.name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(f"{self.url}/gradio_api/upload", data=body,
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            server_path = json.loads(r.read())[0]
        return {"path": server_path, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def download(self, filedata: dict) -> bytes:
        url = filedata.get("url") or f"{self.url}/gradio_api/file={filedata['path']}"
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.read()


@pytest.fixture
def serve():
    servers: list[Server] = []

    def start(app: Path, files: Path | None = None, extra=()) -> Server:
        s = Server(app, files, extra)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def png_file(tmp_path) -> Path:
    from PIL import Image

    p = tmp_path / "input.png"
    Image.new("RGB", (96, 64), (200, 120, 40)).save(p)
    return p
