"""The generator's key-format claims against diffusers 0.42.1, in-process on the tiny pipelines.

`src/space/signatures.toml` lists, per architecture, the key formats (`loader`) the bot ships an
app for; any other format is asked about (src/lora/tensors/crosscheck.rs check_format). Here every
supported architecture's tiny pipeline loads a LoRA written in each format, the way a trainer
writes it (formats.py): a listed format must wrap exactly the file's modules; an unlisted one must
load nothing or raise — diffusers drops keys without the component prefix with only a warning,
so a wrongly listed format would ship an app that runs without its LoRA. Fast: no app, no files.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import diffusers
import pytest
import torch
from peft.tuners.tuners_utils import BaseTunerLayer

import formats as F
import tiny

SIGNATURES = {s["id"]: s for s in tomllib.loads((Path(__file__).parent.parent / "src/space/signatures.toml").read_text())["signature"]}

# Signature -> (tiny base of that architecture, writer family).
BASES = {
    "flux1": ("black-forest-labs/FLUX.1-dev", "flux"),
    "qwen-image": ("Qwen/Qwen-Image", "qwen"),
    "sd35-large": ("stabilityai/stable-diffusion-3.5-large", "sd35"),
    "sd35-medium": ("stabilityai/stable-diffusion-3.5-medium", "sd35"),
    "sdxl": ("stabilityai/stable-diffusion-xl-base-1.0", "sdxl"),
    "wan-1.3b": ("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "wan"),
    "wan-14b-i2v": ("Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", "wan"),
    "wan-14b": ("Wan-AI/Wan2.2-T2V-A14B-Diffusers", "wan"),
    "wan22-5b": ("Wan-AI/Wan2.2-TI2V-5B-Diffusers", "wan"),
    "ltx-2b": ("Lightricks/LTX-Video-0.9.5", "ltx"),
    "ltx-13b": ("Lightricks/LTX-Video-0.9.7-dev", "ltx"),
}
# Not here: `ltx-2` (its tiny pipelines come with the LTX-2 cases), `hunyuan-video` and `sd15`
# (no supported family).
UNSUPPORTED = {"hunyuan-video", "sd15", "ltx-2"}

# Listed formats this test cannot write at tiny sizes (kept visible, with the reason).
NOT_EXERCISED = {
    ("flux1", "peft"): "fal's Kontext trainer (`base_model.model.double_blocks…`): diffusers' "
    "_convert_fal_kontext_lora_to_diffusers pops every module of FLUX.1's real 19 + 38 blocks at "
    "width 3072 (hard-coded); a PEFT file with diffusers names raises KeyError at load (loud)",
}


def _plain(prefix: str):
    def write(state, family):
        return {prefix + F._split(k)[0] + f".lora_{F._split(k)[1]}.weight": v for k, v in state.items()}
    return write


# (format, writer family) -> the file a trainer writes; `None` family = every family.
WRITERS = {
    ("diffusers", None): lambda state, family: dict(state),
    ("kohya", "flux"): F.kohya_flux,  # sd-scripts
    ("kohya", "sdxl"): F.kohya_sdxl,  # sd-scripts (SGM names)
    ("kohya", None): F.kohya,  # musubi-tuner (Qwen-Image, Wan); `lora_unet_` + flattened names elsewhere
    ("comfyui", "flux"): F.comfy_native,  # ComfyUI's trainer, BFL names
    ("comfyui", None): F.comfy,  # ai-toolkit / musubi-tuner convert_lora.py
    ("unprefixed", "qwen"): F.diffsynth,  # DiffSynth-Studio
    ("unprefixed", None): _plain(""),
    ("peft", None): _plain("base_model.model."),
    ("xlabs", "flux"): F.xlabs,
}
# Further real files of a listed format (ComfyUI's own trainer: lora_down / lora_up / alpha).
EXTRA = {("qwen", "comfyui"): F.comfy_native, ("wan", "comfyui"): F.comfy_native}
FORMATS = ["diffusers", "kohya", "comfyui", "unprefixed", "peft", "xlabs"]


def writer(fmt: str, family: str):
    return WRITERS.get((fmt, family)) or WRITERS.get((fmt, None))


def targets(sig: str, family: str):
    if family == "flux":
        return F.FLUX_DOUBLE_TARGETS
    if family == "wan":  # musubi-tuner adapts every Linear of a block (I2V: the image K / V too)
        return F.WAN_TARGETS + (["add_k_proj", "add_v_proj"] if sig == "wan-14b-i2v" else [])
    return tiny.ATTN_TARGETS


_PIPES: dict[str, object] = {}


def pipe_of(repo: str):
    if repo not in _PIPES:
        index = tiny._real(repo, "model_index.json")
        cls = getattr(diffusers, index["_class_name"])
        extra = {k: v for k, v in index.items() if not k.startswith("_") and not isinstance(v, list)}
        _PIPES[repo] = cls(**tiny.components(repo), **{k: v for k, v in extra.items() if k in cls.__init__.__code__.co_varnames})
    return _PIPES[repo]


def wrapped(pipe) -> int:
    """Layers holding the loaded adapter (make_lora's deleted one leaves empty wrappers behind)."""
    return sum(1 for name in ("transformer", "unet") if getattr(pipe, name, None) is not None
               for m in getattr(pipe, name).modules() if isinstance(m, BaseTunerLayer) and "fmt" in getattr(m, "lora_A", {}))


def load(pipe, state) -> int | str:
    """Wrapped modules after load_lora_weights, or the error it raised."""
    try:
        pipe.load_lora_weights({k: v.clone() for k, v in state.items()}, adapter_name="fmt")
        return wrapped(pipe)
    except Exception as e:  # a format diffusers refuses loudly
        return f"{type(e).__name__}: {str(e)[:120]}"
    finally:
        pipe.unload_lora_weights()


def test_every_supported_architecture_is_checked():
    assert set(SIGNATURES) == set(BASES) | UNSUPPORTED
    assert all(not SIGNATURES[s]["families"] or s == "ltx-2" for s in UNSUPPORTED)


CASES = [(sig, fmt) for sig in BASES for fmt in FORMATS if writer(fmt, BASES[sig][1])]


@pytest.mark.parametrize("sig,fmt", CASES, ids=[f"{s}-{f}" for s, f in CASES])
def test_a_listed_key_format_loads_every_module_and_an_unlisted_one_loads_none(sig, fmt):
    repo, family = BASES[sig]
    listed = fmt in SIGNATURES[sig]["loader"]
    if (sig, fmt) in NOT_EXERCISED:
        pytest.skip(NOT_EXERCISED[(sig, fmt)])
    pipe = pipe_of(repo)
    state, modules = tiny.make_lora(pipe, targets=targets(sig, family))
    files = [writer(fmt, family)(state, family)] + ([EXTRA[(family, fmt)](state, family)] if (family, fmt) in EXTRA else [])
    for f in files:
        got = load(pipe, f)
        if listed:
            assert got == modules == F.wrapped_modules(f), f"{sig} lists {fmt} but {got} of {modules} modules load: {sorted(f)[:3]}"
        else:
            assert got == 0 or isinstance(got, str), f"{sig} does not list {fmt}, yet diffusers loads {got} modules: list it"


def with_alpha(state: dict) -> dict:
    """The same file with a per-module `alpha` tensor (= rank: the same scale), as kohya-style
    trainers store it."""
    out = dict(state)
    for k, v in state.items():
        for down in F.DOWN:
            if k.endswith(down):
                out.setdefault(k[: -len(down)].rstrip(".") + ".alpha", torch.tensor(float(v.shape[0])))
    return out


ALPHA_CASES = [(sig, fmt) for sig, fmt in CASES if fmt in SIGNATURES[sig]["loader"] and fmt in ("diffusers", "comfyui", "kohya", "unprefixed")
               and (sig, fmt) not in NOT_EXERCISED]


@pytest.mark.parametrize("sig,fmt", ALPHA_CASES, ids=[f"{s}-{f}" for s, f in ALPHA_CASES])
def test_per_module_alpha_tensors_load_unless_the_signature_says_no_alpha(sig, fmt):
    """`no_alpha` (signatures.toml): formats whose files diffusers refuses when they carry alpha
    tensors (the converter does not consume them and load_lora_weights raises on non-LoRA keys);
    the bot asks about such a file instead of shipping an app that fails at start."""
    repo, family = BASES[sig]
    pipe = pipe_of(repo)
    state, modules = tiny.make_lora(pipe, targets=targets(sig, family))
    got = load(pipe, with_alpha(writer(fmt, family)(state, family)))
    if fmt in SIGNATURES[sig].get("no_alpha", []):
        assert got == 0 or isinstance(got, str), f"{sig} says {fmt} + alpha does not load, yet {got} modules do"
    else:
        assert got == modules, f"{sig}: {fmt} with alpha tensors: {got} of {modules} modules load; add it to no_alpha"
