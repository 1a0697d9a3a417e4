"""`smoke`: serve the app in a child process, then call every public endpoint once over HTTP.

A Python reference of what the Rust smoke test does: /config -> /gradio_api/info -> build inputs
(uploads for file components, defaults / example inputs otherwise) -> POST /gradio_api/call/<api>
-> SSE -> download and sniff file outputs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from . import media

FILE_COMPONENTS = {"Image", "Video", "File", "Audio", "Model3D", "ImageEditor", "ImageSlider", "Gallery"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Child:
    def __init__(self, argv: list[str]):
        env = dict(os.environ)
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.stderr: list[str] = []
        self.ready = threading.Event()
        self.verdict = None
        threading.Thread(target=self._out, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _out(self):
        for line in self.proc.stdout:
            if line.startswith("LSB_HARNESS_READY "):
                self.verdict = json.loads(line[len("LSB_HARNESS_READY "):])
                self.ready.set()

    def _err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_ready(self, timeout: float) -> bool:
        end = time.time() + timeout
        while time.time() < end:
            if self.ready.wait(0.2):
                return True
            if self.proc.poll() is not None:
                time.sleep(0.3)
                return False
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _get_json(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def _upload(base, path: Path) -> dict:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"{base}/gradio_api/upload", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return {"path": json.loads(r.read())[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


def _call(base, api, data, timeout):
    req = urllib.request.Request(f"{base}/gradio_api/call/{api}", data=json.dumps({"data": data}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        eid = json.loads(r.read())["event_id"]
    event = None
    with urllib.request.urlopen(f"{base}/gradio_api/call/{api}/{eid}", timeout=timeout) as r:
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line.split(":", 1)[1].strip()
                return event, (json.loads(payload) if payload else None)
    return "closed", None


def _inputs(base, params, tmp: Path) -> list:
    data = []
    for p in params:
        comp = p.get("component", "")
        if comp in FILE_COMPONENTS:
            if comp == "Video":
                f = tmp / "input.mp4"
                if not f.exists():
                    media.write_mp4([media.make_image(0, "in", 96, 64, i) for i in range(9)], str(f), 8)
            else:
                f = tmp / "input.png"
                if not f.exists():
                    media.make_image(0, "in", 96, 64).save(f)
            fd = _upload(base, f)
            if comp == "Gallery":
                fd = [{"image": fd, "caption": None}]
            elif comp == "ImageEditor":
                fd = {"background": fd, "layers": [], "composite": fd}
            data.append(fd)
        elif p.get("parameter_has_default"):
            v = p.get("parameter_default")
            if comp == "Textbox" and (v is None or v == ""):
                v = "a small test prompt"
            data.append(v)
        else:
            v = p.get("example_input")
            if comp == "Textbox" and (v is None or v == "" or v == "Hello!!"):
                v = "a small test prompt"
            data.append(v)
    return data


def _file_datas(v, depth=0) -> list[dict]:
    """FileData dicts anywhere in an output value (ImageSlider pairs, Gallery items, Video dicts...)."""
    if depth > 5:
        return []
    if isinstance(v, dict):
        if v.get("meta", {}).get("_type") == "gradio.FileData" and v.get("path"):
            return [v]
        return [f for x in v.values() for f in _file_datas(x, depth + 1)]
    if isinstance(v, (list, tuple)):
        return [f for x in v for f in _file_datas(x, depth + 1)]
    return []


def run(app: Path, files: list[str], requirements: str | None, timeout: float = 120) -> dict:
    # port 0: the child picks a free port itself (retrying on a collision) and names it in its ready line
    argv = [sys.executable, "-m", "lsb_harness", "serve", "--app", str(app), "--port", "0"]
    for f in files:
        argv += ["--files", f]
    if requirements:
        argv += ["--requirements", requirements]
    child = Child(argv)
    report: dict = {"ok": False, "startup_ok": False, "endpoints": [], "verdict": None, "error": None}
    try:
        if not child.wait_ready(timeout):
            tail = "".join(child.stderr)[-4000:]
            report["error"] = "startup failed" if child.proc.poll() is not None else "startup timed out"
            report["log_tail"] = tail
            return report
        report["startup_ok"] = True
        report["verdict"] = child.verdict
        base = child.verdict["url"].rstrip("/")
        config = _get_json(f"{base}/config")
        prefix = config.get("api_prefix", "")
        info = _get_json(f"{base}{prefix}/info")
        tmp = Path(tempfile.mkdtemp(prefix="lsb_smoke_"))
        all_ok = True
        for name, ep in info.get("named_endpoints", {}).items():
            api = name.lstrip("/")
            rec: dict = {"api_name": api}
            try:
                event, data = _call(base, api, _inputs(base, ep.get("parameters", []), tmp), timeout)
            except Exception as e:  # noqa: BLE001
                event, data = "exception", f"{type(e).__name__}: {e}"
            rec["event"] = event
            if event != "complete":
                all_ok = False
                rec["error"] = data
            else:
                outs = []
                for v in data or []:
                    files = _file_datas(v)
                    if files:
                        for fd in files:
                            url = fd.get("url") or f"{base}{prefix}/file={fd['path']}"
                            with urllib.request.urlopen(url, timeout=30) as r:
                                blob = r.read()
                            outs.append({"file": fd.get("orig_name"), "sniff": media.sniff(blob), "bytes": len(blob)})
                    else:
                        outs.append({"value": v if isinstance(v, (int, float, str, bool)) or v is None else type(v).__name__})
                rec["outputs"] = outs
            report["endpoints"].append(rec)
        report["ok"] = all_ok and bool(report["endpoints"])
        report["log_tail"] = "".join(child.stderr)[-2000:]
        return report
    finally:
        child.stop()
