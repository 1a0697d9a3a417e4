"""Starts the Hub simulator once per session and points huggingface_hub at it via HF_ENDPOINT.

The simulator binary comes from SIM_BIN (set by run.sh), else `cargo run --example sim`.
Tree pages hold 2 entries (SIM_ARGS) so the client's `Link: rel="next"` paging is exercised.
It prints `listening on http://ADDR`; we read the address from that line. HF_ENDPOINT must be
set before huggingface_hub is imported, so this happens in pytest_configure.
"""

import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "hf_conformance_owner"
OTHER = ("other-user", "hf_conformance_other")
FREE = ("free-user", "hf_conformance_free")
_PROC = None


def _command() -> list[str]:
    args = ["--listen", "127.0.0.1:0", "--user", "sim-user", "--token", TOKEN, "--extra-user", f"{OTHER[0]}={OTHER[1]}"]
    args += os.environ.get("SIM_ARGS", "--tree-page-size 2").split()
    # Gradio Spaces need a paid plan (hub-constraints.md §3); free-user stays on the free plan.
    args += ["--plan", "sim-user=pro", "--plan", "other-user=pro", "--extra-user", f"{FREE[0]}={FREE[1]}"]
    binary = os.environ.get("SIM_BIN")
    if binary:
        return [binary, *args]
    return ["cargo", "run", "--quiet", "--example", "sim", "--", *args]


def pytest_configure(config):
    global _PROC
    _PROC = subprocess.Popen(_command(), cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in _PROC.stdout:
        if line.startswith("listening on "):
            endpoint = line.split("listening on ", 1)[1].strip()
            break
    else:
        raise RuntimeError("the simulator exited before printing its address")
    os.environ["HF_ENDPOINT"] = endpoint
    os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="hf-home-")
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
    os.environ.pop("HF_TOKEN", None)


def pytest_unconfigure(config):
    if _PROC is not None:
        _PROC.terminate()
        _PROC.wait(timeout=10)


@pytest.fixture(scope="session")
def endpoint() -> str:
    return os.environ["HF_ENDPOINT"]


@pytest.fixture(scope="session")
def api():
    from huggingface_hub import HfApi

    return HfApi(token=TOKEN)


@pytest.fixture(scope="session")
def other_api():
    from huggingface_hub import HfApi

    return HfApi(token=OTHER[1])


@pytest.fixture(scope="session")
def free_api():
    from huggingface_hub import HfApi

    return HfApi(token=FREE[1])


@pytest.fixture
def anon_api():
    from huggingface_hub import HfApi

    return HfApi(token=False)


def unique(prefix: str) -> str:
    return f"sim-user/{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def model(api) -> str:
    """A fresh model repo with a README carrying metadata, and a nested file."""
    repo_id = unique("lora")
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"---\nbase_model: x/y\ntags: [lora]\n---\n# LoRA\n", path_in_repo="README.md", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"weights", path_in_repo="sub/dir/w.txt", repo_id=repo_id)
    return repo_id


@pytest.fixture
def space(api) -> str:
    """A fresh Gradio Space with an app file."""
    repo_id = unique("demo")
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    api.upload_file(path_or_fileobj=b"import gradio as gr\n", path_in_repo="app.py", repo_id=repo_id, repo_type="space")
    return repo_id
