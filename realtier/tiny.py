"""Tiny randomly initialised pipelines, laid out as a Hub cache, and LoRAs that match them.

Every base repo is built from the real config files kept in `configs/<org>--<name>/`
(model_index.json, scheduler and component config.json — see configs/SOURCES.md); only
sizes are shrunk (`SHRINK`), and every family gets its own widths / head counts so a LoRA
of one family cannot load silently into another. Text encoders and tokenizers come from
`tiny_text` (built in code, nothing is downloaded).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import diffusers
import torch

import tiny_text as tt

CONFIGS = Path(__file__).parent / "configs"

# The LTX-Video VAE from 0.9.5 on (timestep-conditioned, 5 down levels), shrunk alike for every
# release that ships it (read only: `_model` copies its keys into each config).
LTX_VAE_095 = dict(latent_channels=16, block_out_channels=[8, 8, 16, 32, 64], decoder_block_out_channels=[16, 32, 64],
                   layers_per_block=[1, 1, 1, 1, 1], decoder_layers_per_block=[1, 1, 1, 1])

# Sizes only: layers, widths, heads, head dims (and the dims that must follow them).
SHRINK: dict[str, dict[str, dict]] = {
    "black-forest-labs/FLUX.1-dev": {
        "transformer": dict(num_layers=1, num_single_layers=1, num_attention_heads=2, attention_head_dim=16,
                            axes_dims_rope=[4, 4, 8], joint_attention_dim=32, pooled_projection_dim=32),
        "vae": dict(block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4),
    },
    "black-forest-labs/FLUX.1-schnell": {
        "transformer": dict(num_layers=1, num_single_layers=1, num_attention_heads=2, attention_head_dim=24,
                            axes_dims_rope=[8, 8, 8], joint_attention_dim=32, pooled_projection_dim=32),
        "vae": dict(block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4),
    },
    "black-forest-labs/FLUX.1-Kontext-dev": {
        "transformer": dict(num_layers=1, num_single_layers=1, num_attention_heads=3, attention_head_dim=16,
                            axes_dims_rope=[4, 4, 8], joint_attention_dim=32, pooled_projection_dim=32),
        "vae": dict(block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4),
    },
    "Qwen/Qwen-Image": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=32, axes_dims_rope=[8, 12, 12],
                            joint_attention_dim=16),
        "vae": dict(base_dim=8, num_res_blocks=1),
    },
    "Qwen/Qwen-Image-Edit": {
        "transformer": dict(num_layers=1, num_attention_heads=3, attention_head_dim=16, axes_dims_rope=[4, 6, 6],
                            joint_attention_dim=16),
        "vae": dict(base_dim=8, num_res_blocks=1),
    },
    "Qwen/Qwen-Image-Edit-2509": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=24, axes_dims_rope=[8, 8, 8],
                            joint_attention_dim=16),
        "vae": dict(base_dim=8, num_res_blocks=1),
    },
    "Qwen/Qwen-Image-Edit-2511": {
        "transformer": dict(num_layers=1, num_attention_heads=4, attention_head_dim=12, axes_dims_rope=[4, 4, 4],
                            joint_attention_dim=16),
        "vae": dict(base_dim=8, num_res_blocks=1),
    },
    "Wan-AI/Wan2.1-T2V-1.3B-Diffusers": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=12, ffn_dim=32, text_dim=32),
        "vae": dict(base_dim=8, num_res_blocks=1),
    },
    "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=18, ffn_dim=32, text_dim=32,
                            image_dim=8, added_kv_proj_dim=36),
        "vae": dict(base_dim=8, num_res_blocks=1),
    },
    "Wan-AI/Wan2.2-I2V-A14B-Diffusers": {
        "transformer": dict(num_layers=1, num_attention_heads=3, attention_head_dim=12, ffn_dim=32, text_dim=32),
        "transformer_2": dict(num_layers=1, num_attention_heads=3, attention_head_dim=12, ffn_dim=32, text_dim=32),
        "vae": dict(base_dim=8, num_res_blocks=1),
    },
    "Wan-AI/Wan2.2-T2V-A14B-Diffusers": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=20, ffn_dim=32, text_dim=32),
        "transformer_2": dict(num_layers=1, num_attention_heads=2, attention_head_dim=20, ffn_dim=32, text_dim=32),
        "vae": dict(base_dim=8, num_res_blocks=1),
    },
    "Wan-AI/Wan2.2-TI2V-5B-Diffusers": {  # 48 latent channels (Wan 2.2 VAE) kept: they are structure
        "transformer": dict(num_layers=1, num_attention_heads=4, attention_head_dim=10, ffn_dim=32, text_dim=32),
        "vae": dict(base_dim=8, decoder_base_dim=16, num_res_blocks=1),
    },
    "Lightricks/LTX-Video-0.9.5": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=16, cross_attention_dim=32,
                            caption_channels=32, in_channels=16, out_channels=16),
        "vae": LTX_VAE_095,
    },
    "Lightricks/LTX-Video": {  # the 0.9.1 VAE: plain down blocks, 8x spatial per level
        "transformer": dict(num_layers=1, num_attention_heads=3, attention_head_dim=8, cross_attention_dim=24,
                            caption_channels=32, in_channels=16, out_channels=16),
        "vae": dict(latent_channels=16, block_out_channels=[8, 16, 32, 32], decoder_block_out_channels=[16, 32, 64],
                    layers_per_block=[1, 1, 1, 1, 1], decoder_layers_per_block=[1, 1, 1, 1]),
    },
    "Lightricks/LTX-Video-0.9.7-dev": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=20, cross_attention_dim=40,
                            caption_channels=32, in_channels=16, out_channels=16),
        "vae": LTX_VAE_095,
    },
    "Lightricks/LTX-Video-0.9.7-distilled": {
        "transformer": dict(num_layers=1, num_attention_heads=5, attention_head_dim=8, cross_attention_dim=40,
                            caption_channels=32, in_channels=16, out_channels=16),
        "vae": LTX_VAE_095,
    },
    "Lightricks/LTX-Video-0.9.8-13B-distilled": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=24, cross_attention_dim=48,
                            caption_channels=32, in_channels=16, out_channels=16),
        "vae": LTX_VAE_095,
    },
    # LTX-2: video and audio streams; cross-attention dims follow the head widths, caption_channels
    # the Gemma hidden size (tiny_text.gemma3), the connectors' widths the caption channels.
    "Lightricks/LTX-2": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=16, cross_attention_dim=32,
                            audio_num_attention_heads=2, audio_attention_head_dim=8, audio_cross_attention_dim=16,
                            caption_channels=32),
        "connectors": dict(caption_channels=32, text_proj_in_factor=3, video_connector_num_attention_heads=2,
                           video_connector_attention_head_dim=16, video_connector_num_layers=1,
                           audio_connector_num_attention_heads=2, audio_connector_attention_head_dim=16,
                           audio_connector_num_layers=1),
        "vae": dict(block_out_channels=[8, 16, 32, 64], decoder_block_out_channels=[16, 32, 64],
                    layers_per_block=[1, 1, 1, 1, 1], decoder_layers_per_block=[1, 1, 1, 1]),
        # base_channels stays 128: the latent statistics buffers are sized by it (= the 8 x 16 patched
        # audio latent width; autoencoder_kl_ltx2_audio.py, latents_mean); the level widths shrink
        # through ch_mult instead (3 levels kept: 128 x (1, 2, 4) is 40M parameters, 156 MB on disk)
        "audio_vae": dict(num_res_blocks=1, ch_mult=[1, 1, 1]),
        "vocoder": dict(hidden_channels=32),
    },
    # LTX-2.3: per-modality connector projections to the video / audio widths (video_hidden_dim /
    # audio_hidden_dim = the transformer's heads x head dims), no caption projection in the transformer.
    "diffusers/LTX-2.3-Distilled-Diffusers": {
        "transformer": dict(num_layers=1, num_attention_heads=3, attention_head_dim=16, cross_attention_dim=48,
                            audio_num_attention_heads=2, audio_attention_head_dim=12, audio_cross_attention_dim=24,
                            caption_channels=24),
        "connectors": dict(caption_channels=24, text_proj_in_factor=3, video_connector_num_attention_heads=3,
                           video_connector_attention_head_dim=16, video_connector_num_layers=1,
                           audio_connector_num_attention_heads=2, audio_connector_attention_head_dim=12,
                           audio_connector_num_layers=1, video_hidden_dim=48, audio_hidden_dim=24),
        "vae": dict(block_out_channels=[8, 16, 32, 32], decoder_block_out_channels=[8, 16, 16, 32],
                    layers_per_block=[1, 1, 1, 1, 1], decoder_layers_per_block=[1, 1, 1, 1, 1]),
        "audio_vae": dict(num_res_blocks=1, ch_mult=[1, 1, 1]),  # as for LTX-2
        "vocoder": dict(hidden_channels=64, bwe_hidden_channels=32),
    },
    "stabilityai/stable-diffusion-xl-base-1.0": {
        "unet": dict(block_out_channels=[16, 32, 64], attention_head_dim=[2, 2, 4], norm_num_groups=8,
                     layers_per_block=1, transformer_layers_per_block=[1, 1, 1], cross_attention_dim=64,
                     addition_time_embed_dim=8, projection_class_embeddings_input_dim=8 * 6 + 32),
        "vae": dict(block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4),
    },
    "stabilityai/stable-diffusion-3.5-large": {
        "transformer": dict(num_layers=1, num_attention_heads=2, attention_head_dim=20, caption_projection_dim=40,
                            joint_attention_dim=64, pooled_projection_dim=64),
        "vae": dict(block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4),
    },
    "stabilityai/stable-diffusion-3.5-large-turbo": {
        "transformer": dict(num_layers=1, num_attention_heads=3, attention_head_dim=16, caption_projection_dim=48,
                            joint_attention_dim=64, pooled_projection_dim=64),
        "vae": dict(block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4),
    },
    "stabilityai/stable-diffusion-3.5-medium": {  # MMDiT-X: the first layer keeps its dual attention
        "transformer": dict(num_layers=2, dual_attention_layers=[0], num_attention_heads=2, attention_head_dim=28,
                            caption_projection_dim=56, joint_attention_dim=64, pooled_projection_dim=64),
        "vae": dict(block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4),
    },
}

# Families whose weights the generated app loads with a `variant=` (SDXL: fp16 files).
VARIANT = {"stabilityai/stable-diffusion-xl-base-1.0": "fp16"}

# The modules a test LoRA wraps (attention projections, as trainers do). The added K/V
# projections are included: for a Wan I2V transformer diffusers pads a LoRA without them with
# zero `attn2.add_k_proj` / `add_v_proj` adapters, so the wrapped count would exceed the file's.
ATTN_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
LORA_TARGETS = ATTN_TARGETS + ["add_k_proj", "add_v_proj"]


def snapshot_sha(repo: str) -> str:
    return hashlib.sha1(repo.encode()).hexdigest()


def snapshot_dir(cache: Path, repo: str) -> Path:
    org, name = repo.split("/")
    return cache / f"models--{org}--{name}" / "snapshots" / snapshot_sha(repo)


def publish_ref(cache: Path, repo: str) -> None:
    org, name = repo.split("/")
    refs = cache / f"models--{org}--{name}" / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text(snapshot_sha(repo))


def _real(repo: str, path: str) -> dict:
    return json.loads((CONFIGS / repo.replace("/", "--") / path).read_text())


# Gemma 3 sizes of the LTX-2 text encoders: (hidden, layers); the connectors' caption_channels and
# text_proj_in_factor (= layers + 1: every hidden state is stacked) follow them.
GEMMA = {"Lightricks/LTX-2": (32, 2), "diffusers/LTX-2.3-Distilled-Diffusers": (24, 2)}


def _model(repo: str, component: str) -> torch.nn.Module:
    cfg = _real(repo, f"{component}/config.json")
    name = cfg.pop("_class_name")
    cls = getattr(diffusers, name, None) or getattr(diffusers.pipelines.ltx2, name)
    cfg.update(SHRINK[repo][component])
    torch.manual_seed(len(repo) + len(component))
    return cls.from_config(cfg).eval()


def components(repo: str) -> dict:
    """The pipeline components of a base repo, tiny."""
    index = _real(repo, "model_index.json")
    sched = _real(repo, "scheduler/scheduler_config.json")
    out: dict = {"scheduler": getattr(diffusers, sched["_class_name"]).from_config(sched)}
    for name, spec in index.items():
        if name.startswith("_") or not isinstance(spec, list) or spec[0] not in ("diffusers", "ltx2") or name == "scheduler":
            continue
        out[name] = _model(repo, name)
    out.update(_text_side(repo, index))
    for name, spec in index.items():
        if isinstance(spec, list) and spec == [None, None]:
            out[name] = None
    return out


def _text_side(repo: str, index: dict) -> dict:
    te = {k: v[1] for k, v in index.items() if isinstance(v, list) and v[0] == "transformers"}
    out: dict = {}
    torch.manual_seed(0)
    if te.get("text_encoder") == "Gemma3ForConditionalGeneration":  # LTX-2
        tok = tt.gemma_tokenizer()
        return dict(text_encoder=tt.gemma3(tok, *GEMMA[repo]), tokenizer=tok)
    if te.get("text_encoder") == "Qwen2_5_VLForConditionalGeneration":
        tok = tt.qwen_tokenizer()
        out.update(text_encoder=tt.qwen_vl(16), tokenizer=tok)
        if "processor" in te:
            out["processor"] = tt.qwen_processor(tok)
        return out
    if "text_encoder_3" in te:  # SD3: two CLIPs (32 + 32 hidden, 32-d projections) and T5 (64)
        clip = tt.clip_tokenizer()
        t5 = tt.t5_tokenizer()
        return dict(text_encoder=tt.clip_text(clip, 32, True), text_encoder_2=tt.clip_text(clip, 32, True),
                    text_encoder_3=tt.t5_encoder(t5, 64), tokenizer=clip, tokenizer_2=tt.clip_tokenizer(),
                    tokenizer_3=t5)
    if te.get("text_encoder_2") == "CLIPTextModelWithProjection":  # SDXL: 32 + 32 hidden = cross_attention_dim 64
        clip = tt.clip_tokenizer()
        return dict(text_encoder=tt.clip_text(clip, 32, False), text_encoder_2=tt.clip_text(clip, 32, True),
                    tokenizer=clip, tokenizer_2=tt.clip_tokenizer())
    if te.get("text_encoder_2") == "T5EncoderModel":  # FLUX
        clip = tt.clip_tokenizer()
        t5 = tt.t5_tokenizer()
        return dict(text_encoder=tt.clip_text(clip, 32, False), text_encoder_2=tt.t5_encoder(t5, 32),
                    tokenizer=clip, tokenizer_2=t5)
    t5 = tt.t5_tokenizer()
    out.update(text_encoder=tt.t5_encoder(t5, 32, umt5=te["text_encoder"] == "UMT5EncoderModel"), tokenizer=t5)
    if te.get("image_encoder") == "CLIPVisionModelWithProjection":
        out["image_encoder"], out["image_processor"] = tt.clip_vision(8)
    return out


def build_base(cache: Path, repo: str):
    """Builds, saves as a Hub-cache snapshot and returns the tiny pipeline of `repo`."""
    index = _real(repo, "model_index.json")
    pipe_cls = getattr(diffusers, index["_class_name"])
    comps = components(repo)
    extra = {k: v for k, v in index.items() if not k.startswith("_") and not isinstance(v, list)}
    pipe = pipe_cls(**comps, **{k: v for k, v in extra.items() if k in pipe_cls.__init__.__code__.co_varnames})
    dest = snapshot_dir(cache, repo)
    if dest.exists():
        shutil.rmtree(dest)
    pipe.save_pretrained(dest, variant=VARIANT.get(repo))
    # The real model_index.json (the saved one names the classes the same way; keep the real text).
    (dest / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")
    shutil.copy(CONFIGS / repo.replace("/", "--") / "scheduler/scheduler_config.json", dest / "scheduler/scheduler_config.json")
    publish_ref(cache, repo)
    return pipe


def denoiser_name(pipe) -> str:
    return "unet" if getattr(pipe, "unet", None) is not None else "transformer"


def make_lora(pipe, seed: int = 1, targets: list[str] | None = None,
              component: str | None = None) -> tuple[dict[str, torch.Tensor], int]:
    """A random rank-4 LoRA on the denoiser's attention projections, in diffusers format.

    `component="transformer_2"` makes the low-noise file of a Wan 2.2 pair: the keys still say
    `transformer.` (diffusers loads them into transformer_2 with `load_into_transformer_2=True`).
    Returns (state dict with `transformer.`/`unet.` prefixes, number of wrapped modules)."""
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    name = denoiser_name(pipe)
    model = getattr(pipe, component or name)
    torch.manual_seed(seed)
    model.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=targets or LORA_TARGETS, init_lora_weights=False), adapter_name="mk")
    state = get_peft_model_state_dict(model, adapter_name="mk")
    model.delete_adapters("mk")
    state = {f"{name}.{k}": v.detach().clone().contiguous() for k, v in state.items()}
    modules = sum(1 for k in state if k.endswith("lora_A.weight"))
    return state, modules
