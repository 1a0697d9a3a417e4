"""Static rules from the knowledge file (pure functions, no subprocess)."""

from lsb_harness import rules


def test_base_class_table():
    ok = [("QwenImageEditPlusPipeline", "Qwen/Qwen-Image-Edit-2509"), ("QwenImagePipeline", "Qwen/Qwen-Image-2512"),
          ("FluxPipeline", "black-forest-labs/FLUX.1-schnell"), ("FluxKontextPipeline", "black-forest-labs/FLUX.1-Kontext-dev"),
          ("WanImageToVideoPipeline", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"), ("LTX2Pipeline", "Lightricks/LTX-2"),
          ("LTXConditionPipeline", "Lightricks/LTX-Video-0.9.5"), ("StableDiffusionXLPipeline", "stabilityai/stable-diffusion-xl-base-1.0"),
          ("FluxPipeline", "someone/unknown-base")]
    for cls, base in ok:
        assert rules.check_base_class(cls, base) is None, (cls, base)
    assert "QwenImageEditPlusPipeline" in rules.check_base_class("QwenImageEditPipeline", "Qwen/Qwen-Image-Edit-2511")
    assert "FluxKontextPipeline" in rules.check_base_class("FluxPipeline", "black-forest-labs/FLUX.1-Kontext-dev")
    assert "LTX2" in rules.check_base_class("LTXPipeline", "Lightricks/LTX-2")
    assert "WanImageToVideoPipeline" in rules.check_base_class("WanPipeline", "Wan-AI/Wan2.1-I2V-14B-720P-Diffusers")
    assert "native" in rules.check_base_class("WanImageToVideoPipeline", "Wan-AI/Wan2.1-I2V-14B-480P")


def test_requirement_rules():
    v = dict(rules.requirement_violations("torch==2.4.0\ndiffusers==0.35.2\n", ["QwenImageEditPlusPipeline"], True))
    assert "torch_pin" in v and "diffusers_too_old" in v and "dtype_kwarg" in v
    assert rules.requirement_violations("torch==2.9.1\ndiffusers\n", ["LTX2Pipeline"], True) == []
    assert rules.requirement_violations("git+https://github.com/huggingface/diffusers\n", ["Krea2Pipeline"], False) == []
