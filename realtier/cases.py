"""The family x task matrix of the real-pipeline tier, one case per distinct pipeline class
(and task) the generator emits, plus the cards that make the generator emit them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    id: str
    base: str  # the base repo the card declares (and the tiny Hub-cache snapshot)
    task: str  # pipeline_tag
    pipeline: str  # the class the generated app must load
    trigger: str = "zkstyle"


CASES = [
    Case("flux-dev-t2i", "black-forest-labs/FLUX.1-dev", "text-to-image", "FluxPipeline"),
    Case("flux-schnell-t2i", "black-forest-labs/FLUX.1-schnell", "text-to-image", "FluxPipeline"),
    Case("kontext-i2i", "black-forest-labs/FLUX.1-Kontext-dev", "image-to-image", "FluxKontextPipeline"),
    Case("qwen-image-t2i", "Qwen/Qwen-Image", "text-to-image", "QwenImagePipeline"),
    Case("qwen-edit-i2i", "Qwen/Qwen-Image-Edit", "image-to-image", "QwenImageEditPipeline"),
    Case("qwen-edit-2509-i2i", "Qwen/Qwen-Image-Edit-2509", "image-to-image", "QwenImageEditPlusPipeline"),
    Case("sdxl-t2i", "stabilityai/stable-diffusion-xl-base-1.0", "text-to-image", "StableDiffusionXLPipeline"),
    Case("sd35-t2i", "stabilityai/stable-diffusion-3.5-large", "text-to-image", "StableDiffusion3Pipeline"),
    Case("wan21-t2v", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "text-to-video", "WanPipeline"),
    Case("wan21-i2v", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", "image-to-video", "WanImageToVideoPipeline"),
    Case("wan22-i2v", "Wan-AI/Wan2.2-I2V-A14B-Diffusers", "image-to-video", "WanImageToVideoPipeline"),
    Case("ltx095-t2v", "Lightricks/LTX-Video-0.9.5", "text-to-video", "LTXPipeline"),
    Case("ltx095-i2v", "Lightricks/LTX-Video-0.9.5", "image-to-video", "LTXConditionPipeline"),
]

# Not covered yet (listed in the README): LTX-2 / LTX-2.3 (LTX2* classes), Wan 2.2 TI2V 5B
# (48-channel Wan 2.2 VAE), video-to-video (LTXConditionPipeline with a video condition).


def card(case: Case, weight: str = "lora.safetensors") -> tuple[str, str]:
    """(README.md, files.txt) of a LoRA repo whose card names the base, task and trigger."""
    readme = (
        "---\n"
        f"base_model: {case.base}\n"
        f"pipeline_tag: {case.task}\n"
        "library_name: diffusers\n"
        "tags:\n- lora\n"
        f"instance_prompt: {case.trigger}\n"
        "---\n"
        f"# Tiny {case.id} LoRA\n\n"
        f"A test LoRA. Use `{case.trigger}` in the prompt.\n"
    )
    return readme, f"README.md\n{weight}\n"
