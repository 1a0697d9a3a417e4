"""Unit tests of the stand-ins, in-process (the test process has neither real torch nor spaces)."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from PIL import Image

from lsb_harness import fake_diffusers, media
from lsb_harness.realsrc import real_diffusers
from lsb_harness.runner import STUBS_DIR
from lsb_harness.state import STATE

PIPELINES = {
    # class: (kind, a required positional-ish input or None)
    "FluxPipeline": "images",
    "FluxKontextPipeline": "images",
    "StableDiffusionXLPipeline": "images",
    "StableDiffusion3Pipeline": "images",
    "QwenImagePipeline": "images",
    "QwenImageEditPipeline": "images",
    "QwenImageEditPlusPipeline": "images",
    "LTXPipeline": "frames",
    "LTXImageToVideoPipeline": "frames",
    "LTXConditionPipeline": "frames",
    "LTX2Pipeline": "frames",
    "LTX2ImageToVideoPipeline": "frames",
    "WanPipeline": "frames",
    "WanImageToVideoPipeline": "frames",
}
COMPONENTS = ["AutoencoderKL", "AutoencoderKLWan", "FlowMatchEulerDiscreteScheduler", "UniPCMultistepScheduler",
              "EulerAncestralDiscreteScheduler", "DPMSolverMultistepScheduler"]


@pytest.fixture(scope="module")
def env():
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] in ("torch", "spaces", "diffusers")}
    sys.path.insert(0, str(STUBS_DIR))
    finder = fake_diffusers.install()
    import diffusers
    import spaces
    import torch

    yield diffusers, torch, spaces
    sys.meta_path.remove(finder)
    sys.path.remove(str(STUBS_DIR))
    for k in [k for k in sys.modules if k.split(".")[0] in ("torch", "spaces", "diffusers")]:
        del sys.modules[k]
    sys.modules.update(saved)


def real_call_params(cls_name: str) -> list[str]:
    """Independent cross-check: parameter names of `def __call__(` read with a regex from the real file."""
    rs = real_diffusers()
    r = rs.resolve("diffusers", cls_name)
    mod, _, fn = rs.find_method(r.module, r.node, "__call__")
    src = rs.module_file(mod).read_text().splitlines()
    block = []
    for line in src[fn.lineno - 1:]:
        block.append(line)
        if re.search(r"\)\s*(->.*)?:\s*$", line):
            break
    text = "\n".join(block)
    text = text[text.index("(") + 1:]
    names = re.findall(r"^\s*\*{0,2}([a-z_][a-z0-9_]*)\s*[:=,)]", text, re.M)
    return [n for n in names if n != "self"]


@pytest.mark.parametrize("cls_name", sorted(PIPELINES))
def test_pipeline_signature_matches_real_source(env, cls_name):
    diffusers, torch, spaces = env
    cls = getattr(diffusers, cls_name)
    got = [p.name for p in cls._lsb_call_sig.parameters.values()]
    real = real_call_params(cls_name)
    if real[-1] == "kwargs":
        # **kwargs is narrowed to the names the real body reads from it (e.g. deprecated callback args)
        assert got[: len(real) - 1] == real[:-1] and "kwargs" not in got
        assert cls._lsb_swallows_kwargs
    else:
        assert got == real
    assert "num_inference_steps" in got and "generator" in got


@pytest.mark.parametrize("cls_name", sorted(PIPELINES))
def test_pipeline_rejects_unknown_kwarg_and_returns_media(env, cls_name):
    diffusers, torch, spaces = env
    cls = getattr(diffusers, cls_name)
    pipe = cls.from_pretrained("org/base", torch_dtype=torch.bfloat16).to("cuda")
    assert STATE.pipelines[-1]["base"] == "org/base"
    params = cls._lsb_call_sig.parameters
    kw = {"prompt": "p", "num_inference_steps": 2, "generator": torch.Generator("cuda").manual_seed(1)}
    if "num_frames" in params:
        kw["num_frames"] = 9
    img = Image.new("RGB", (80, 48))
    if "image" in params:
        kw["image"] = [img] if "Plus" in cls_name else img
    if cls_name == "LTX2ImageToVideoPipeline":
        kw["image"] = img

    @spaces.GPU
    def run(**k):
        return pipe(**k)

    with pytest.raises(TypeError, match=rf"{cls_name}.__call__\(\) got an unexpected keyword argument 'num_inference_step'"):
        run(num_inference_step=3, **{k: v for k, v in kw.items() if k != "num_inference_steps"})
    out = run(**kw)
    kind = PIPELINES[cls_name]
    if kind == "images":
        assert isinstance(out.images[0], Image.Image)
    else:
        frames = out.frames[0]
        assert len(frames) == 9
        first = frames[0]
        assert isinstance(first, Image.Image) or (isinstance(first, np.ndarray) and first.ndim == 3)
    assert run(**kw, return_dict=False)[0] is not None


@pytest.mark.parametrize("cls_name", COMPONENTS)
def test_components(env, cls_name):
    diffusers, torch, _ = env
    cls = getattr(diffusers, cls_name)
    obj = cls.from_pretrained("org/base", subfolder="vae", torch_dtype=torch.float32)
    obj.enable_tiling()
    if "Scheduler" in cls_name:
        s2 = cls.from_config(obj.config, flow_shift=5.0)
        assert s2.config.flow_shift == 5.0


def test_utils_and_constants(env, tmp_path):
    diffusers, torch, _ = env
    from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES
    from diffusers.utils import export_to_video, load_image, load_video

    assert len(DISTILLED_SIGMA_VALUES) == 8
    frames = [media.make_image(1, "x", 64, 48, i) for i in range(5)]
    path = export_to_video(frames, str(tmp_path / "v.mp4"), fps=8)
    assert open(path, "rb").read()[4:8] == b"ftyp"
    back = load_video(path)
    assert len(back) == 5 and back[0].size == (64, 48)
    arr_path = export_to_video(np.random.rand(3, 32, 32, 3).astype(np.float32))
    assert media.sniff(open(arr_path, "rb").read(64)) == "mp4"
    with pytest.raises(ValueError, match="output.frames"):
        export_to_video(np.zeros((1, 3, 32, 32, 3)))
    png = tmp_path / "a.png"
    Image.new("RGBA", (10, 10)).save(png)
    assert load_image(str(png)).mode == "RGB"
    with pytest.raises(ValueError, match="not a valid path"):
        load_image(str(tmp_path / "missing.png"))


def test_call_argument_checks(env):
    diffusers, torch, spaces = env
    pipe = diffusers.FluxKontextPipeline.from_pretrained("b").to("cuda")

    @spaces.GPU(duration=10)
    def run(**k):
        return pipe(**k)

    with pytest.raises(TypeError, match="num_inference_steps` must be an int"):
        run(prompt="x", num_inference_steps=28.0)
    with pytest.raises(ValueError, match="gr.Image\\(type='filepath'\\)"):
        run(prompt="x", image="/tmp/gradio/x.png")
    with pytest.raises(ValueError, match="prompt"):
        run(prompt={"text": "x"})
    with pytest.raises(RuntimeError, match="outside any @spaces.GPU"):
        pipe(prompt="x")
    with pytest.raises(AttributeError, match="'FluxKontextPipeline' object has no attribute 'transformer_2'"):
        pipe.transformer_2


def test_spaces_gpu_forms(env):
    _, torch, spaces = env
    n = len(STATE.gpu_functions)

    @spaces.GPU
    def a(x):
        return x

    @spaces.GPU()
    def b(x):
        return x

    @spaces.GPU(duration=lambda x: 30, size="xlarge")
    def c(x):
        return x

    @spaces.GPU(duration=lambda: 30)
    def d(x):
        return x

    @spaces.GPU(duration=120)
    def gen(x):
        yield x
        yield x + 1

    assert a(1) == b(1) == c(1) == 1
    assert list(gen(1)) == [1, 2]
    with pytest.raises(TypeError, match="duration callable"):
        d(1)
    recs = STATE.gpu_functions[n:]
    assert [r["name"].split(".")[-1] for r in recs] == ["a", "b", "c", "d", "gen"]
    assert recs[2]["size"] == "xlarge" and recs[2]["duration"] == "callable" and recs[4]["generator"]

    @spaces.GPU
    def returns_cuda():
        return torch.zeros(2).to("cuda")

    with pytest.raises(RuntimeError, match="CUDA tensor"):
        returns_cuda()


def test_torch_surface(env):
    _, torch, _ = env
    assert {torch.bfloat16, torch.float16, torch.float32} and torch.cuda.is_available()
    g = torch.Generator(device="cuda").manual_seed(5)
    assert g.initial_seed() == 5
    with pytest.raises(TypeError, match="must be int"):
        torch.Generator().manual_seed(5.0)
    torch.manual_seed(3)
    with torch.no_grad(), torch.inference_mode():
        pass

    @torch.inference_mode()
    def f():
        return 1

    @torch.no_grad
    def h():
        return 2

    assert f() == 1 and h() == 2
    assert str(torch.device("cuda")) == "cuda"
    torch.backends.cuda.matmul.allow_tf32 = True
    with pytest.raises(AttributeError, match="stand-in"):
        torch.not_a_thing


def test_divisibility_rules_from_real_check_inputs(env):
    diffusers, torch, spaces = env
    wan = diffusers.WanPipeline.from_pretrained("w").to("cuda")
    ltx = diffusers.LTXPipeline.from_pretrained("l").to("cuda")
    flux = diffusers.FluxPipeline.from_pretrained("f").to("cuda")
    sd3 = diffusers.StableDiffusion3Pipeline.from_pretrained("s").to("cuda")

    @spaces.GPU
    def run(p, **k):
        return p(prompt="x", **k)

    with pytest.raises(ValueError, match="divisible by 16 but are 500 and 832"):
        run(wan, height=500, width=832)
    with pytest.raises(ValueError, match="divisible by 32"):
        run(ltx, height=512, width=720)
    with pytest.raises(ValueError, match="divisible by 16"):
        run(sd3, height=1000, width=1024)
    n = len(STATE.warnings)
    run(wan, height=480, width=832, num_frames=80)  # warns, rounds
    run(flux, height=1000, width=1024)  # warns, resizes
    assert any("num_frames - 1" in w for w in STATE.warnings[n:])
    assert any("divisible by 16" in w for w in STATE.warnings[n:])


def test_qwen_true_cfg_without_negative_prompt_warns(env):
    diffusers, torch, spaces = env
    q = diffusers.QwenImagePipeline.from_pretrained("Qwen/Qwen-Image").to("cuda")

    @spaces.GPU
    def run(**k):
        return q(prompt="x", **k)

    n = len(STATE.warnings)
    run(true_cfg_scale=4.0, negative_prompt=" ")
    assert len(STATE.warnings) == n
    run(true_cfg_scale=4.0)
    assert any("true CFG is silently disabled" in w for w in STATE.warnings[n:])


def test_async_gpu_function(env):
    import asyncio

    diffusers, torch, spaces = env
    pipe = diffusers.FluxPipeline.from_pretrained("f").to("cuda")

    @spaces.GPU(duration=30)
    async def run(prompt):
        return pipe(prompt=prompt).images[0]

    img = asyncio.run(run("x"))
    assert isinstance(img, Image.Image)


def test_diffusion_pipeline_resolves_known_bases(env):
    diffusers, torch, _ = env
    from lsb_harness.state import StandInGap

    p = diffusers.DiffusionPipeline.from_pretrained("Qwen/Qwen-Image-Edit-2509", torch_dtype=torch.bfloat16)
    assert type(p).__name__ == "QwenImageEditPlusPipeline"
    p = diffusers.AutoPipelineForText2Image.from_pretrained("black-forest-labs/FLUX.1-dev")
    assert type(p).__name__ == "FluxPipeline"
    with pytest.raises(StandInGap, match="cannot tell which pipeline"):
        diffusers.DiffusionPipeline.from_pretrained("someone/custom-model")


def test_torch_extras(env):
    _, torch, _ = env
    with torch.autocast("cuda", dtype=torch.bfloat16):
        pass
    with torch.amp.autocast("cuda"):
        pass
    g = torch.Generator().manual_seed(1)
    assert torch.randn(2, 3, generator=g).shape == (2, 3)
    assert torch.cat([torch.ones(1, 2), torch.zeros(1, 2)]).shape == (2, 2)
    assert torch.version.cuda
    assert torch.cuda.get_device_properties(0).total_memory > 0


def test_pipeline_attributes(env):
    diffusers, torch, _ = env
    pipe = diffusers.FluxPipeline.from_pretrained("f")
    pipe.image_processor.postprocess  # attribute set in the real __init__: permissive
    pipe.vae.enable_tiling()
    with pytest.raises(AttributeError, match="enable_vae_tiling"):
        pipe.enable_vae_tiling()  # removed from FluxPipeline in current diffusers: the real one raises too
    pipe.fuse_lora(lora_scale=0.8)
    with pytest.raises(TypeError, match="fuse_lora"):
        pipe.fuse_lora(1, 2, 3, 4, 5, 6)  # too many positionals for the real signature
    assert pipe.vae_scale_factor == 8
    with pytest.raises(AttributeError, match="no attribute 'vocoder'"):
        pipe.vocoder


def test_encode_video_tensor_input(env, tmp_path):
    diffusers, torch, spaces = env
    from diffusers.utils import encode_video

    pipe = diffusers.LTX2Pipeline.from_pretrained("Lightricks/LTX-2").to("cuda")

    @spaces.GPU
    def run():
        return pipe(prompt="x", num_frames=9, output_type="np", return_dict=False)

    video, audio = run()
    t = torch.from_numpy((video * 255).round().astype("uint8"))
    out = tmp_path / "a.mp4"
    encode_video(t[0], fps=24.0, output_path=str(out), audio=audio[0].float().cpu(),
                 audio_sample_rate=pipe.vocoder.config.output_sampling_rate)
    assert out.read_bytes()[4:8] == b"ftyp"
    with pytest.raises(ValueError, match="uint8"):
        encode_video(torch.from_numpy(video[0]), fps=24, output_path=str(out))
    encode_video(video[0], fps=24, output_path=str(out))  # float np in [0, 1] is fine
