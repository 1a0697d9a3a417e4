"""A shadow `diffusers` package built on demand from the real installed diffusers' source.

`import diffusers`, `from diffusers import FluxPipeline`, `from diffusers.utils import export_to_video`,
`from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES` ... all resolve through the
real package's files (parsed with ast, never imported):

* pipeline classes (anything deriving from DiffusionPipeline) become stand-ins whose ``__call__``
  binds arguments against the *real* ``__call__`` signature and returns small deterministic media;
* models / schedulers / other classes become permissive component stand-ins;
* module-level literal constants are returned as-is;
* a few utils functions (export_to_video, encode_video, load_image, load_video, make_image_grid)
  are implemented; any other function raises StandInGap when called.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import inspect
import numbers
import random
import sys
import types
from typing import Any

import numpy as np
from PIL import Image

from . import media
from .realsrc import RealSource, Unevaluated, consumed_var_kwargs, divisibility_rules, real_diffusers, signature_of
from .state import STATE, StandInGap

PKG = "diffusers"

# ------------------------------------------------------------------------------------------
# component stand-ins (models, schedulers, text encoders ...): permissive
# ------------------------------------------------------------------------------------------

_CONFIG_DEFAULTS = {
    "output_sampling_rate": 24000,
    "sampling_rate": 24000,
    "scaling_factor": 0.18215,
    "shift_factor": 0.0,
    "block_out_channels": [128, 256, 512, 512],
    "in_channels": 16,
    "patch_size": 2,
    "num_train_timesteps": 1000,
    "flow_shift": 3.0,
    "shift": 3.0,
}


class ConfigStandIn(dict):
    """FrozenDict-like config: item and attribute access; unknown keys raise StandInGap."""

    def __getattr__(self, name):
        if name in self:
            return self[name]
        if name in _CONFIG_DEFAULTS:
            return _CONFIG_DEFAULTS[name]
        if name.startswith("__"):
            raise AttributeError(name)
        raise StandInGap(f"config value {name!r} is not simulated by lsb_harness")


class ComponentStandIn:
    """Stand-in for a model/scheduler/tokenizer object: every method is a no-op returning self."""

    _lsb_real_name = "Component"

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_lsb_attrs", {})
        object.__setattr__(self, "_lsb_init", (args, kwargs))
        object.__setattr__(self, "config", ConfigStandIn(kwargs.get("_config", {})))

    # constructors used by apps
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path=None, *args, **kwargs):
        _check_dtype_kwargs(f"{cls._lsb_real_name}.from_pretrained", kwargs)
        obj = cls()
        obj._lsb_attrs["source"] = pretrained_model_name_or_path
        return obj

    from_single_file = from_pretrained

    @classmethod
    def from_config(cls, config=None, **kwargs):
        obj = cls()
        merged = dict(config or {})
        merged.update(kwargs)
        object.__setattr__(obj, "config", ConfigStandIn(merged))
        return obj

    def to(self, *a, **k):
        return self

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        attrs = object.__getattribute__(self, "_lsb_attrs")
        if name not in attrs:
            attrs[name] = _Permissive(f"{self._lsb_real_name}.{name}")
        return attrs[name]

    def __setattr__(self, name, value):
        self._lsb_attrs[name] = value

    def __call__(self, *a, **k):
        raise StandInGap(f"calling a {self._lsb_real_name} model directly is not simulated by lsb_harness")

    def __repr__(self):
        return f"<{self._lsb_real_name} (lsb stand-in)>"


class _Permissive:
    """Attribute/method chain on a component (e.g. pipe.vae.enable_tiling()): no-op."""

    def __init__(self, path):
        self._path = path

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Permissive(f"{self._path}.{name}")

    def __call__(self, *a, **k):
        return None

    def __repr__(self):
        return f"<{self._path} (lsb stand-in)>"


# ------------------------------------------------------------------------------------------
# pipeline stand-ins
# ------------------------------------------------------------------------------------------

_IMAGE_PARAMS = {"image", "images", "last_image", "mask_image", "control_image", "reference_image", "image_reference",
                 "ip_adapter_image", "negative_ip_adapter_image"}
_VIDEO_PARAMS = {"video"}
_INT_PARAMS = {"num_inference_steps", "num_frames", "height", "width", "num_images_per_prompt", "max_sequence_length"}
_KNOWN_ATTRS = {
    "vae_scale_factor": 8,
    "vae_scale_factor_spatial": 8,
    "vae_scale_factor_temporal": 4,
    "vae_spatial_compression_ratio": 32,
    "vae_temporal_compression_ratio": 8,
    "default_sample_size": 128,
    "tokenizer_max_length": 77,
    "patch_size": 2,
}
_CPU_OFFLOAD = {"enable_model_cpu_offload", "enable_sequential_cpu_offload"}


def _check_dtype_kwargs(where, kwargs):
    if "dtype" in kwargs and "torch_dtype" in kwargs:
        raise ValueError(f"{where}: pass either `dtype` or `torch_dtype`, not both")
    dm = kwargs.get("device_map")
    if dm is not None:
        STATE.violation(
            "device_map",
            f"{where}(device_map={dm!r}): on ZeroGPU load on CPU and call .to('cuda') instead (device_map only for bitsandbytes loads)",
        )


class _PipelineOutput:
    """Like diffusers.utils.BaseOutput: attribute access plus tuple-style indexing."""

    def __init__(self, cls_name, fields: dict):
        self._cls_name = cls_name
        self._fields = fields
        for k, v in fields.items():
            setattr(self, k, v)

    def __getitem__(self, k):
        if isinstance(k, str):
            return self._fields[k]
        return tuple(self._fields.values())[k]

    def __iter__(self):
        return iter(self._fields)

    def keys(self):
        return self._fields.keys()

    def values(self):
        return self._fields.values()

    def to_tuple(self):
        return tuple(self._fields.values())

    def __repr__(self):
        return f"{self._cls_name}({', '.join(self._fields)}) [lsb stand-in]"


def _is_image_like(x) -> bool:
    from torch import Tensor  # stand-in

    return isinstance(x, (Image.Image, np.ndarray, Tensor))


def _check_image_arg(cls_name, name, value):
    if value is None:
        return
    items = value if isinstance(value, (list, tuple)) else [value]
    for v in items:
        if not _is_image_like(v):
            raise ValueError(
                f"{cls_name}: `{name}` got {type(v).__name__} ({str(v)[:80]!r}). Input is in incorrect format. "
                "Currently, we only support <class 'PIL.Image.Image'>, <class 'numpy.ndarray'>, <class 'torch.Tensor'> "
                "(a str path usually means gr.Image(type='filepath') was passed straight to the pipeline)"
            )


def _short(v) -> str:
    if isinstance(v, (str, int, float, bool)) or v is None:
        r = repr(v)
        return r if len(r) <= 60 else r[:57] + "...'"
    if isinstance(v, Image.Image):
        return f"<PIL {v.size[0]}x{v.size[1]} {v.mode}>"
    if isinstance(v, (list, tuple)):
        return f"[{len(v)} x {type(v[0]).__name__ if v else '-'}]"
    return f"<{type(v).__name__}>"


def _call_warning(msg: str) -> None:
    STATE.warn(msg)
    print(f"lsb_harness warning: {msg}", file=sys.stderr, flush=True)


def _seed_of(generator):
    from torch import Generator  # stand-in

    if generator is None:
        return random.getrandbits(31)
    if isinstance(generator, (list, tuple)):
        generator = generator[0] if generator else None
        return _seed_of(generator)
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a torch.Generator or a list of them, got {type(generator).__name__}")
    return generator.initial_seed()


class PipelineStandIn:
    """Base of every generated pipeline stand-in class. Class attributes set by make_pipeline_class."""

    _lsb_real_name = "DiffusionPipeline"
    _lsb_module = ""
    _lsb_call_sig: inspect.Signature | None = None
    _lsb_out_fields: list[str] = ["images"]
    _lsb_components: list[str] = []
    _lsb_members: set[str] = set()
    _lsb_methods: set[str] = set()
    _lsb_method_sigs: dict = {}
    _lsb_swallows_kwargs = False
    _lsb_rules: list = []
    _lsb_lora_kwargs: set | None = None

    def __init__(self, **components):
        d = self.__dict__
        d["_lsb_components_vals"] = {}
        d["_lsb_adapters"] = {}
        d["_lsb_active"] = []
        d["_lsb_device"] = "cpu"
        d["_lsb_base"] = None
        d["_lsb_record"] = {"class": self._lsb_real_name, "base": None, "device": "cpu"}
        for k, v in components.items():
            self._lsb_components_vals[k] = v

    # ---- loading ----
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        where = f"{cls._lsb_real_name}.from_pretrained"
        if not isinstance(pretrained_model_name_or_path, (str, dict)) and not hasattr(pretrained_model_name_or_path, "__fspath__"):
            raise TypeError(f"{where}: expected a repo id or path, got {type(pretrained_model_name_or_path).__name__}")
        _check_dtype_kwargs(where, kwargs)
        comps = {k: v for k, v in kwargs.items() if k in cls._lsb_components}
        obj = cls(**comps)
        obj._lsb_base = str(pretrained_model_name_or_path)
        rec = obj._lsb_record
        rec["base"] = obj._lsb_base
        rec["dtype"] = repr(kwargs.get("torch_dtype", kwargs.get("dtype")))
        rec["components_passed"] = sorted(comps)
        if "dtype" in kwargs:
            rec["dtype_kwarg"] = True
        STATE.pipelines.append(rec)
        return obj

    from_single_file = from_pretrained

    @classmethod
    def from_pipe(cls, pipe, **kwargs):
        comps = dict(getattr(pipe, "_lsb_components_vals", {}))
        comps.update({k: v for k, v in kwargs.items() if k in cls._lsb_components})
        obj = cls(**comps)
        obj._lsb_base = getattr(pipe, "_lsb_base", None)
        obj._lsb_adapters.update(getattr(pipe, "_lsb_adapters", {}))
        obj.__dict__["_lsb_active"] = list(getattr(pipe, "_lsb_active", []))
        obj._lsb_record.update(base=obj._lsb_base, from_pipe=type(pipe).__name__)
        STATE.pipelines.append(obj._lsb_record)
        return obj

    def to(self, *args, **kwargs):
        dev = kwargs.get("device")
        for a in args:
            if isinstance(a, (str, int)) or type(a).__name__ == "device":
                dev = a
        if dev is not None:
            if isinstance(dev, int) or (isinstance(dev, str) and dev.startswith("cuda:")):
                STATE.violation("cuda_device_id", f"pipe.to({dev!r}): use the string 'cuda' on ZeroGPU (no device ids)")
            self.__dict__["_lsb_device"] = str(dev)
            self._lsb_record["device"] = str(dev)
        return self

    @property
    def device(self):
        import torch

        return torch.device(self._lsb_device if self._lsb_device != "None" else "cpu")

    @property
    def dtype(self):
        import torch

        return torch.bfloat16

    @property
    def components(self):
        return {k: getattr(self, k) for k in self._lsb_components}

    # ---- LoRA ----
    def load_lora_weights(self, *args, **kwargs):
        _require_peft_backend()
        sig = self._lsb_method_sigs.get("load_lora_weights")
        if sig is not None:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as e:
                raise TypeError(f"{self._lsb_real_name}.load_lora_weights() {e}") from None
            a = dict(bound.arguments)
            extra = a.pop("kwargs", {}) or {}
            a.update(extra)
        else:
            a = dict(kwargs)
            if args:
                a["pretrained_model_name_or_path_or_dict"] = args[0]
        repo = a.get("pretrained_model_name_or_path_or_dict")
        adapter_name = a.get("adapter_name")
        weight_name = a.get("weight_name")
        subfolder = a.get("subfolder")
        if adapter_name is None:
            adapter_name = f"default_{len(self._lsb_adapters)}"
        if adapter_name in self._lsb_adapters:
            raise ValueError(f"Adapter name {adapter_name} already in use in the model - please select a new adapter name.")
        rec = {"repo": repo if isinstance(repo, str) else "<state dict>", "weight_name": weight_name, "subfolder": subfolder,
               "adapter_name": adapter_name, "pipeline": self._lsb_real_name}
        extra_keys = sorted(set(a) - {"pretrained_model_name_or_path_or_dict", "adapter_name", "weight_name", "subfolder", "hotswap"})
        if extra_keys:
            rec["other_kwargs"] = extra_keys
        if self._lsb_lora_kwargs is not None:
            ignored = [k for k in extra_keys if k not in self._lsb_lora_kwargs]
            if ignored:
                STATE.violation(
                    "lora_kwarg_ignored",
                    f"{self._lsb_real_name}.load_lora_weights(..., {', '.join(k + '=' for k in ignored)}): not a keyword "
                    "diffusers reads; it is silently ignored",
                )
        if isinstance(repo, str):
            files = STATE.files_for(repo)
            if files is None:
                STATE.warn(f"no simulated file list for LoRA repo {repo!r}; weight_name not verified")
                rec["verified"] = False
            else:
                if repo not in STATE.lora_files:
                    rec["default_list"] = True
                rec["verified"] = True
                chosen = self._resolve_weight(repo, files, weight_name, subfolder)
                rec["resolved_file"] = chosen
        STATE.lora_loads.append(rec)
        self._lsb_adapters[adapter_name] = rec
        self._lsb_active.append(adapter_name)

    def _resolve_weight(self, repo, files, weight_name, subfolder):
        def full(name):
            return f"{subfolder.strip('/')}/{name}" if subfolder else name

        if weight_name is None:
            cands = [f for f in files if f.endswith(".safetensors")]
            if subfolder:
                cands = [f for f in cands if f.startswith(subfolder.strip("/") + "/")]
            cands = [f for f in cands if all(s not in f for s in ("scheduler", "optimizer", "checkpoint"))]
            if any(f.endswith("pytorch_lora_weights.safetensors") for f in cands):
                cands = [f for f in cands if f.endswith("pytorch_lora_weights.safetensors")]
            if not cands:
                raise OSError(
                    f"{repo} does not appear to have a file named {full('pytorch_lora_weights.safetensors')}. "
                    f"(no weight_name given and no .safetensors file found; repo files: {files})"
                )
            if len(cands) > 1:
                STATE.warn(
                    f"load_lora_weights({repo!r}) without weight_name: repo has several .safetensors files {cands}; "
                    f"diffusers silently loads {cands[0]!r}"
                )
            return cands[0]
        target = full(weight_name)
        if target not in files:
            close = [f for f in files if f.rsplit("/", 1)[-1] == weight_name.rsplit("/", 1)[-1]]
            hint = f" A file with that name exists at {close}: pass the full path or subfolder=." if close else ""
            raise OSError(
                f"{repo} does not appear to have a file named {target}.{hint} "
                f"(lsb_harness: files in the LoRA repo: {files})"
            )
        return target

    def set_adapters(self, adapter_names, adapter_weights=None, *args, **kwargs):
        names = [adapter_names] if isinstance(adapter_names, str) else list(adapter_names)
        missing = [n for n in names if n not in self._lsb_adapters]
        if missing:
            raise ValueError(
                f"Adapter name(s) {set(missing)} not in the list of present adapters: {set(self._lsb_adapters)}."
            )
        if adapter_weights is not None and isinstance(adapter_weights, (list, tuple)) and len(adapter_weights) != len(names):
            raise ValueError(
                f"Length of adapter names {len(names)} is not equal to the length of their weights {len(adapter_weights)}."
            )
        self.__dict__["_lsb_active"] = names
        STATE.lora_loads and STATE.lora_loads[-1].setdefault("set_adapters", []).append(
            {"names": names, "weights": adapter_weights if not hasattr(adapter_weights, "__call__") else "callable"}
        )

    def get_active_adapters(self):
        return list(self._lsb_active)

    def get_list_adapters(self):
        return {"transformer": list(self._lsb_adapters)}

    def delete_adapters(self, adapter_names):
        for n in [adapter_names] if isinstance(adapter_names, str) else adapter_names:
            self._lsb_adapters.pop(n, None)

    def unload_lora_weights(self, *a, **k):
        self._lsb_adapters.clear()
        self.__dict__["_lsb_active"] = []

    # ---- attribute fallback: components, known attrs, real methods as validated no-ops ----
    def __getattr__(self, name):
        if name.startswith("__") or name.startswith("_lsb"):
            raise AttributeError(name)
        comps = self.__dict__.get("_lsb_components_vals", {})
        if name in type(self)._lsb_components:
            if name not in comps:
                c = ComponentStandIn()
                object.__setattr__(c, "_lsb_real_name", name)
                comps[name] = c
            return comps[name]
        if name in _KNOWN_ATTRS:
            return _KNOWN_ATTRS[name]
        if name in type(self)._lsb_methods:
            return self._lsb_noop_method(name)
        if name in type(self)._lsb_members:
            # a property or an attribute set in the real __init__ (image_processor, ...): permissive
            return _Permissive(f"{self._lsb_real_name}.{name}")
        raise AttributeError(f"'{self._lsb_real_name}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name in type(self)._lsb_components:
            self._lsb_components_vals[name] = value
        else:
            self.__dict__[name] = value

    def _lsb_noop_method(self, name):
        sig = type(self)._lsb_method_sigs.get(name)
        cls_name = self._lsb_real_name

        def method(*args, **kwargs):
            if sig is not None:
                try:
                    sig.bind(*args, **kwargs)
                except TypeError as e:
                    raise TypeError(f"{cls_name}.{name}() {e}") from None
            if name in _CPU_OFFLOAD:
                STATE.violation(
                    "cpu_offload",
                    f"pipe.{name}() conflicts with ZeroGPU (load with .to('cuda') at module level instead)",
                )
            return None

        method.__name__ = name
        return method

    # ---- the call ----
    def __call__(self, *args, **kwargs):
        cls_name = self._lsb_real_name
        sig = self._lsb_call_sig
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            note = ""
            if self._lsb_swallows_kwargs and "unexpected keyword" in str(e):
                note = f" (the real {cls_name}.__call__ takes **kwargs and would silently ignore it)"
            raise TypeError(f"{cls_name}.__call__() {e}{note}") from None
        if STATE.gpu_depth() == 0:
            msg = (
                f"{cls_name} was called outside any @spaces.GPU function: on ZeroGPU no GPU is attached there "
                "(decorate the function Gradio calls with @spaces.GPU)"
            )
            STATE.violation("call_outside_gpu", msg)
            raise RuntimeError(msg)
        values = {}
        for p in sig.parameters.values():
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            if p.name in bound.arguments:
                values[p.name] = bound.arguments[p.name]
            else:
                values[p.name] = None if (p.default is p.empty or isinstance(p.default, Unevaluated)) else p.default
        self._lsb_validate(values, bound)
        out = self._lsb_make_output(values)
        STATE.calls.append({"pipeline": cls_name, "kwargs": sorted(bound.arguments)})
        shown = ", ".join(f"{k}={_short(v)}" for k, v in bound.arguments.items())
        print(f"lsb_harness call: {cls_name}({shown})", file=sys.stderr, flush=True)
        return out

    def _lsb_validate(self, v, bound):
        name = self._lsb_real_name
        for p in _INT_PARAMS:
            x = v.get(p)
            if p in bound.arguments and x is not None and (
                isinstance(x, bool) or not isinstance(x, (numbers.Integral, np.integer))
            ):
                raise TypeError(
                    f"{name}: `{p}` must be an int, got {type(x).__name__} {x!r} (real diffusers fails on this; "
                    "cast Gradio slider values with int())"
                )
        for p in ("guidance_scale", "true_cfg_scale", "strength"):
            x = v.get(p)
            if p in bound.arguments and x is not None and not isinstance(x, (numbers.Real, np.floating)):
                raise TypeError(f"{name}: `{p}` must be a number, got {type(x).__name__} {x!r}")
        if "prompt" in v:
            pr = v.get("prompt")
            if pr is None and v.get("prompt_embeds") is None and "prompt" in self._lsb_call_sig.parameters:
                raise ValueError(f"{name}: Provide either `prompt` or `prompt_embeds`. Cannot leave both `prompt` and `prompt_embeds` undefined.")
            if pr is not None and not (isinstance(pr, str) or (isinstance(pr, list) and all(isinstance(s, str) for s in pr))):
                raise ValueError(f"{name}: `prompt` has to be of type `str` or `list` but is {type(pr)}")
        for p in _IMAGE_PARAMS:
            if p in v:
                _check_image_arg(name, p, v[p])
        for p in _VIDEO_PARAMS:
            x = v.get(p)
            if x is not None:
                if isinstance(x, str):
                    raise ValueError(f"{name}: `{p}` must be a list of frames (PIL/np) - load it with diffusers.utils.load_video first, got str")
                frames = x if isinstance(x, (list, tuple)) else [x]
                for f in frames[:3]:
                    _check_image_arg(name, p, f)
        for r in self._lsb_rules:
            x = v.get(r["var"])
            if isinstance(x, (int, np.integer)) and not isinstance(x, bool) and x % r["mod"] != r["rem"]:
                if r["var"] == "num_frames":
                    msg = f"{name}: `num_frames - 1` has to be divisible by {r['mod']} but num_frames is {x}."
                else:
                    msg = (f"{name}: `height` and `width` have to be divisible by {r['mod']} but are "
                           f"{v.get('height')} and {v.get('width')}.")
                if r["raises"]:
                    raise ValueError(msg)
                _call_warning(msg + " (the real pipeline warns and silently rounds/resizes)")
        tcfg = v.get("true_cfg_scale")
        if isinstance(tcfg, (int, float)) and tcfg > 1 and "negative_prompt" in v and v.get("negative_prompt") is None \
                and v.get("negative_prompt_embeds") is None and "true_cfg_scale" in bound.arguments:
            _call_warning(f"{name}: true_cfg_scale={tcfg} but no negative_prompt: true CFG is silently disabled "
                          "(pass negative_prompt=\" \")")
        if "generator" in v:
            _seed_of(v.get("generator"))
        ot = v.get("output_type")
        if ot is not None and ot not in ("pil", "np", "pt", "latent"):
            raise ValueError(f"{name}: unsupported output_type {ot!r}")

    def _lsb_make_output(self, v):
        import torch

        fields = self._lsb_out_fields or ["images"]
        video = "frames" in fields
        seed = _seed_of(v.get("generator"))
        prompt = v.get("prompt")
        ref = None
        for p in ("image", "images", "video"):
            x = v.get(p)
            if isinstance(x, (list, tuple)) and x:
                x = x[0]
            if isinstance(x, Image.Image):
                ref = x.size
                break
            if isinstance(x, np.ndarray) and x.ndim >= 2:
                ref = (x.shape[-2], x.shape[-3]) if x.ndim >= 3 else (x.shape[1], x.shape[0])
                break
        w = v.get("width")
        h = v.get("height")
        if not isinstance(w, (int, np.integer)) or not isinstance(h, (int, np.integer)):
            w, h = ref if ref else (1024, 1024)
        sw, sh = media.small_size(w, h)
        n_prompts = len(prompt) if isinstance(prompt, list) else 1
        nipp = v.get("num_images_per_prompt") or 1
        if "num_videos_per_prompt" in v:
            nipp = v.get("num_videos_per_prompt") or 1
        batch = max(1, n_prompts * int(nipp))
        ot = v.get("output_type") or "pil"
        out: dict[str, Any] = {}
        if video:
            nf = v.get("num_frames")
            nf = int(nf) if isinstance(nf, (int, np.integer)) and nf > 0 else 25
            nf = min(nf, 257)
            vids = [[media.make_image(seed + b, prompt, sw, sh, frame=i) for i in range(nf)] for b in range(batch)]
            if ot == "pil":
                out["frames"] = vids
            elif ot == "np":
                out["frames"] = np.stack([np.stack([np.asarray(f, np.float32) / 255 for f in vid]) for vid in vids])
            else:
                out["frames"] = torch.zeros(batch, nf, 3, sh, sw)
        else:
            imgs = [media.make_image(seed + b, prompt, sw, sh) for b in range(batch)]
            if ot == "pil":
                out["images"] = imgs
            elif ot == "np":
                out["images"] = np.stack([np.asarray(i, np.float32) / 255 for i in imgs])
            else:
                out["images"] = torch.zeros(batch, 3, sh, sw)
        for f in fields:
            if f not in out:
                if f == "audio":
                    out[f] = torch.zeros(batch, 2, 24000)
                else:
                    out[f] = None
        ordered = {f: out[f] for f in fields} if all(f in out for f in fields) else out
        if v.get("return_dict", True) is False:
            return tuple(ordered.values())
        return _PipelineOutput(self._lsb_real_name.replace("Pipeline", "PipelineOutput"), ordered)

    def __repr__(self):
        return f"<{self._lsb_real_name} (lsb stand-in) base={self._lsb_base!r}>"


_CLASS_CACHE: dict[tuple[str, str], type] = {}
_AUTO_T2I = {"DiffusionPipeline", "AutoPipelineForText2Image"}
_AUTO_OTHER = {"AutoPipelineForImage2Image", "AutoPipelineForInpainting"}


def _make_auto_class(name: str, modname: str) -> type:
    """DiffusionPipeline / AutoPipelineFor*: the real class comes from the base repo's model_index.json,
    which the harness cannot read; the knowledge table maps known bases to their class."""

    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        from . import rules

        target = rules.default_class(pretrained_model_name_or_path) if name in _AUTO_T2I else None
        if target is None:
            raise StandInGap(
                f"{name}.from_pretrained({pretrained_model_name_or_path!r}): the harness cannot tell which pipeline "
                "class this resolves to without the Hub (use the explicit pipeline class in app.py)"
            )
        import importlib

        real_cls = getattr(importlib.import_module(PKG), target)
        STATE.warn(f"{name}.from_pretrained({pretrained_model_name_or_path!r}) simulated as {target} (knowledge table)")
        return real_cls.from_pretrained(pretrained_model_name_or_path, *args, **kwargs)

    return type(name, (ComponentStandIn,), {"_lsb_real_name": name, "__module__": modname,
                                            "from_pretrained": classmethod(from_pretrained),
                                            "from_single_file": classmethod(from_pretrained)})


def make_class(rs: RealSource, modname: str, node) -> type:
    key = (modname, node.name)
    if key in _CLASS_CACHE:
        return _CLASS_CACHE[key]
    bases = rs.base_names(modname, node)
    if node.name in _AUTO_T2I | _AUTO_OTHER:
        cls = _make_auto_class(node.name, modname)
    elif "DiffusionPipeline" in bases and node.name != "DiffusionPipeline":
        cls = _make_pipeline_class(rs, modname, node)
    else:
        fields = rs.dataclass_fields(node)
        if fields is not None and not ({"ModelMixin", "SchedulerMixin", "ConfigMixin"} & set(bases)):
            cls = _make_dataclass(node.name, modname, fields)
        else:
            cls = type(node.name, (ComponentStandIn,), {"_lsb_real_name": node.name, "__module__": modname})
    _CLASS_CACHE[key] = cls
    return cls


def _make_pipeline_class(rs, modname, node) -> type:
    call = rs.find_method(modname, node, "__call__")
    if call is None:
        sig = inspect.Signature([inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
        out_fields = ["images"]
    else:
        sig = signature_of(call[2])
        out_fields = rs.return_output_fields(call[2]) or ["images"]
        consumed = consumed_var_kwargs(call[2])
        if consumed is not None:
            # The real __call__ takes **kwargs but only reads these names from it (deprecated callback args):
            # anything else would be silently ignored, which for a generated app is a wiring error.
            P = inspect.Parameter
            params = [p for p in sig.parameters.values() if p.kind is not P.VAR_KEYWORD]
            have = {p.name for p in params}
            params += [P(n, P.KEYWORD_ONLY, default=None) for n in consumed if n not in have]
            sig = sig.replace(parameters=params)
    fns = [call[2]] if call is not None else []
    ci = rs.find_method(modname, node, "check_inputs")
    if ci is not None:
        fns.append(ci[2])
    known = dict(_KNOWN_ATTRS)
    if node.name.startswith("LTX"):
        known["vae_scale_factor"] = 32
    rules = divisibility_rules(fns, known)
    init = rs.find_method(modname, node, "__init__")
    comps = []
    if init is not None:
        comps = [p.name for p in signature_of(init[2]).parameters.values() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    members = rs.member_names(modname, node) | rs.init_self_attrs(modname, node)
    msigs = {}
    for m in ("load_lora_weights", "fuse_lora", "unfuse_lora", "enable_model_cpu_offload", "enable_sequential_cpu_offload",
              "enable_vae_tiling", "enable_vae_slicing", "enable_attention_slicing", "set_progress_bar_config"):
        f = rs.find_method(modname, node, m)
        if f is not None:
            msigs[m] = signature_of(f[2])
    lora_kw = None
    lw = rs.find_method(modname, node, "load_lora_weights")
    lsd = rs.find_method(modname, node, "lora_state_dict")
    if lw is not None and lsd is not None:
        a = consumed_var_kwargs(lw[2], allow_forwarding=True)
        b = consumed_var_kwargs(lsd[2])
        if a is not None and b is not None:
            lora_kw = set(a) | set(b) | {p.name for p in signature_of(lsd[2]).parameters.values()}
    attrs = {
        "_lsb_lora_kwargs": lora_kw,
        "_lsb_rules": rules,
        "_lsb_swallows_kwargs": call is not None and consumed_var_kwargs(call[2]) is not None,
        "_lsb_real_name": node.name,
        "_lsb_module": modname,
        "_lsb_call_sig": sig,
        "_lsb_out_fields": out_fields,
        "_lsb_components": comps,
        "_lsb_members": members,
        "_lsb_methods": rs.method_names(modname, node),
        "_lsb_method_sigs": msigs,
        "__module__": modname,
        "__qualname__": node.name,
    }
    cls = type(node.name, (PipelineStandIn,), attrs)
    if "load_lora_weights" not in members:
        # pipelines without a LoRA loader mixin really lack the method
        def no_lora(self, *a, **k):
            raise AttributeError(f"'{node.name}' object has no attribute 'load_lora_weights'")

        cls.load_lora_weights = no_lora
    return cls


def _make_dataclass(name, modname, fields) -> type:
    P = inspect.Parameter
    params = [P(n, P.POSITIONAL_OR_KEYWORD, default=d) for n, d in fields]
    sig = inspect.Signature(params)

    def __init__(self, *args, **kwargs):
        try:
            b = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{name}.__init__() {e}") from None
        b.apply_defaults()
        self.__dict__.update(b.arguments)

    def __repr__(self):
        return f"{name}({', '.join(f'{k}=...' for k in self.__dict__)}) [lsb stand-in]"

    return type(name, (), {"__init__": __init__, "__repr__": __repr__, "__module__": modname, "__signature__": sig})


# ------------------------------------------------------------------------------------------
# implemented utils functions
# ------------------------------------------------------------------------------------------


def _require_declared(module: str, pip_name: str, fn: str):
    declared = STATE.__dict__.get("declared_requirements")
    if declared is not None and pip_name not in declared:
        raise ImportError(
            f"{fn} requires the {module} library but it was not found in your environment "
            f"(lsb_harness: '{pip_name}' is not in the Space's requirements.txt)"
        )


def _require_peft_backend():
    """diffusers' LoRA loaders start with `if not USE_PEFT_BACKEND: raise ValueError("PEFT backend is
    required for this method.")` (diffusers/loaders/lora_pipeline.py): no import names `peft`, so only
    the Space's requirements tell whether the backend is there."""
    declared = STATE.__dict__.get("declared_requirements")
    if declared is not None and "peft" not in declared:
        raise ValueError(
            "PEFT backend is required for this method. "
            "(lsb_harness: 'peft' is not in the Space's requirements.txt; diffusers loads LoRA weights through it)"
        )


def export_to_video(video_frames, output_video_path=None, fps=10, quality=5.0, bitrate=None, macro_block_size=16):
    _require_declared("imageio", "imageio", "export_to_video")
    _require_declared("imageio-ffmpeg", "imageio-ffmpeg", "export_to_video")
    if isinstance(video_frames, np.ndarray) and video_frames.ndim == 5:
        raise ValueError(
            f"export_to_video: got an array of shape {video_frames.shape} (a batch of videos); pass output.frames[0]"
        )
    return media.write_mp4(list(video_frames), output_video_path, fps)


def encode_video(video, fps, output_path, audio=None, audio_sample_rate=None, video_chunks_number=1):
    _require_declared("av", "av", "encode_video")
    if audio is not None and audio_sample_rate is None:
        raise ValueError("encode_video: audio_sample_rate is required when audio is given")
    from torch import Tensor

    if isinstance(video, Tensor) or (not isinstance(video, (list, tuple, np.ndarray)) and hasattr(video, "__iter__")):
        chunks = [video] if isinstance(video, Tensor) else list(video)
        arrays = []
        for c in chunks:
            if not isinstance(c, Tensor):
                raise TypeError(f"encode_video: expected torch tensors, got {type(c).__name__}")
            a = c._a
            if a.dtype != np.uint8:
                # what PyAV's VideoFrame.from_ndarray(..., format="rgb24") raises
                raise ValueError(f"Expected numpy array with dtype `uint8` but got `{a.dtype}`")
            if a.ndim != 4:
                raise ValueError(f"encode_video: expected a [frames, height, width, channels] tensor, got shape {a.shape}")
            arrays.extend(list(a))
        media.write_mp4(arrays, output_path, fps)
    else:
        if isinstance(video, np.ndarray) and video.ndim == 5:
            raise ValueError(f"encode_video: got an array of shape {video.shape}; pass one video, e.g. video[0]")
        media.write_mp4(list(video), output_path, fps)
    if audio is not None:
        STATE.warn("encode_video: audio track not written by the stand-in (video only)")


def load_image(image, convert_method=None):
    if isinstance(image, str):
        if image.startswith(("http://", "https://")):
            STATE.warn(f"load_image({image[:80]!r}): no network in the harness, a synthetic image was returned")
            img = media.make_image(0, image, 64, 64)
        else:
            import os

            if not os.path.isfile(image):
                raise ValueError(
                    f"Incorrect path or URL. URLs must start with `http://` or `https://`, and {image} is not a valid path."
                )
            img = Image.open(image)
    elif isinstance(image, Image.Image):
        img = image
    else:
        raise ValueError(
            "Incorrect format used for the image. Should be a URL linking to an image, a local path, or a PIL image."
        )
    from PIL import ImageOps

    img = ImageOps.exif_transpose(img)
    return convert_method(img) if convert_method is not None else img.convert("RGB")


def load_video(video, convert_method=None, return_fps=False):
    import os

    fps = 24.0
    if isinstance(video, str) and video.startswith(("http://", "https://")):
        STATE.warn(f"load_video({video[:80]!r}): no network in the harness, a synthetic video was returned")
        frames = [media.make_image(0, video, 64, 64, frame=i) for i in range(9)]
    elif isinstance(video, str):
        if not os.path.isfile(video):
            raise ValueError(
                f"Incorrect path or URL. URLs must start with `http://` or `https://`, and {video} is not a valid path."
            )
        frames, fps = media.read_mp4_frames(video)
    else:
        raise ValueError("Incorrect format used for the video. Should be a URL linking to a video or a local path.")
    if convert_method is not None:
        frames = convert_method(frames)
    return (frames, fps) if return_fps else frames


def make_image_grid(images, rows, cols, resize=None):
    assert len(images) == rows * cols
    if resize is not None:
        images = [i.resize((resize, resize)) for i in images]
    w, h = images[0].size
    grid = Image.new("RGB", size=(cols * w, rows * h))
    for i, img in enumerate(images):
        grid.paste(img, box=(i % cols * w, i // cols * h))
    return grid


_IMPLEMENTED = {
    "export_to_video": export_to_video,
    "encode_video": encode_video,
    "load_image": load_image,
    "load_video": load_video,
    "make_image_grid": make_image_grid,
}
_NOOP_MODULES = {"diffusers.utils.logging"}


def _make_function(r) -> Any:
    if r.name in _IMPLEMENTED:
        return _IMPLEMENTED[r.name]
    sig = signature_of(r.node, drop_first=False)
    qual = f"{r.module}.{r.name}"
    noop = r.module in _NOOP_MODULES

    def f(*args, **kwargs):
        try:
            sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{r.name}() {e}") from None
        if noop:
            return None
        raise StandInGap(f"{qual}() is not simulated by lsb_harness")

    f.__name__ = r.name
    f.__qualname__ = r.name
    f.__module__ = r.module
    f.__signature__ = sig
    return f


# ------------------------------------------------------------------------------------------
# shadow modules + import hook
# ------------------------------------------------------------------------------------------


class ShadowModule(types.ModuleType):
    def __init__(self, name, rs: RealSource):
        super().__init__(name)
        self.__dict__["_lsb_rs"] = rs
        self.__file__ = str(rs.module_file(name))
        if rs.is_package(name):
            self.__path__ = []
        self.__dict__["__lsb_standin__"] = True

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        rs: RealSource = self.__dict__["_lsb_rs"]
        if attr == "__version__" or attr == "__version":
            return rs.version
        r = rs.resolve(self.__name__, attr)
        if r is None:
            raise AttributeError(f"module '{self.__name__}' has no attribute '{attr}'")
        if r.kind == "class":
            val = make_class(rs, r.module, r.node)
        elif r.kind == "function":
            val = _make_function(r)
        elif r.kind == "value":
            val = r.value
        elif r.kind == "module":
            val = importlib_import(r.module)
        else:
            raise StandInGap(
                f"'{self.__name__}.{attr}' exists in the real diffusers but is not simulated by lsb_harness"
            )
        setattr(self, attr, val)
        return val


def importlib_import(name):
    import importlib

    return importlib.import_module(name)


class _Loader(importlib.abc.Loader):
    def __init__(self, rs):
        self.rs = rs

    def create_module(self, spec):
        return ShadowModule(spec.name, self.rs)

    def exec_module(self, module):
        if module.__name__ == PKG:
            module.__dict__["__version__"] = self.rs.version


class DiffusersFinder(importlib.abc.MetaPathFinder):
    def __init__(self, rs: RealSource | None = None):
        self.rs = rs or real_diffusers()

    def find_spec(self, fullname, path=None, target=None):
        if fullname != PKG and not fullname.startswith(PKG + "."):
            return None
        if self.rs.module_file(fullname) is None:
            return None  # -> ModuleNotFoundError, as for the real package
        return importlib.machinery.ModuleSpec(fullname, _Loader(self.rs), is_package=self.rs.is_package(fullname))


def install() -> DiffusersFinder:
    for name in [m for m in sys.modules if m == PKG or m.startswith(PKG + ".")]:
        del sys.modules[name]
    finder = DiffusersFinder()
    sys.meta_path.insert(0, finder)
    return finder
