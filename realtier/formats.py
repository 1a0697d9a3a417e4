"""LoRA files in the key formats real cards ship, made from a diffusers-format state dict.

Each writer produces what the trainer writes, for a family whose diffusers loader converts it
(loaders/lora_pipeline.py + lora_conversion_utils.py in diffusers 0.42):
- ComfyUI (`diffusion_model.` prefix, lora_A / lora_B): Qwen-Image, LTX-Video, Wan (original
  Wan module names: self_attn / cross_attn, q / k / v / o);
- kohya (`lora_unet_` + underscores, lora_down / lora_up / alpha): Qwen-Image; FLUX (BFL names,
  fused q/k/v, double blocks) and SDXL (SGM UNet names), below.
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
    # musubi (`lora_unet_blocks_…`) is not covered: diffusers 0.42.1's converter expects FFN
    # modules in every block and raises KeyError 'blocks_0_ffn_0.lora_down.weight' on an
    # attention-only file (measured here); real musubi files carry FFN too.
    "wan": {"comfyui": comfy},
    "ltx": {"comfyui": comfy},
}


# ---------------------------------------------------------------- kohya (sd-scripts) for FLUX / SDXL
# FLUX: BFL module names (`lora_unet_double_blocks_{i}_img_attn_qkv`), q/k/v fused in one file
# module (diffusers' _convert_kohya_flux_lora_to_diffusers splits it back). Only the double blocks:
# the converter splits a single block's `linear1` at FLUX.1's real widths (3072 x 3 + 12288), which
# a tiny transformer cannot have (measured: diffusers 0.42.1, lora_conversion_utils.py).
FLUX_DOUBLE_TARGETS = r"transformer_blocks\.\d+\.attn\.(to_q|to_k|to_v|to_out\.0|add_q_proj|add_k_proj|add_v_proj|to_add_out)"
FLUX_FUSED = {"img_attn_qkv": ("to_q", "to_k", "to_v"), "txt_attn_qkv": ("add_q_proj", "add_k_proj", "add_v_proj")}
FLUX_SINGLE = {"img_attn_proj": "to_out.0", "txt_attn_proj": "to_add_out"}


def kohya_flux(state: dict[str, torch.Tensor], family: str) -> dict[str, torch.Tensor]:
    blocks = sorted({int(m.group(1)) for k in state if (m := re.match(r"transformer\.transformer_blocks\.(\d+)\.", k))})
    out: dict[str, torch.Tensor] = {}
    for i in blocks:
        pre = f"transformer.transformer_blocks.{i}.attn"
        for name, parts in FLUX_FUSED.items():
            downs = [state[f"{pre}.{p}.lora_A.weight"] for p in parts]
            ups = [state[f"{pre}.{p}.lora_B.weight"] for p in parts]
            # One rank-3r module whose up matrix is block-diagonal: the converter sees it "sparse"
            # and gives each of q / k / v back its own rank-r pair, unchanged.
            out[f"lora_unet_double_blocks_{i}_{name}.lora_down.weight"] = torch.cat(downs, 0).contiguous()
            out[f"lora_unet_double_blocks_{i}_{name}.lora_up.weight"] = torch.block_diag(*ups).contiguous()
            out[f"lora_unet_double_blocks_{i}_{name}.alpha"] = torch.tensor(float(sum(d.shape[0] for d in downs)))
        for name, part in FLUX_SINGLE.items():
            down = state[f"{pre}.{part}.lora_A.weight"]
            out[f"lora_unet_double_blocks_{i}_{name}.lora_down.weight"] = down
            out[f"lora_unet_double_blocks_{i}_{name}.lora_up.weight"] = state[f"{pre}.{part}.lora_B.weight"]
            out[f"lora_unet_double_blocks_{i}_{name}.alpha"] = torch.tensor(float(down.shape[0]))
    return out


def kohya_sdxl(state: dict[str, torch.Tensor], family: str, layers_per_block: int = 1) -> dict[str, torch.Tensor]:
    """SGM UNet names as sd-scripts writes them for SDXL (`lora_unet_input_blocks_4_1_…`); diffusers
    maps them back with the pipeline's unet config (_maybe_map_sgm_blocks_to_diffusers)."""
    lpb = layers_per_block
    out = {}
    for key, value in state.items():
        path, ab = _split(key)
        m = re.fullmatch(r"(down_blocks|up_blocks)\.(\d+)\.attentions\.(\d+)\.(.+)", path)
        if m:
            b, l = int(m.group(2)), int(m.group(3))
            sgm = f"input_blocks.{1 + b * (lpb + 1) + l}.1" if m.group(1) == "down_blocks" else f"output_blocks.{b * (lpb + 1) + l}.1"
            path = f"{sgm}.{m.group(4)}"
        else:
            path = re.sub(r"^mid_block\.attentions\.0\.", "middle_block.1.", path)
        flat = "lora_unet_" + path.replace(".", "_")
        out[f"{flat}.lora_{'down' if ab == 'A' else 'up'}.weight"] = value
        if ab == "A":
            out[f"{flat}.alpha"] = torch.tensor(float(value.shape[0]))
    return out


def wrapped_modules(state: dict[str, torch.Tensor]) -> int:
    """How many layers a file wraps once loaded: a fused FLUX q/k/v module counts three."""
    return sum(3 if "_attn_qkv." in k else 1 for k in state if k.endswith(("lora_A.weight", "lora_down.weight")))


FORMATS["flux"] = {"kohya": kohya_flux}
FORMATS["sdxl"] = {"kohya": kohya_sdxl}
# Which modules a test LoRA for a family's key formats wraps (default: tiny.ATTN_TARGETS).
TARGETS = {"flux": FLUX_DOUBLE_TARGETS}
