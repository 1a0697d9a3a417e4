"""Static rules from lora-space-knowledge.md (§3 class table, §3.0 class release versions, §7 torch pins).

These are heuristics: the knowledge file itself says to verify the class against the base model's
Hub card. A base repo not in the table is not checked.
"""

from __future__ import annotations

import re

# (base repo regex, allowed pipeline class regex, what the table says)
BASE_CLASS_TABLE: list[tuple[str, str, str]] = [
    (r"^Qwen/Qwen-Image(-2512)?$", r"^QwenImage(Img2Img|Inpaint|ControlNet\w*)?Pipeline$", "QwenImagePipeline"),
    (r"^Qwen/Qwen-Image-Edit$", r"^QwenImageEdit(Inpaint)?Pipeline$", "QwenImageEditPipeline"),
    (r"^Qwen/Qwen-Image-Edit-25(09|11)$", r"^QwenImageEditPlusPipeline$", "QwenImageEditPlusPipeline"),
    (r"^black-forest-labs/FLUX\.1-(dev|schnell)$", r"^Flux(Img2Img|Inpaint|Fill|Control\w*|Prior\w*)?Pipeline$",
     "FluxPipeline"),
    (r"^black-forest-labs/FLUX\.1-Kontext-dev$", r"^FluxKontext(Inpaint)?Pipeline$", "FluxKontextPipeline"),
    (r"^stabilityai/stable-diffusion-xl-base-1\.0$", r"^StableDiffusionXL\w*Pipeline$", "StableDiffusionXLPipeline"),
    (r"^stabilityai/stable-diffusion-3\.5-", r"^StableDiffusion3\w*Pipeline$", "StableDiffusion3Pipeline"),
    (r"^Lightricks/LTX-Video(-0\.9\.\d+.*)?$", r"^LTX(ImageToVideo|Condition|LatentUpsample|I2V\w*)?Pipeline$",
     "LTXPipeline / LTXImageToVideoPipeline / LTXConditionPipeline"),
    (r"^(Lightricks/LTX-2(\.5-Diffusers)?|(diffusers|dg845)/LTX-2\.3-(Distilled-)?Diffusers|rootonchair/LTX-2-19b-distilled)$",
     r"^LTX2\w*Pipeline$", "LTX2* pipelines"),
    (r"^Wan-AI/Wan2\.[12]-T2V-.*-Diffusers$", r"^Wan(Pipeline|VideoToVideoPipeline)$", "WanPipeline"),
    (r"^Wan-AI/Wan2\.[12]-(I2V|FLF2V)-.*-[Dd]iffusers$", r"^WanImageToVideoPipeline$", "WanImageToVideoPipeline"),
    (r"^Wan-AI/Wan2\.2-TI2V-5B-Diffusers$", r"^Wan(ImageToVideo)?Pipeline$", "WanPipeline / WanImageToVideoPipeline"),
    (r"^Wan-AI/Wan2\.2-Animate-14B-Diffusers$", r"^WanAnimatePipeline$", "WanAnimatePipeline"),
    (r"^Wan-AI/Wan2\.1-VACE-", r"^WanVACEPipeline$", "WanVACEPipeline"),
    (r"^krea/Krea-2-(Raw|Turbo)$", r"^Krea2Pipeline$", "Krea2Pipeline"),
]

# native (non-diffusers) repos with a -Diffusers twin
NATIVE_REPOS = r"^Wan-AI/Wan2\.[12]-[A-Za-z0-9\-\.]+(?<!-Diffusers)(?<!-diffusers)$"

# first diffusers release containing a class (knowledge §3.0, checked by tag there)
FIRST_RELEASE = {
    "QwenImageEditPlusPipeline": (0, 36, 0),
    "LTX2Pipeline": (0, 37, 0),
    "LTX2ConditionPipeline": (0, 37, 0),
    "LTX2ImageToVideoPipeline": (0, 37, 0),
    "QwenImageLayeredPipeline": (0, 37, 0),
    "LTX2InContextPipeline": (0, 39, 0),
    "LTX2HDRPipeline": (0, 39, 0),
    "Krea2Pipeline": (0, 39, 0),
}

TORCH_ALLOWED = {"2.8.0", "2.9.1", "2.10.0", "2.11.0"}


def default_class(base: str) -> str | None:
    """Class DiffusionPipeline.from_pretrained(base) resolves to, per the knowledge table (None: unknown)."""
    if not isinstance(base, str):
        return None
    for base_re, _cls_re, expected in BASE_CLASS_TABLE:
        if re.match(base_re, base):
            first = expected.split()[0].rstrip("*")
            return first if first.endswith("Pipeline") else first + "Pipeline"
    return None


def check_base_class(pipeline_cls: str, base: str | None) -> str | None:
    if not base or not isinstance(base, str):
        return None
    if re.match(NATIVE_REPOS, base):
        return (f"base {base!r} looks like a native (non-diffusers) repo: use the '-Diffusers' repo "
                f"(e.g. {base}-Diffusers) with {pipeline_cls}")
    for base_re, cls_re, expected in BASE_CLASS_TABLE:
        if re.match(base_re, base):
            if not re.match(cls_re, pipeline_cls):
                return (f"{pipeline_cls} on base {base!r}: the knowledge table expects {expected} "
                        "(a wrong class in a family loads and silently gives bad output)")
            return None
    return None


def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def pinned_versions(requirements_text: str) -> dict[str, str]:
    """name -> exact version for `name==X` lines."""
    out = {}
    for raw in requirements_text.splitlines():
        line = raw.split("#")[0].strip()
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*==\s*([0-9][0-9A-Za-z.\-+]*)\s*$", line)
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return out


def requirement_violations(requirements_text: str, pipeline_classes: list[str], uses_dtype_kwarg: bool) -> list[tuple[str, str]]:
    out = []
    pins = pinned_versions(requirements_text)
    t = pins.get("torch")
    if t is not None and t.split("+")[0] not in TORCH_ALLOWED:
        out.append(("torch_pin", f"torch=={t} is not a ZeroGPU torch version ({', '.join(sorted(TORCH_ALLOWED))}): CONFIG_ERROR"))
    d = pins.get("diffusers")
    if d is not None:
        dv = _version_tuple(d)
        for cls in pipeline_classes:
            need = FIRST_RELEASE.get(cls)
            if need and dv < need:
                out.append(("diffusers_too_old",
                            f"{cls} first appears in diffusers {'.'.join(map(str, need))} but requirements pin diffusers=={d}"))
        if uses_dtype_kwarg and dv < (0, 40, 0):
            out.append(("dtype_kwarg", f"from_pretrained(dtype=...) needs diffusers>=0.40 (pinned {d}); use torch_dtype="))
    return out
