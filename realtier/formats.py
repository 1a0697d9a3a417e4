"""LoRA files in the key formats real cards ship, made from a diffusers-format state dict.

Each writer produces what the trainer writes, for a family whose diffusers loader converts it
(loaders/lora_pipeline.py + lora_conversion_utils.py in diffusers 0.42):
- ComfyUI (`diffusion_model.` prefix, lora_A / lora_B): Qwen-Image, LTX-Video, Wan (original
  Wan module names: self_attn / cross_attn, q / k / v / o);
- kohya / musubi-tuner (`lora_unet_` + underscores, lora_down / lora_up / alpha): Qwen-Image, Wan.
"""

from __future__ import annotations

import re

import torch

WAN_ATTN = {"attn1": "self_attn", "attn2": "cross_attn"}
WAN_PROJ = {"to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "o"}


def _split(key: str) -> tuple[str, str]:
    """`transformer.a.b.lora_A.weight` -> (`a.b`, `A`)."""
    m = re.fullmatch(r"(?:transformer|unet)\.(.+)\.lora_([AB])\.weight", key)
    assert m, key
    return m.group(1), m.group(2)


def _wan_module(path: str) -> str:
    m = re.fullmatch(r"blocks\.(\d+)\.(attn1|attn2)\.(to_q|to_k|to_v|to_out\.0)", path)
    assert m, path
    return f"blocks.{m.group(1)}.{WAN_ATTN[m.group(2)]}.{WAN_PROJ[m.group(3)]}"


def comfy(state: dict[str, torch.Tensor], family: str) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        path, ab = _split(key)
        if family == "wan":
            path = _wan_module(path)
        out[f"diffusion_model.{path}.lora_{ab}.weight"] = value
    return out


def kohya(state: dict[str, torch.Tensor], family: str, rank: int = 4) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        path, ab = _split(key)
        if family == "wan":
            path = _wan_module(path)
        flat = "lora_unet_" + path.replace(".", "_")
        out[f"{flat}.lora_{'down' if ab == 'A' else 'up'}.weight"] = value
        if ab == "A":
            out[f"{flat}.alpha"] = torch.tensor(float(rank))
    return out


# family of a case -> the formats its loader converts
FORMATS = {
    "qwen": {"comfyui": comfy, "kohya": kohya},
    "wan": {"comfyui": comfy, "musubi": kohya},
    "ltx": {"comfyui": comfy},
}
