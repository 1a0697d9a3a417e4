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
    # Wan 2.2 A14B: a high-noise / low-noise file pair, loaded into transformer / transformer_2.
    pair: bool = False
    # The card's snippet names `pipeline` (the generator's pick of a task's non-default class).
    snippet: bool = False

    @property
    def weights(self) -> list[str]:
        return ["zk_high_noise.safetensors", "zk_low_noise.safetensors"] if self.pair else ["lora.safetensors"]


CASES = [
    Case("flux-dev-t2i", "black-forest-labs/FLUX.1-dev", "text-to-image", "FluxPipeline"),
    Case("flux-schnell-t2i", "black-forest-labs/FLUX.1-schnell", "text-to-image", "FluxPipeline"),
    Case("kontext-i2i", "black-forest-labs/FLUX.1-Kontext-dev", "image-to-image", "FluxKontextPipeline"),
    Case("qwen-image-t2i", "Qwen/Qwen-Image", "text-to-image", "QwenImagePipeline"),
    Case("qwen-edit-i2i", "Qwen/Qwen-Image-Edit", "image-to-image", "QwenImageEditPipeline"),
    Case("qwen-edit-2509-i2i", "Qwen/Qwen-Image-Edit-2509", "image-to-image", "QwenImageEditPlusPipeline"),
    Case("qwen-edit-2511-i2i", "Qwen/Qwen-Image-Edit-2511", "image-to-image", "QwenImageEditPlusPipeline"),
    Case("sdxl-t2i", "stabilityai/stable-diffusion-xl-base-1.0", "text-to-image", "StableDiffusionXLPipeline"),
    Case("sd35-t2i", "stabilityai/stable-diffusion-3.5-large", "text-to-image", "StableDiffusion3Pipeline"),
    Case("sd35-turbo-t2i", "stabilityai/stable-diffusion-3.5-large-turbo", "text-to-image", "StableDiffusion3Pipeline"),
    Case("sd35-medium-t2i", "stabilityai/stable-diffusion-3.5-medium", "text-to-image", "StableDiffusion3Pipeline"),
    Case("wan21-t2v", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "text-to-video", "WanPipeline"),
    Case("wan21-i2v", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", "image-to-video", "WanImageToVideoPipeline"),
    Case("wan22-i2v", "Wan-AI/Wan2.2-I2V-A14B-Diffusers", "image-to-video", "WanImageToVideoPipeline"),
    Case("wan22-i2v-pair", "Wan-AI/Wan2.2-I2V-A14B-Diffusers", "image-to-video", "WanImageToVideoPipeline", pair=True),
    Case("wan22-t2v-pair", "Wan-AI/Wan2.2-T2V-A14B-Diffusers", "text-to-video", "WanPipeline", pair=True),
    Case("wan22-ti2v-t2v", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "text-to-video", "WanPipeline"),
    Case("wan22-ti2v-i2v", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "image-to-video", "WanImageToVideoPipeline"),
    Case("ltx095-t2v", "Lightricks/LTX-Video-0.9.5", "text-to-video", "LTXPipeline"),
    Case("ltx095-i2v", "Lightricks/LTX-Video-0.9.5", "image-to-video", "LTXConditionPipeline"),
    Case("ltx095-v2v", "Lightricks/LTX-Video-0.9.5", "video-to-video", "LTXConditionPipeline"),
    Case("ltx091-t2v", "Lightricks/LTX-Video", "text-to-video", "LTXPipeline"),
    Case("ltx091-i2v", "Lightricks/LTX-Video", "image-to-video", "LTXImageToVideoPipeline"),
    Case("ltx091-v2v", "Lightricks/LTX-Video", "video-to-video", "LTXConditionPipeline"),
    Case("ltx097-t2v", "Lightricks/LTX-Video-0.9.7-dev", "text-to-video", "LTXConditionPipeline"),
    Case("ltx097-i2v", "Lightricks/LTX-Video-0.9.7-dev", "image-to-video", "LTXConditionPipeline"),
    Case("ltx097-v2v", "Lightricks/LTX-Video-0.9.7-dev", "video-to-video", "LTXConditionPipeline"),
    Case("ltx097d-t2v", "Lightricks/LTX-Video-0.9.7-distilled", "text-to-video", "LTXConditionPipeline"),
    Case("ltx097d-i2v", "Lightricks/LTX-Video-0.9.7-distilled", "image-to-video", "LTXConditionPipeline"),
    Case("ltx097d-v2v", "Lightricks/LTX-Video-0.9.7-distilled", "video-to-video", "LTXConditionPipeline"),
    Case("ltx098-t2v", "Lightricks/LTX-Video-0.9.8-13B-distilled", "text-to-video", "LTXConditionPipeline"),
    Case("ltx2-t2v", "Lightricks/LTX-2", "text-to-video", "LTX2Pipeline"),
    Case("ltx2-i2v", "Lightricks/LTX-2", "image-to-video", "LTX2ImageToVideoPipeline"),
    Case("ltx2-v2v", "Lightricks/LTX-2", "video-to-video", "LTX2InContextPipeline"),
    Case("ltx2-v2v-cond", "Lightricks/LTX-2", "video-to-video", "LTX2ConditionPipeline", snippet=True),
    Case("ltx23-v2v", "diffusers/LTX-2.3-Distilled-Diffusers", "video-to-video", "LTX2InContextPipeline"),
]

# The family x task matrix against these cases, and the gaps: coverage.py / test_coverage.py.


def card(case: Case, weights: list[str]) -> tuple[str, str]:
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
    if case.snippet:
        readme += (f"\n```python\nimport torch\nfrom diffusers import {case.pipeline}\n\n"
                   f"pipe = {case.pipeline}.from_pretrained(\"{case.base}\", torch_dtype=torch.bfloat16)\n"
                   "pipe.load_lora_weights(\"<this repo>\")\n```\n")
    return readme, "README.md\n" + "".join(f"{w}\n" for w in weights)
