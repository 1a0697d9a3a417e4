"""Mutants the real tier must reject: a broken app fails, a wrong LoRA fails, a NaN output is
caught. Each one shows that a check of test_real.py can fail."""

from __future__ import annotations

import pytest

import cases as C
import tiny
from test_real import App, base_pipe, call_endpoints, check_lora_report, check_media, generate_space, lora_repo


def test_an_app_with_a_bad_call_kwarg_fails_its_endpoint(hub, tmp_path):
    case = C.CASES[0]
    pipe = base_pipe(hub, case.base)
    state, _ = tiny.make_lora(pipe)
    space = generate_space(tmp_path, case, lora_repo(hub, "mutant-kwarg", {"lora.safetensors": state}))
    app_py = (space / "app.py").read_text()
    mutated = app_py.replace("        generator=generator,\n", "        generator=generator,\n        not_a_kwarg=1,\n", 1)
    assert mutated != app_py
    (space / "app.py").write_text(mutated)
    app = App(space, hub)
    try:
        app.wait_ready()
        with pytest.raises(Exception) as err:
            call_endpoints(app.port, tmp_path)
        print(f"bad kwarg: {type(err.value).__name__}: {str(err.value)[:200]}")
        assert "not_a_kwarg" in app.tail(200)
    finally:
        app.stop()


def test_a_lora_of_another_family_fails_at_startup(hub, tmp_path):
    flux, qwen = C.CASES[0], next(c for c in C.CASES if c.base == "Qwen/Qwen-Image")
    state, _ = tiny.make_lora(base_pipe(hub, qwen.base))
    base_pipe(hub, flux.base)
    space = generate_space(tmp_path, flux, lora_repo(hub, "mutant-family", {"lora.safetensors": state}))
    app = App(space, hub)
    try:
        rep = app.wait_ready()
        assert "startup_error" in rep or "error" in rep, f"a Qwen LoRA loaded into FLUX: {rep}"
        print(f"other family: {str(rep.get('startup_error') or rep.get('error'))[:200]}")
    finally:
        app.stop()


def test_a_pair_app_that_loads_both_files_into_one_expert_fails(hub, tmp_path):
    """Without `load_into_transformer_2=True` both files of a Wan 2.2 pair land in `transformer`
    (the bug the generator's pair load avoids): the pair checks must reject that app."""
    case = next(c for c in C.CASES if c.id == "wan22-t2v-pair")
    pipe = base_pipe(hub, case.base)
    high, n_high = tiny.make_lora(pipe)
    low, n_low = tiny.make_lora(pipe, seed=2, component="transformer_2")
    space = generate_space(tmp_path, case, lora_repo(hub, "mutant-pair", dict(zip(case.weights, (high, low)))))
    app_py = (space / "app.py").read_text()
    mutated = app_py.replace(", load_into_transformer_2=True", "")
    assert mutated != app_py
    (space / "app.py").write_text(mutated)
    app = App(space, hub)
    try:
        rep = app.wait_ready()
        with pytest.raises(AssertionError) as err:
            check_lora_report(rep, n_high + n_low, n_low)
        print(f"pair into one expert: {str(err.value).splitlines()[0][:160]}")
    finally:
        app.stop()


def test_a_nan_image_is_caught_by_the_output_check(hub, tmp_path):
    """Why apps on a shift_terminal scheduler start their Steps slider at 2: one step makes every
    sigma NaN, the image decodes flat, and check_media rejects it (two steps pass)."""
    import torch

    pipe = base_pipe(hub, "Qwen/Qwen-Image")
    for steps in (1, 2):
        img = pipe(prompt="a test", num_inference_steps=steps, width=64, height=64,
                   generator=torch.Generator().manual_seed(0)).images[0]
        img.save(tmp_path / f"{steps}.png")
    with pytest.raises(AssertionError, match="flat image"):
        check_media(str(tmp_path / "1.png"))
    check_media(str(tmp_path / "2.png"))
