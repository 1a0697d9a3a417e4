"""LoRA files in the key formats real cards ship, made from a diffusers-format state dict.

Each writer produces what the trainer writes, for a family whose diffusers loader converts it
(loaders/lora_pipeline.py + lora_conversion_utils.py in diffusers 0.42.1). Sources of the names:
- `diffusion_model.` + native module names + lora_A / lora_B, no alpha (`comfy`): ai-toolkit
  (toolkit/network_mixins.py get_state_dict: peft_format drops alpha, lora_down -> lora_A; then
  Qwen-Image `convert_lora_weights_before_save` transformer. -> diffusion_model.
  (extensions_built_in/diffusion_models/qwen_image/qwen_image.py), Wan `convert_to_original`
  (toolkit/models/wan21/wan_lora_convert.py: self_attn / cross_attn, q / k / v / o, k_img /
  v_img, ffn.0 / ffn.2)); musubi-tuner's `convert_lora.py --target other` writes the same
  (src/musubi_tuner/convert_lora.py convert_to_diffusers); ComfyUI loads it (comfy/weight_adapter/
  lora.py `diffusers2_lora`). Qwen-Image, Wan; and LTX-Video, whose trainer (Lightricks/
  LTX-Video-Trainer) saves diffusers keys and converts them for ComfyUI with
  `scripts/convert_checkpoint.py --to-comfy` (docs/utility-scripts.md); LTX-2 from ai-toolkit
  (extensions_built_in/diffusion_models/ltx2/ltx2.py: diffusion_model. + the original names,
  which for the attention projections are diffusers' own);
- `diffusion_model.` + native names + lora_down / lora_up / alpha (`comfy_native`): what ComfyUI's
  own trainer saves (comfy_extras/nodes_train.py TrainLoraNode: `lora_sd[f"{n}.{name}"]` for every
  module `n` of the model, LoraDiff parameters lora_up / lora_down / alpha): Qwen-Image, Wan,
  FLUX.1 (BFL names: double_blocks.N.img_attn.qkv);
- FLUX.1 / SD3 from ai-toolkit are `transformer.` + diffusers names + lora_A / lora_B (peft_format,
  prefix "transformer"): the diffusers format of the plain cases in test_real.py;
- `lora_unet_` + the module path with `_`, lora_down / lora_up / alpha (`kohya`): musubi-tuner
  (networks/lora.py: `lora_name = f"{pfx}.{original_name}".replace(".", "_")`, pfx `lora_unet`;
  an `alpha` buffer per module) for Qwen-Image (networks/lora_qwen_image.py) and Wan
  (networks/lora_wan.py: every Linear of WanAttentionBlock, so attention AND FFN); kohya
  sd-scripts for FLUX.1 (networks/lora_flux.py, BFL names) and SDXL (SGM UNet names), below;
- unprefixed + `lora_A.default.weight` (`diffsynth`): DiffSynth-Studio (diffsynth/trainers/
  utils.py: peft `inject_adapter_in_model`, then the trainable parameters' own names with the
  `pipe.dit.` prefix removed), Qwen-Image only (diffusers' Qwen converter strips `default.`).
"""

from __future__ import annotations

import re

import torch

WAN_ATTN = {"attn1": "self_attn", "attn2": "cross_attn"}
WAN_PROJ = {"to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "o", "add_k_proj": "k_img", "add_v_proj": "v_img"}


def _split(key: str) -> tuple[str, str]:
    """`transformer.a.b.lora_A.weight` -> (`a.b`, `A`)."""
    m = re.fullmatch(r"(?:transformer|unet)\.(.+)\.lora_([AB])\.weight", key)
    assert m, key
    return m.group(1), m.group(2)


WAN_FFN = {"ffn.net.0.proj": "ffn.0", "ffn.net.2": "ffn.2"}
# The Linear layers of a Wan block: musubi-tuner adapts them all (its converter in diffusers
# requires FFN in every block: an attention-only `lora_unet_blocks_…` file raises KeyError).
WAN_TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "ffn.net.0.proj", "ffn.net.2"]


def _wan_module(path: str) -> str:
    """diffusers Wan module path -> the native Wan name (what ComfyUI / musubi-tuner use)."""
    m = re.fullmatch(r"blocks\.(\d+)\.(?:(attn1|attn2)\.(to_q|to_k|to_v|to_out\.0|add_k_proj|add_v_proj)|(ffn\.net\.0\.proj|ffn\.net\.2))", path)
    assert m, path
    if m.group(4):
        return f"blocks.{m.group(1)}.{WAN_FFN[m.group(4)]}"
    return f"blocks.{m.group(1)}.{WAN_ATTN[m.group(2)]}.{WAN_PROJ[m.group(3)]}"


def comfy(state: dict[str, torch.Tensor], family: str) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        path, ab = _split(key)
        if family == "wan":
            path = _wan_module(path)
        out[f"diffusion_model.{path}.lora_{ab}.weight"] = value
    return out


def comfy_native(state: dict[str, torch.Tensor], family: str, alpha: float = 1.0) -> dict[str, torch.Tensor]:
    if family == "flux":  # ComfyUI's FLUX model has BFL names: sd-scripts' modules, dotted
        return {re.sub(r"^lora_unet_double_blocks_(\d+)_(img|txt)_attn_(qkv|proj)\.", r"diffusion_model.double_blocks.\1.\2_attn.\3.", k): v
                for k, v in kohya_flux(state, family, alpha=alpha).items()}
    out = {}
    for key, value in state.items():
        path, ab = _split(key)
        if family == "wan":
            path = _wan_module(path)
        out[f"diffusion_model.{path}.lora_{'down' if ab == 'A' else 'up'}.weight"] = value
        if ab == "A":
            out[f"diffusion_model.{path}.alpha"] = torch.tensor(alpha)
    return out


def kohya(state: dict[str, torch.Tensor], family: str, alpha: float = 1.0) -> dict[str, torch.Tensor]:
    """musubi-tuner's own format; alpha 1 is its default (`network_alpha` None -> 1.0)."""
    out = {}
    for key, value in state.items():
        path, ab = _split(key)
        if family == "wan":
            path = _wan_module(path)
        flat = "lora_unet_" + path.replace(".", "_")
        out[f"{flat}.lora_{'down' if ab == 'A' else 'up'}.weight"] = value
        if ab == "A":
            out[f"{flat}.alpha"] = torch.tensor(alpha)
    return out


def diffsynth(state: dict[str, torch.Tensor], family: str) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        path, ab = _split(key)
        out[f"{path}.lora_{ab}.default.weight"] = value
    return out


# family of a case -> the formats its loader converts
FORMATS = {
    "qwen": {"comfyui": comfy, "kohya": kohya, "diffsynth": diffsynth},
    "wan": {"comfyui": comfy, "musubi": kohya},
    "ltx": {"comfyui": comfy},
}


# ---------------------------------------------------------------- kohya (sd-scripts) for FLUX / SDXL
# FLUX: BFL module names (`lora_unet_double_blocks_{i}_img_attn_qkv`), q/k/v fused in one file
# module (diffusers' _convert_kohya_flux_lora_to_diffusers splits it back). sd-scripts
# networks/lora_flux.py writes it two ways: by default one LoRA on the fused Linear (one down
# matrix, the up matrix [3 x width, r]); with `split_qkv=True`, LoRANetwork.state_dict merges the
# three pairs into one rank-3r module whose up matrix is block-diagonal. Single blocks: the
# converter splits `linear1` at FLUX.1's real widths ([3072] x 3 + [12288], hard-coded in
# _convert_kohya_flux_lora_to_diffusers, not read from the tensors; sd-scripts' own
# get_qkv_mlp_split_dims has the same numbers), so their case (test_trainer_formats.py) runs
# on a FLUX.1-dev transformer kept at those widths (FLUX_WIDE); the tiny one takes double blocks.
FLUX_DOUBLE_TARGETS = r"transformer_blocks\.\d+\.attn\.(to_q|to_k|to_v|to_out\.0|add_q_proj|add_k_proj|add_v_proj|to_add_out)"
FLUX_FUSED = {"img_attn_qkv": ("to_q", "to_k", "to_v"), "txt_attn_qkv": ("add_q_proj", "add_k_proj", "add_v_proj")}
FLUX_SINGLE = {"img_attn_proj": "to_out.0", "txt_attn_proj": "to_add_out"}


def kohya_flux(state: dict[str, torch.Tensor], family: str, split_qkv: bool = False, alpha: float = 1.0) -> dict[str, torch.Tensor]:
    blocks = sorted({int(m.group(1)) for k in state if (m := re.match(r"transformer\.transformer_blocks\.(\d+)\.", k))})
    out: dict[str, torch.Tensor] = {}
    for i in blocks:
        pre = f"transformer.transformer_blocks.{i}.attn"
        for name, parts in FLUX_FUSED.items():
            downs = [state[f"{pre}.{p}.lora_A.weight"] for p in parts]
            ups = [state[f"{pre}.{p}.lora_B.weight"] for p in parts]
            key = f"lora_unet_double_blocks_{i}_{name}"
            if split_qkv:  # rank 3r, block-diagonal up: the converter sees it "sparse" and splits it back
                out[f"{key}.lora_down.weight"] = torch.cat(downs, 0).contiguous()
                out[f"{key}.lora_up.weight"] = torch.block_diag(*ups).contiguous()
            else:  # one down for the fused Linear (rank 4 is not a multiple of 3: copied to q, k, v)
                out[f"{key}.lora_down.weight"] = downs[0].contiguous()
                out[f"{key}.lora_up.weight"] = torch.cat(ups, 0).contiguous()
            out[f"{key}.alpha"] = torch.tensor(alpha)
        for name, part in FLUX_SINGLE.items():
            key = f"lora_unet_double_blocks_{i}_{name}"
            out[f"{key}.lora_down.weight"] = state[f"{pre}.{part}.lora_A.weight"]
            out[f"{key}.lora_up.weight"] = state[f"{pre}.{part}.lora_B.weight"]
            out[f"{key}.alpha"] = torch.tensor(alpha)
    return out


# FLUX.1's real single-block widths (what the converter hard-codes): a case that writes single
# blocks needs a FLUX transformer this wide (one single block, no double block: ~190M params).
FLUX_WIDE = dict(num_layers=0, num_single_layers=1, num_attention_heads=24, attention_head_dim=128,
                 axes_dims_rope=[16, 56, 56], joint_attention_dim=32, pooled_projection_dim=32)
FLUX_SINGLE_TARGETS = r"single_transformer_blocks\.\d+\.(attn\.to_q|attn\.to_k|attn\.to_v|proj_mlp|proj_out)"


def kohya_flux_single(state: dict[str, torch.Tensor], family: str, alpha: float = 1.0) -> dict[str, torch.Tensor]:
    """sd-scripts' single blocks (default, no split_qkv): `linear1` is q, k, v and the MLP input
    fused (one down, up [3 x 3072 + 12288, r]); `linear2` is proj_out."""
    blocks = sorted({int(m.group(1)) for k in state if (m := re.match(r"transformer\.single_transformer_blocks\.(\d+)\.", k))})
    out: dict[str, torch.Tensor] = {}
    for i in blocks:
        pre = f"transformer.single_transformer_blocks.{i}"
        parts = [f"{pre}.attn.to_q", f"{pre}.attn.to_k", f"{pre}.attn.to_v", f"{pre}.proj_mlp"]
        key = f"lora_unet_single_blocks_{i}_linear1"
        out[f"{key}.lora_down.weight"] = state[f"{parts[0]}.lora_A.weight"].contiguous()
        out[f"{key}.lora_up.weight"] = torch.cat([state[f"{p}.lora_B.weight"] for p in parts], 0).contiguous()
        out[f"{key}.alpha"] = torch.tensor(alpha)
        key = f"lora_unet_single_blocks_{i}_linear2"
        out[f"{key}.lora_down.weight"] = state[f"{pre}.proj_out.lora_A.weight"]
        out[f"{key}.lora_up.weight"] = state[f"{pre}.proj_out.lora_B.weight"]
        out[f"{key}.alpha"] = torch.tensor(alpha)
    return out


def kohya_flux_split(state: dict[str, torch.Tensor], family: str) -> dict[str, torch.Tensor]:
    return kohya_flux(state, family, split_qkv=True, alpha=12.0)


def xlabs(state: dict[str, torch.Tensor], family: str) -> dict[str, torch.Tensor]:
    """XLabs x-flux (src/flux/modules/layers.py DoubleStreamBlockLoraProcessor: qkv_lora1 /
    proj_lora1 image stream, qkv_lora2 / proj_lora2 text stream, LoRALinearLayer down / up; no
    alpha). Double blocks: x-flux has no single-block LoRA processor."""
    out: dict[str, torch.Tensor] = {}
    for key, value in kohya_flux(state, family).items():
        m = re.fullmatch(r"lora_unet_double_blocks_(\d+)_(img|txt)_attn_(qkv|proj)\.lora_(down|up)\.weight", key)
        if m:
            stream = "1" if m.group(2) == "img" else "2"
            out[f"double_blocks.{m.group(1)}.processor.{m.group(3)}_lora{stream}.{m.group(4)}.weight"] = value
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


def kohya_text_encoders(pipe, rank: int = 4, seed: int = 3, alpha: float = 1.0) -> dict[str, torch.Tensor]:
    """The text-encoder half of an sd-scripts LoRA (networks/lora.py: every Linear of CLIPAttention
    and CLIPMLP; `lora_name = prefix + "." + name + "." + child_name` with `.` -> `_`, prefix
    `lora_te1` / `lora_te2` for SDXL's two encoders): random rank-`rank` pairs."""
    g = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for prefix, name in (("lora_te1", "text_encoder"), ("lora_te2", "text_encoder_2")):
        for path, mod in getattr(pipe, name).named_modules():
            if isinstance(mod, torch.nn.Linear) and re.search(r"\.(self_attn\.(q|k|v|out)_proj|mlp\.fc[12])$", path):
                key = f"{prefix}.{path}".replace(".", "_")
                out[f"{key}.lora_down.weight"] = torch.randn(rank, mod.in_features, generator=g) * 0.1
                out[f"{key}.lora_up.weight"] = torch.randn(mod.out_features, rank, generator=g) * 0.1
                out[f"{key}.alpha"] = torch.tensor(alpha)
    return out


DOWN = ("lora_A.weight", "lora_A.default.weight", "lora_down.weight", ".down.weight")


def wrapped_modules(state: dict[str, torch.Tensor]) -> int:
    """How many layers a file wraps once loaded: a fused FLUX q/k/v module counts three, a single
    block's linear1 (q, k, v, MLP in) four."""
    def count(k: str) -> int:
        return 4 if re.search(r"single_blocks_\d+_linear1\.", k) else 3 if re.search(r"attn[._]qkv\.|qkv_lora", k) else 1
    return sum(count(k) for k in state if k.endswith(DOWN))


FORMATS["flux"] = {"kohya": kohya_flux, "kohya-split-qkv": kohya_flux_split, "comfyui-native": comfy_native, "xlabs": xlabs}
FORMATS["sdxl"] = {"kohya": kohya_sdxl}
# Which modules a test LoRA for a family's key formats wraps (default: tiny.ATTN_TARGETS).
TARGETS = {"flux": FLUX_DOUBLE_TARGETS, "wan": WAN_TARGETS}
