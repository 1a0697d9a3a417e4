"""Runs a generated app.py unmodified on CPU, reports on its LoRA, then serves it.

Usage: python run_app.py APP_DIR REPORT.json
The only run-time patch maps the device "cuda" to "cpu" (Module.to, Tensor.to, pipeline .to,
torch.Generator); `spaces.GPU` off ZeroGPU returns the function unchanged. When the app calls
`demo.launch()`, the module-level `pipe` is inspected and probed (LoRA listed, LoRA-wrapped
modules counted, pixels with / without the LoRA and at two scales) and the report written;
then the real launch serves the app on GRADIO_SERVER_PORT.
"""

from __future__ import annotations

import inspect
import json
import os
import runpy
import sys
import traceback


def _cpu(device):
    import torch

    if isinstance(device, str) and device.startswith("cuda"):
        return "cpu"
    if isinstance(device, torch.device) and device.type == "cuda":
        return torch.device("cpu")
    return device


def patch_cuda_to_cpu() -> None:
    import torch
    from diffusers import DiffusionPipeline

    def wrap(orig):
        def to(self, *args, **kwargs):
            args = tuple(_cpu(a) for a in args)
            if "device" in kwargs:
                kwargs["device"] = _cpu(kwargs["device"])
            return orig(self, *args, **kwargs)

        return to

    torch.nn.Module.to = wrap(torch.nn.Module.to)
    torch.Tensor.to = wrap(torch.Tensor.to)
    DiffusionPipeline.to = wrap(DiffusionPipeline.to)
    real_generator = torch.Generator

    class Generator(real_generator):  # torch.Generator(device="cuda") -> a CPU generator
        def __new__(cls, device="cpu"):
            return real_generator(device=_cpu(device))

    torch.Generator = Generator


def lora_modules(pipe) -> dict[str, int]:
    from peft.tuners.tuners_utils import BaseTunerLayer

    out = {}
    for name in ("transformer", "transformer_2", "unet", "text_encoder", "text_encoder_2"):
        model = getattr(pipe, name, None)
        if model is not None and hasattr(model, "modules"):
            n = sum(1 for m in model.modules() if isinstance(m, BaseTunerLayer))
            if n:
                out[name] = n
    return out


def probe_kwargs(pipe) -> dict:
    """A small, fast call for this pipeline class (64x64, 1 step, few frames)."""
    from PIL import Image

    params = inspect.signature(type(pipe).__call__).parameters
    kw: dict = {"prompt": "a test", "num_inference_steps": 2, "output_type": "np"}
    size = 64
    if "width" in params:
        kw.update(width=size, height=size)
    if "image" in params:
        img = Image.new("RGB", (size, size), (120, 60, 200))
        kw["image"] = [img] if type(pipe).__name__ == "QwenImageEditPlusPipeline" else img
    if "num_frames" in params:
        kw["num_frames"] = 9
    if "_auto_resize" in params:  # Kontext: keep the probe at 64x64
        kw["_auto_resize"] = False
    if "max_sequence_length" in params:
        # LTX-2: the text connectors tile 128 learnable registers over the sequence, whose length
        # must be a multiple of 128 (diffusers pipelines/ltx2/connectors.py)
        kw["max_sequence_length"] = 128 if getattr(pipe, "connectors", None) is not None else 32
    return kw


def scale_kwarg(pipe) -> str | None:
    params = inspect.signature(type(pipe).__call__).parameters
    for name in ("joint_attention_kwargs", "attention_kwargs", "cross_attention_kwargs"):
        if name in params:
            return name
    return None


def _pixels(pipe, **extra):
    import numpy as np
    import torch

    out = pipe(**probe_kwargs(pipe), generator=torch.Generator("cpu").manual_seed(0), **extra)
    arr = out.frames if hasattr(out, "frames") else out.images
    return np.asarray(arr[0], dtype=np.float32)


def report_on(pipe) -> dict:
    import numpy as np

    rep: dict = {"class": type(pipe).__name__}
    rep["adapters"] = pipe.get_list_adapters()
    rep["lora_modules"] = lora_modules(pipe)
    rep["active_adapters"] = pipe.get_active_adapters()
    with_lora = _pixels(pipe)
    pipe.disable_lora()
    without = _pixels(pipe)
    pipe.enable_lora()
    rep["shape"] = list(with_lora.shape)
    rep["finite"] = bool(np.isfinite(with_lora).all())
    rep["diff_lora_on_off"] = float(np.abs(with_lora - without).max())
    expert2 = getattr(pipe, "transformer_2", None)
    if expert2 is not None and rep["lora_modules"].get("transformer_2"):
        expert2.disable_adapters()  # only the low-noise file off
        rep["diff_expert2_off"] = float(np.abs(with_lora - _pixels(pipe)).max())
        expert2.enable_adapters()
    kw = scale_kwarg(pipe)
    rep["scale_kwarg"] = kw
    if kw:
        half = _pixels(pipe, **{kw: {"scale": 0.3}})
        rep["diff_scale"] = float(np.abs(with_lora - half).max())
    return rep


def main() -> int:
    app_dir, report_path = sys.argv[1], sys.argv[2]
    patch_cuda_to_cpu()
    import gradio as gr

    real_launch = gr.Blocks.launch

    def launch(self, *args, **kwargs):
        caller = sys._getframe(1).f_globals
        try:
            rep = report_on(caller["pipe"])
        except Exception as e:  # the report says why; the test fails on it
            rep = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
        with open(report_path, "w") as f:
            json.dump(rep, f)
        kwargs["server_name"] = "127.0.0.1"
        kwargs["server_port"] = int(os.environ["GRADIO_SERVER_PORT"])
        return real_launch(self, *args, **kwargs)

    gr.Blocks.launch = launch
    os.chdir(app_dir)
    sys.path.insert(0, app_dir)
    try:
        runpy.run_path(os.path.join(app_dir, "app.py"), run_name="__main__")
    except Exception as e:
        with open(report_path, "w") as f:
            json.dump({"startup_error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}, f)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
