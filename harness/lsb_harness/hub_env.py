"""The Space's environment as the Hub simulator describes it when it runs an app (sim --run-spaces).

The simulator (src/sim/spaces_run.rs) sets these variables; without them (the worker's local gate,
`check`, `smoke`), the stand-ins keep emulating a ZeroGPU Space as before.

- `LSB_HARNESS_HARDWARE`: the Space's hardware flavour (cpu-basic, zero-a10g, t4-small, ...).
  On a CPU flavour there is no CUDA: real torch's lazy CUDA init raises
  "Found no NVIDIA driver on your system. ..." (pytorch c10/cuda/CUDAFunctions.cpp, raised as a
  RuntimeError by torch.cuda._lazy_init), and `@spaces.GPU` is a no-op without
  `SPACES_ZERO_GPU=true` (hub-constraints.md §3, SP spaces/zero/decorator.py).
- `SPACES_ZERO_GPU`: "true" on zero-a10g, as the real platform sets it.
- `LSB_SIM_URL`, `SPACE_ID`: where the simulator answers (its ZeroGPU quota endpoint) and which Space
  this is. `HF_ENDPOINT` + `HF_TOKEN` (a Space secret, if the owner set one): how a gated base is
  fetched (hub-constraints.md §4).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

NO_DRIVER = (
    "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver "
    "from http://www.nvidia.com/Download/index.aspx"
)


def hardware() -> str | None:
    """The Space's flavour, or None outside the simulator."""
    return os.environ.get("LSB_HARNESS_HARDWARE") or None


def has_cuda() -> bool:
    """CPU flavours have no CUDA; GPU flavours and the local gate (no flavour) have."""
    hw = hardware()
    return hw is None or not hw.startswith("cpu")


def require_cuda() -> None:
    """What real torch does on the first CUDA use of a machine without a GPU driver."""
    if not has_cuda():
        raise RuntimeError(NO_DRIVER)


def zero_gpu() -> bool:
    """`@spaces.GPU` is active: outside the simulator (local gate) or with SPACES_ZERO_GPU=true."""
    return hardware() is None or os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "true")


def check_gated(repo: str) -> None:
    """Asks the simulator's resolver for the base with the app's HF_TOKEN, as huggingface_hub would
    on download; a GatedRepo answer raises GatedRepoError (401/403, hub-constraints.md §4). Repos the
    simulator does not hold (RepoNotFound) are not checked: the harness simulates their weights."""
    endpoint = os.environ.get("HF_ENDPOINT")
    if not endpoint or not os.environ.get("LSB_SIM_URL") or not isinstance(repo, str) or repo.count("/") != 1:
        return
    url = f"{endpoint.rstrip('/')}/{repo}/resolve/main/model_index.json"
    req = urllib.request.Request(url, method="HEAD")
    token = os.environ.get("HF_TOKEN")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        urllib.request.urlopen(req, timeout=10).close()
        return
    except urllib.error.HTTPError as e:
        code, status = e.headers.get("X-Error-Code"), e.code
    except OSError:
        return
    if code != "GatedRepo":
        return
    msg = (
        f"{status} Client Error.\n\nCannot access gated repo for url {url}.\n"
        f"Access to model {repo} is restricted. You must have access to it and be authenticated to access it. "
        "Please log in."
    )
    try:
        import httpx
        from huggingface_hub.errors import GatedRepoError

        error = GatedRepoError(msg, response=httpx.Response(status, request=httpx.Request("HEAD", url)))
    except Exception:  # noqa: BLE001 - another huggingface_hub: the same text as an OSError
        error = OSError(msg)
    raise error


def charge_gpu(duration: float, size: str, headers: dict[str, str]) -> None:
    """Charges the caller's daily ZeroGPU quota at the simulator before a `@spaces.GPU` call.

    The real `spaces` client schedules each call with the caller's `X-IP-Token` (added by the Space
    proxy; quota is the caller's, anonymous tier without one: hub-constraints.md §3, §7). In the
    simulator there is no proxy: the caller's own token (`X-HF-Authorization` or `Authorization`,
    the headers a Gradio client sends) is passed to the simulator, which answers with the gr.Error
    title and text the real client raises (SP spaces/zero/client.py)."""
    sim = os.environ.get("LSB_SIM_URL")
    if not sim:
        return
    auth = headers.get("x-hf-authorization") or headers.get("authorization") or ""
    body = json.dumps({"space": os.environ.get("SPACE_ID", ""), "duration": duration, "size": size,
                       "authorization": auth}).encode()
    req = urllib.request.Request(f"{sim.rstrip('/')}/_sim/zero-gpu/charge", data=body, method="POST",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        answer = json.loads(e.read() or b"{}")
    if answer.get("ok", False):
        return
    import gradio as gr

    raise gr.Error(answer.get("message", ""), title=answer.get("title", "ZeroGPU error"))
