"""Trainer files the tiny pipelines of test_real.py cannot hold: kohya FLUX.1 single blocks (the
converter needs FLUX.1's real widths) and an sd-scripts SDXL file with its text encoders. Each
runs the generated app like test_real.py's key-format cases (formats.py names the trainers)."""

from __future__ import annotations

import time

import cases as C
import formats
import tiny
from test_real import TIMINGS, base_pipe, generate_space, lora_repo, run_format_case


def test_a_kohya_flux_lora_on_single_blocks_loads_at_flux1_widths(tmp_path_factory, tmp_path, monkeypatch):
    """sd-scripts' single-block modules (`lora_unet_single_blocks_0_linear1`): diffusers splits
    linear1 at FLUX.1's real widths ([3072] x 3 + [12288], hard-coded), so this base keeps them
    (formats.FLUX_WIDE: one single block, no double block) in a Hub cache of its own."""
    t0 = time.time()
    case = next(c for c in C.CASES if c.id == "flux-dev-t2i")
    hub = tmp_path_factory.mktemp("hub-flux-wide")
    monkeypatch.setitem(tiny.SHRINK, case.base, {**tiny.SHRINK[case.base], "transformer": formats.FLUX_WIDE})
    pipe = tiny.build_base(hub, case.base)
    TIMINGS.append(("build FLUX.1-dev at 3072 wide", time.time() - t0))
    state, modules = tiny.make_lora(pipe, targets=formats.FLUX_SINGLE_TARGETS)
    del pipe
    converted = formats.kohya_flux_single(state, "flux")
    assert modules == 5 and formats.wrapped_modules(converted) == modules
    space = generate_space(tmp_path, case, lora_repo(hub, "flux-dev-kohya-single", {"lora.safetensors": converted}))
    run_format_case(space, hub, modules, "flux-dev-t2i-kohya-single-blocks", t0)


def test_a_kohya_sdxl_lora_with_both_text_encoders_loads_them_too(hub, tmp_path):
    """sd-scripts SDXL files often train the text encoders: `lora_te1_…` / `lora_te2_…` next to the
    UNet's SGM names; diffusers loads them into text_encoder / text_encoder_2."""
    t0 = time.time()
    case = next(c for c in C.CASES if c.id == "sdxl-t2i")
    pipe = base_pipe(hub, case.base)
    state, unet_modules = tiny.make_lora(pipe, targets=tiny.ATTN_TARGETS)
    te = formats.kohya_text_encoders(pipe)
    converted = {**formats.kohya_sdxl(state, "sdxl"), **te}
    te_modules = formats.wrapped_modules(te)
    assert te_modules == 2 * 6 * pipe.text_encoder.config.num_hidden_layers
    space = generate_space(tmp_path, case, lora_repo(hub, "sdxl-kohya-te", {"lora.safetensors": converted}))
    def both_text_encoders(rep: dict) -> None:
        assert rep["lora_modules"].get("text_encoder") and rep["lora_modules"].get("text_encoder_2"), rep["lora_modules"]

    run_format_case(space, hub, unet_modules + te_modules, "sdxl-t2i-kohya-text-encoders", t0, both_text_encoders)
