"""End-to-end: run sample apps under the harness and call them through Gradio's HTTP API."""

from __future__ import annotations

from conftest import APPS

from lsb_harness.media import sniff


def _stderr(s):
    return "".join(s.stderr)[-4000:]


def test_flux_t2i_serves_and_returns_png(app_copy, serve):
    app = app_copy("flux_t2i")
    s = serve(app, APPS / "flux_t2i" / "files.txt")
    assert s.wait(), _stderr(s)
    assert s.verdict["pipeline"] == "FluxPipeline"
    assert s.verdict["weight_name"] == "papercut.safetensors"
    config = s.get_json("/config")
    assert config["api_prefix"] == "/gradio_api"
    info = s.get_json("/gradio_api/info")
    assert "/generate" in info["named_endpoints"]
    event, data = s.call("generate", ["a fox", "16:9", 7, False])
    assert event == "complete", data
    image, seed = data
    assert seed == 7
    png = s.download(image)
    assert sniff(png) == "png"
    from io import BytesIO

    from PIL import Image

    im = Image.open(BytesIO(png))
    assert im.size == (64, 36)  # 1344x768 scaled to a 64 px long side, aspect kept
    # deterministic from the seed
    event2, data2 = s.call("generate", ["a fox", "16:9", 7, False])
    assert event2 == "complete" and s.download(data2[0]) == png


def test_gr_error_text_reaches_caller(app_copy, serve):
    s = serve(app_copy("flux_t2i"), APPS / "flux_t2i" / "files.txt")
    assert s.wait(), _stderr(s)
    event, data = s.call("generate", ["   ", "1:1", 0, False])
    assert event == "error"
    assert "Please enter a prompt" in str(data)


def test_bad_kwarg_fails_the_call_naming_it(app_copy, serve):
    app = app_copy("flux_t2i", edit=lambda src: src.replace("num_inference_steps=STEPS", "num_inference_step=STEPS"))
    s = serve(app, APPS / "flux_t2i" / "files.txt")
    assert s.wait(), _stderr(s)  # the bad kwarg is only hit when the handler runs
    event, data = s.call("generate", ["a fox", "1:1", 1, False])
    assert event == "error"
    assert "num_inference_step" in str(data), data
    assert "unexpected keyword argument" in str(data)


def test_wrong_weight_name_fails_at_startup(app_copy, serve):
    s = serve(app_copy("flux_t2i"), APPS / "flux_t2i" / "files_wrong.txt")
    assert not s.wait()
    assert s.proc.returncode != 0
    err = _stderr(s)
    assert "does not appear to have a file named papercut.safetensors" in err
    assert "papercut_final.safetensors" in err  # the file list is shown
    assert "LSB_HARNESS_STARTUP_ERROR" in err


def test_undefined_name_fails_at_startup(app_copy, serve):
    app = app_copy("flux_t2i", edit=lambda src: src.replace("weight_name=WEIGHT_NAME", "weight_name=WEIGHTS"))
    s = serve(app, APPS / "flux_t2i" / "files.txt")
    assert not s.wait()
    assert s.proc.returncode != 0
    assert "NameError: name 'WEIGHTS' is not defined" in _stderr(s)


def test_import_not_in_requirements_fails_at_startup(app_copy, serve):
    # imageio is installed for the harness itself, but the Space would not have it
    app = app_copy("wan_i2v", edit=lambda src: src.replace("import tempfile\n", "import tempfile\nimport imageio\n"),
                   requirements="diffusers\ntransformers\npeft\nftfy\n")
    s = serve(app, APPS / "wan_i2v" / "files.txt")
    assert not s.wait()
    assert s.proc.returncode != 0
    assert "No module named 'imageio'" in _stderr(s)


def test_missing_module_fails_at_startup(app_copy, serve):
    app = app_copy("flux_t2i", edit=lambda src: src.replace("import random\n", "import random\nfrom controlnet_aux import OpenposeDetector\n"))
    s = serve(app, APPS / "flux_t2i" / "files.txt")
    assert not s.wait()
    assert "No module named 'controlnet_aux'" in _stderr(s)


def test_kontext_i2i_with_uploaded_image(app_copy, serve, png_file):
    s = serve(app_copy("kontext_i2i"), APPS / "kontext_i2i" / "files.txt")
    assert s.wait(), _stderr(s)
    fd = s.upload(png_file)
    event, data = s.call("edit", [fd, "neon light", 5, False])
    assert event == "complete", data
    out = s.download(data[0])
    assert sniff(out) == "png"
    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(out)).size == (64, 42)  # follows the 96x64 input's aspect


def test_wan_i2v_returns_mp4(app_copy, serve, png_file):
    s = serve(app_copy("wan_i2v"), APPS / "wan_i2v" / "files.txt")
    assert s.wait(), _stderr(s)
    event, data = s.call("animate", [s.upload(png_file), "a vase", 1.0, 3, False])
    assert event == "complete", data
    video = data[0]
    blob = s.download(video)
    assert sniff(blob) == "mp4"
    assert blob[4:8] == b"ftyp"


def test_ltx_i2v_returns_mp4(app_copy, serve, png_file):
    s = serve(app_copy("ltx_i2v"), APPS / "ltx_i2v" / "files.txt")
    assert s.wait(), _stderr(s)
    event, data = s.call("cakeify", [s.upload(png_file), "a teapot"])
    assert event == "complete", data
    assert sniff(s.download(data[0])) == "mp4"


def test_export_to_video_without_imageio_requirement_fails_the_call(app_copy, serve, png_file):
    app = app_copy("wan_i2v", requirements="diffusers\ntransformers\npeft\nftfy\n")
    s = serve(app, APPS / "wan_i2v" / "files.txt")
    assert s.wait(), _stderr(s)
    event, data = s.call("animate", [s.upload(png_file), "a vase", 1.0, 3, False])
    assert event == "error"
    assert "imageio" in str(data)


def test_ltx_i2v_knowledge_file_kwarg_is_rejected(app_copy, serve, png_file):
    # lora-space-knowledge.md 3.7 suggests image_cond_noise_scale; LTXImageToVideoPipeline has no such kwarg
    app = app_copy("ltx_i2v", edit=lambda src: src.replace("decode_noise_scale=0.025", "image_cond_noise_scale=0.025"))
    s = serve(app, APPS / "ltx_i2v" / "files.txt")
    assert s.wait(), _stderr(s)
    event, data = s.call("cakeify", [s.upload(png_file), "a teapot"])
    assert event == "error"
    assert "image_cond_noise_scale" in str(data)


def test_ltx2_t2v_with_audio_encode_video_returns_mp4(app_copy, serve):
    s = serve(app_copy("ltx2_t2v"), APPS / "ltx2_t2v" / "files.txt")
    assert s.wait(), _stderr(s)
    assert s.verdict["gpu_functions"][0]["size"] == "xlarge"
    event, data = s.call("generate", ["a fox", 2, 1, False])
    assert event == "complete", data
    assert sniff(s.download(data[0])) == "mp4"


def test_streaming_generator_handler(app_copy, serve):
    def edit(src):
        return src.replace("    ).images[0]\n    return image, seed\n",
                           "    ).images[0]\n    yield None, seed\n    yield image, seed\n")

    s = serve(app_copy("flux_t2i", edit=edit), APPS / "flux_t2i" / "files.txt")
    assert s.wait(), _stderr(s)
    assert s.verdict["gpu_functions"][0]["generator"] is True
    event, data = s.call("generate", ["a fox", "1:1", 2, False])
    assert event == "complete", data
    assert sniff(s.download(data[0])) == "png"


def test_info_example_input_urls_work_offline(app_copy, serve):
    # A generic smoke client may send /gradio_api/info's example_input (a GitHub URL for gr.Image):
    # no network here, so the harness serves a synthetic image for it.
    s = serve(app_copy("kontext_i2i"), APPS / "kontext_i2i" / "files.txt")
    assert s.wait(), _stderr(s)
    params = s.get_json("/gradio_api/info")["named_endpoints"]["/edit"]["parameters"]
    example_image = params[0]["example_input"]
    assert example_image["path"].startswith("https://")
    event, data = s.call("edit", [example_image, "neon", 1, False])
    assert event == "complete", data
    assert sniff(s.download(data[0])) == "png"


def test_smoke_subcommand_calls_every_endpoint(app_copy):
    import json

    from conftest import run_cli

    cp = run_cli("smoke", "--app", app_copy("kontext_i2i"), "--files", APPS / "kontext_i2i" / "files.txt", timeout=300)
    report = json.loads(cp.stdout)
    assert cp.returncode == 0 and report["ok"], (report, cp.stderr[-2000:])
    ep = report["endpoints"][0]
    assert ep["api_name"] == "edit" and ep["event"] == "complete"
    assert ep["outputs"][0]["sniff"] == "png"
    bad = run_cli("smoke", "--app", app_copy("flux_t2i"), "--files", APPS / "flux_t2i" / "files_wrong.txt", timeout=300)
    report = json.loads(bad.stdout)
    assert bad.returncode == 1 and not report["startup_ok"]
    assert "does not appear to have a file named" in report["log_tail"]
