"""Which supported family x task each case of the tier covers.

The generator's supported matrix is `src/space/families.toml` (one [[family]] per base repo, its
`pipelines` per task). Every family x task is, in this order:
- run by a case of `cases.CASES` (same base repo, same task);
- or `SAME_CODE` as a case: the generated app.py for it equals the case's app.py once the
  constants (repo ids, defaults, presets, numbers, strings) are masked, and, where both bases
  keep config files here, the configs are equal but for sizes — the same code runs on the same
  structure with other values (checked by test_coverage.py, not assumed);
- or a `GAP`, with the reason; test_coverage.py turns each into a strict xfail, so it shows in
  every run and fails the day it gets a case.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import cases as C

ROOT = Path(__file__).parent.parent

# (family id, task) -> case id whose generated code is the same (constants masked).
SAME_CODE = {
    ("qwen-image-2512", "text-to-image"): "qwen-image-t2i",
    ("wan21-t2v-14b", "text-to-video"): "wan21-t2v",
    ("wan21-i2v-720p", "image-to-video"): "wan21-i2v",
    # 0.9.8 13B distilled: the 0.9.7 13B transformer and VAE (same layout) and the distilled recipe
    ("ltx-video-0.9.8-13b-distilled", "image-to-video"): "ltx097d-i2v",
    ("ltx-video-0.9.8-13b-distilled", "video-to-video"): "ltx097d-v2v",
}

# (family id, task) -> why the tier does not run it yet. Empty: every family x task is run.
GAPS: dict[tuple[str, str], str] = {}


# Config keys that are sizes (shrunk in the tiny build anyway); every other key is structure.
SIZE_KEYS = {
    "num_layers", "num_single_layers", "num_attention_heads", "attention_head_dim", "cross_attention_dim",
    "caption_channels", "ffn_dim", "joint_attention_dim", "caption_projection_dim", "pooled_projection_dim",
    "pos_embed_max_size", "axes_dims_rope", "text_dim", "image_dim", "added_kv_proj_dim", "block_out_channels",
    "decoder_block_out_channels", "layers_per_block", "decoder_layers_per_block", "base_dim", "decoder_base_dim",
    "num_res_blocks", "_diffusers_version",
    # LTX-2 / LTX-2.3 (audio stream, text connectors, audio VAE level widths, vocoder widths)
    "audio_num_attention_heads", "audio_attention_head_dim", "audio_cross_attention_dim", "text_proj_in_factor",
    "video_connector_num_attention_heads", "video_connector_attention_head_dim", "video_connector_num_layers",
    "audio_connector_num_attention_heads", "audio_connector_attention_head_dim", "audio_connector_num_layers",
    "video_hidden_dim", "audio_hidden_dim", "ch_mult", "hidden_channels", "bwe_hidden_channels",
}


def structure(repo: str) -> dict | None:
    """The repo's kept config files with the size keys dropped (None: no configs kept)."""
    root = ROOT / "realtier/configs" / repo.replace("/", "--")
    if not root.is_dir():
        return None
    return {str(p.relative_to(root)): {k: v for k, v in json.loads(p.read_text()).items() if k not in SIZE_KEYS}
            for p in sorted(root.rglob("*.json"))}


def families() -> list[dict]:
    return tomllib.loads((ROOT / "src/space/families.toml").read_text())["family"]


def matrix() -> list[tuple[str, str, str]]:
    """(family id, base repo, task) for every supported family x task."""
    return [(f["id"], f["repo"], task) for f in families() for task in f["pipelines"]]


def case_for(repo: str, task: str) -> C.Case | None:
    return next((c for c in C.CASES if c.base == repo and c.task == task and not c.pair), None) or \
        next((c for c in C.CASES if c.base == repo and c.task == task), None)


def code_shape(app_py: str) -> str:
    """app.py with its values masked: constants' right-hand sides, string and number literals."""
    out = []
    for line in app_py.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if re.match(r"^[A-Z][A-Z0-9_]* = ", line):
            line = line.split(" = ", 1)[0] + " = …"
        elif re.match(r"^\s+\"[^\"]*\": \(\d+, \d+\),$", line):  # ASPECT_RATIOS entries
            continue
        line = re.sub(r'"(?:[^"\\]|\\.)*"', '"…"', line)
        line = re.sub(r"\b\d+(?:\.\d+)?\b", "0", line)
        out.append(line)
    return "\n".join(out)
