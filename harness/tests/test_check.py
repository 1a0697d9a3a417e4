"""`python -m lsb_harness check`: JSON verdicts and ZeroGPU / wiring violations."""

from __future__ import annotations

from conftest import APPS, check


def codes(v):
    return {x["code"] for x in v["violations"]}


def test_check_flux_ok():
    v, cp = check(APPS / "flux_t2i" / "app.py", APPS / "flux_t2i" / "files.txt")
    assert cp.returncode == 0, cp.stderr[-3000:]
    assert v["ok"] is True and v["error"] is None
    assert v["pipeline"] == "FluxPipeline"
    assert v["base"] == "black-forest-labs/FLUX.1-dev"
    assert v["lora"] == "someone/flux-papercut-lora"
    assert v["weight_name"] == "papercut.safetensors"
    assert v["gpu_functions"] == [
        {"name": "generate", "duration": 60, "size": "large", "generator": False, "bound_to_event": True}
    ]
    assert v["violations"] == []
    assert v["loras"][0]["set_adapters"] == [{"names": ["lora"], "weights": [0.9]}]
    assert "Citrus" in v["launch_kwargs"]["theme"]


def test_check_all_samples_ok():
    for name, cls in [("kontext_i2i", "FluxKontextPipeline"), ("wan_i2v", "WanImageToVideoPipeline"),
                      ("ltx_i2v", "LTXImageToVideoPipeline"), ("ltx2_t2v", "LTX2Pipeline")]:
        v, cp = check(APPS / name / "app.py", APPS / name / "files.txt")
        assert v["ok"] and v["pipeline"] == cls and v["violations"] == [], (name, v, cp.stderr[-2000:])


def test_check_callable_duration_recorded():
    v, _ = check(APPS / "kontext_i2i" / "app.py", APPS / "kontext_i2i" / "files.txt")
    assert v["gpu_functions"][0]["duration"] == "callable"


def test_check_wrong_weight_name():
    v, cp = check(APPS / "flux_t2i" / "app.py", APPS / "flux_t2i" / "files_wrong.txt")
    assert cp.returncode == 1
    assert v["ok"] is False and v["error_kind"] == "app"
    assert v["error"].startswith("OSError: someone/flux-papercut-lora does not appear to have a file named papercut.safetensors")
    assert v["pipeline"] == "FluxPipeline"


def test_check_weight_name_in_subfolder_hint(tmp_path):
    files = tmp_path / "files.txt"
    files.write_text("loras/papercut.safetensors\n")
    v, _ = check(APPS / "flux_t2i" / "app.py", files)
    assert not v["ok"] and "loras/papercut.safetensors" in v["error"] and "subfolder" in v["error"]


def test_check_no_weight_name_picks_like_diffusers(app_copy, tmp_path):
    app = app_copy("flux_t2i", edit=lambda s: s.replace(", weight_name=WEIGHT_NAME", ""))
    files = tmp_path / "files.txt"
    files.write_text("a.safetensors\nb.safetensors\noptimizer.safetensors\n")
    v, _ = check(app, files)
    assert v["ok"]
    assert v["loras"][0]["resolved_file"] == "a.safetensors"
    assert any("several .safetensors" in w for w in v["warnings"])
    files.write_text("README.md\n")
    v, _ = check(app, files)
    assert not v["ok"] and "pytorch_lora_weights.safetensors" in v["error"]


def test_check_cpu_offload_and_device_map_are_violations(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace('pipe.to("cuda")', 'pipe.enable_model_cpu_offload()').replace(
        "torch_dtype=torch.bfloat16)", 'torch_dtype=torch.bfloat16, device_map="cuda")'))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert v["ok"] is True  # runs, but ...
    assert {"cpu_offload", "device_map"} <= codes(v)
    assert any("never moved" in w for w in v["warnings"])
    v, cp = check(app, APPS / "flux_t2i" / "files.txt", "--strict")
    assert v["ok"] is False and cp.returncode == 1


def test_check_no_gpu_decorator(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace("@spaces.GPU(duration=60)\n", ""))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert "no_gpu_function" in codes(v)


def test_check_eager_example_cache(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace(', cache_mode="lazy"', ""))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert "eager_example_cache" in codes(v)


def test_check_examples_fn_needs_defaults(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace('aspect: str = "1:1", seed: int = 0', "aspect: str, seed: int"))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert "examples_arity" in codes(v), v["violations"]


def test_check_event_arity(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace("inputs=[prompt, aspect, seed, randomize],",
                                                         "inputs=[prompt, aspect, seed, randomize, prompt, prompt],"))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert "event_arity" in codes(v), v["violations"]


def test_check_torch_compile_and_cuda_at_import(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace(
        'pipe.to("cuda")\n', 'pipe.to("cuda")\npipe.transformer = torch.compile(pipe.transformer)\nCAP = torch.cuda.get_device_capability()\n'))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert {"torch_compile", "cuda_at_import"} <= codes(v)


def test_check_missing_requirement_static(app_copy):
    app = app_copy("wan_i2v", requirements="diffusers\ntransformers\npeft\nftfy\ngradio\n")
    v, _ = check(app, APPS / "wan_i2v" / "files.txt")
    assert v["ok"]  # export_to_video is only hit at call time
    msgs = " ".join(x["message"] for x in v["violations"])
    assert "platform_requirement" in codes(v) and "'gradio'" in msgs
    # numpy comes with gradio, so it is not reported; imageio is not imported directly by this app
    assert "missing_requirement" not in codes(v)
    app2 = app_copy("kontext_i2i", edit=lambda s: s.replace("import random\n", "import random\nimport cv2\n"))
    v, _ = check(app2, APPS / "kontext_i2i" / "files.txt")
    assert not v["ok"] and "No module named 'cv2'" in v["error"]
    assert any(x["code"] == "missing_requirement" and "opencv-python" in x["message"] for x in v["violations"])




def test_check_no_launch(app_copy):
    app = app_copy("kontext_i2i", edit=lambda s: s.replace("demo.launch(theme=gr.themes.Citrus())", "pass"))
    v, _ = check(app, APPS / "kontext_i2i" / "files.txt")
    assert "no_launch" in codes(v)


def test_check_bad_launch_kwarg(app_copy):
    app = app_copy("kontext_i2i", edit=lambda s: s.replace("demo.launch(theme=", "demo.launch(thme="))
    v, _ = check(app, APPS / "kontext_i2i" / "files.txt")
    assert not v["ok"] and "thme" in v["error"]


def test_check_stand_in_gap_is_labelled(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace('pipe.to("cuda")\n', 'pipe.to("cuda")\ntorch.fancy_new_api()\n'))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert not v["ok"] and v["error_kind"] == "stand_in_gap"


def test_check_unknown_diffusers_class(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace("from diffusers import FluxPipeline",
                                                         "from diffusers import FluxPipeline, Flux9Pipeline"))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert not v["ok"] and "cannot import name 'Flux9Pipeline' from 'diffusers'" in v["error"]


def test_check_unknown_lora_repo_is_a_warning(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace(
        'pipe.set_adapters(["lora"], adapter_weights=[LORA_SCALE])',
        'pipe.load_lora_weights("ByteDance/Hyper-SD", weight_name="Hyper-FLUX.1-dev-8steps-lora.safetensors", adapter_name="hyper")\n'
        'pipe.set_adapters(["lora", "hyper"], adapter_weights=[LORA_SCALE, 0.125])'))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert v["ok"], v["error"]
    assert [l["verified"] for l in v["loras"]] == [True, False]
    assert any("ByteDance/Hyper-SD" in w for w in v["warnings"])


def test_check_set_adapters_unknown_name(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace('pipe.set_adapters(["lora"]', 'pipe.set_adapters(["papercut"]'))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert not v["ok"] and "not in the list of present adapters" in v["error"]


def test_check_stdout_is_only_json():
    v, cp = check(APPS / "flux_t2i" / "app.py", APPS / "flux_t2i" / "files.txt")
    assert cp.stdout.lstrip().startswith("{") and cp.stdout.rstrip().endswith("}")


def test_check_private_lora_token_and_hub_download(app_copy, tmp_path):
    app = app_copy("kontext_i2i", edit=lambda s: s.replace(
        'adapter_name="lora")',
        'adapter_name="lora", token=os.environ["HF_TOKEN"])\n'
        'EXAMPLE = hf_hub_download(LORA_REPO, "examples/before.jpg")\n'
        'EXAMPLE_IMG = Image.open(EXAMPLE)').replace("import random\n", "import os\nimport random\n\nfrom huggingface_hub import hf_hub_download\n"))
    files = tmp_path / "f.txt"
    files.write_text((APPS / "kontext_i2i" / "files.txt").read_text())
    v, cp = check(app, f"someone/kontext-relight-lora={files}")
    assert v["ok"], (v["error"], cp.stderr[-2000:])
    assert v["loras"][0]["other_kwargs"] == ["token"] and "lora_kwarg_ignored" not in codes(v)
    app2 = app_copy("flux_t2i", edit=lambda s: s.replace("pipe.to(\"cuda\")\n", "pipe.to(\"cuda\")\nfrom huggingface_hub import hf_hub_download\nX = hf_hub_download(LORA_REPO, 'nope.png')\n"))
    v, _ = check(app2, f"someone/flux-papercut-lora={APPS / 'flux_t2i' / 'files.txt'}")
    assert not v["ok"] and "Entry Not Found" in v["error"] and "nope.png" in v["error"]


def test_check_lora_kwarg_typo_is_flagged(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace('adapter_name="lora")', 'adapter_name="lora", weights_name="x.safetensors")'))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert "lora_kwarg_ignored" in codes(v)
    assert "weights_name=" in " ".join(x["message"] for x in v["violations"])


def test_check_import_order(app_copy):
    app = app_copy("flux_t2i", edit=lambda s: s.replace("import spaces  # must come before torch\n", "import torch\nimport spaces\n"))
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert "import_order" in codes(v)


def test_check_class_base_mismatch_and_requirement_pins(app_copy):
    app = app_copy("kontext_i2i", edit=lambda s: s.replace('"black-forest-labs/FLUX.1-Kontext-dev"', '"black-forest-labs/FLUX.1-dev"'),
                   requirements="diffusers==0.35.0\ntorch==2.5.0\ntransformers\npeft\n")
    v, _ = check(app, APPS / "kontext_i2i" / "files.txt")
    assert {"class_base_mismatch", "torch_pin"} <= codes(v)


def test_check_public_lambda_endpoint_warning(app_copy):
    app = app_copy("kontext_i2i", edit=lambda s: s.replace(
        "    btn.click(edit,", "    image.change(lambda v: gr.Button(interactive=v is not None), inputs=image, outputs=btn)\n    btn.click(edit,"))
    v, _ = check(app, APPS / "kontext_i2i" / "files.txt")
    assert v["ok"] and any("public API endpoint '/lambda'" in w for w in v["warnings"]), v["warnings"]


def test_lora_loading_without_peft_in_the_requirements_fails_as_diffusers_does(app_copy):
    # diffusers' load_lora_weights raises "PEFT backend is required" when peft is missing; no import names peft
    app = app_copy("flux_t2i", requirements="diffusers\ntransformers\naccelerate\nsentencepiece\n")
    v, _ = check(app, APPS / "flux_t2i" / "files.txt")
    assert not v["ok"] and "PEFT backend is required" in v["error"], v
    assert "missing_backend" in codes(v)
    ok, _ = check(APPS / "flux_t2i" / "app.py", APPS / "flux_t2i" / "files.txt")
    assert ok["ok"] and "missing_backend" not in codes(ok)
