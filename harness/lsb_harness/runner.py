"""Run a generated app.py against the stand-ins: `check` (build only) and `serve` (real Gradio server)."""

from __future__ import annotations

import builtins
import inspect
import os
import runpy
import sys
import traceback
import types
from pathlib import Path

from . import fake_diffusers, reqcheck
from .state import STATE, StandInGap

STUBS_DIR = Path(__file__).resolve().parent / "stubs"

# Libraries that need the real torch: always replaced by permissive stand-ins.
PERMISSIVE_MODULES = ("transformers", "peft", "accelerate", "torchvision", "torchaudio", "torchao", "bitsandbytes",
                      "xformers", "flash_attn", "optimum")


class HarnessError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# permissive stand-ins for torch-dependent libraries the app may import
# --------------------------------------------------------------------------------------------


class _PermissiveModule(types.ModuleType):
    def __init__(self, name):
        super().__init__(name)
        self.__path__ = []
        self.__version__ = "0.0.0+lsb.standin"
        self.__dict__["__lsb_standin__"] = True

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if attr[:1].isupper():
            cls = type(attr, (fake_diffusers.ComponentStandIn,), {"_lsb_real_name": attr, "__module__": self.__name__})
            setattr(self, attr, cls)
            return cls
        raise StandInGap(f"'{self.__name__}.{attr}' is not simulated by lsb_harness (permissive stand-in module)")


class _PermissiveFinder:
    def find_spec(self, fullname, path=None, target=None):
        import importlib.machinery

        if fullname.split(".")[0] not in PERMISSIVE_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        STATE.warn(f"'{spec.name}' replaced by a permissive lsb_harness stand-in (not checked)")
        return _PermissiveModule(spec.name)

    def exec_module(self, module):
        pass


# --------------------------------------------------------------------------------------------
# import guard: harness-only packages are invisible to app.py unless its requirements list them
# --------------------------------------------------------------------------------------------

GUARDED = {"imageio": "imageio", "imageio_ffmpeg": "imageio-ffmpeg", "av": "av", "cv2": "opencv-python"}


def install_import_guard(app_dir: Path, declared: set[str] | None):
    if declared is None:
        return
    blocked = {m for m, pip in GUARDED.items() if pip not in declared}
    if not blocked:
        return
    real_import = builtins.__import__
    app_dir_s = str(app_dir)

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.split(".")[0] in blocked and globals is not None:
            f = globals.get("__file__") or ""
            if f and os.path.abspath(f).startswith(app_dir_s + os.sep):
                top = name.split(".")[0]
                raise ModuleNotFoundError(
                    f"No module named '{top}' (lsb_harness: '{GUARDED[top]}' is not in the Space's requirements.txt, "
                    "so the Space build would not install it)",
                    name=top,
                )
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = guarded_import


# --------------------------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------------------------


def read_files_args(specs: list[str]) -> dict[str, list[str]]:
    """--files FILE.txt (default list, first LoRA repo) or --files REPO=FILE.txt (one repo)."""
    out: dict[str, list[str]] = {}
    for spec in specs or []:
        repo, path = "", spec
        if "=" in spec and not os.path.exists(spec):
            repo, path = spec.split("=", 1)
        p = Path(path)
        if not p.is_file():
            raise HarnessError(f"--files: no such file {path}")
        lines = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines()]
        out[repo] = [ln.lstrip("/") for ln in lines if ln and not ln.startswith("#")]
    return out


def prepare(app: Path, files: list[str], requirements: str | None) -> dict:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.pop("SPACE_ID", None)  # keep Gradio from wrapping fns with the (absent) real spaces package
    import gradio as gr  # the real one, imported before any stand-in exists

    for name in ("torch", "spaces"):
        for m in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[m]
    sys.path.insert(0, str(STUBS_DIR))
    fake_diffusers.install()
    sys.meta_path.insert(1, _PermissiveFinder())
    for m in [k for k in sys.modules if k.split(".")[0] in PERMISSIVE_MODULES]:
        del sys.modules[m]

    STATE.lora_files.update(read_files_args(files))
    # Outside the simulator (the local gate) the Space would have its secret: private/gated loads
    # read a stand-in token. Under the simulator (LSB_SIM_URL) the app's environment is exactly the
    # Space's secrets, so a Space without an HF_TOKEN secret has none (hub-constraints.md §4).
    if not os.environ.get("HF_TOKEN") and not os.environ.get("LSB_SIM_URL"):
        os.environ["HF_TOKEN"] = DUMMY_TOKEN
    import tempfile

    patch_hub(Path(tempfile.mkdtemp(prefix="lsb_hub_")))
    patch_gradio_url_downloads()
    capture_warnings()
    req_path = None
    if requirements is None:
        cand = app.parent / "requirements.txt"
        req_path = cand if cand.is_file() else None
    elif requirements.lower() != "none":
        req_path = Path(requirements)
        if not req_path.is_file():
            raise HarnessError(f"--requirements: no such file {requirements}")
    req_text = req_path.read_text(encoding="utf-8") if req_path else None
    declared = reqcheck.parse_requirements(req_text) if req_text is not None else None
    STATE.__dict__["requirements_text"] = req_text
    STATE.__dict__["declared_requirements"] = declared
    STATE.__dict__["requirements_path"] = str(req_path) if req_path else None
    install_import_guard(app.parent.resolve(), declared)
    return {"gr": gr}


DUMMY_TOKEN = "hf_lsbHarnessDummyTokenNotReal"


def _placeholder_file(path: Path) -> None:
    from . import media

    path.parent.mkdir(parents=True, exist_ok=True)
    ext = path.suffix.lower()
    if ext in (".png", ".jpg", ".jpeg", ".webp"):
        media.make_image(0, path.name, 64, 64).save(path)
    elif ext in (".mp4", ".mov", ".webm"):
        media.write_mp4([media.make_image(0, path.name, 64, 48, i) for i in range(9)], str(path), 8)
    else:
        path.write_bytes(b"")


def patch_hub(cache_dir: Path) -> None:
    """huggingface_hub network calls: served from the --files lists, or a clear StandInGap."""
    import huggingface_hub

    def hf_hub_download(repo_id, filename, *, subfolder=None, repo_type=None, revision=None, local_dir=None, **kw):
        full = f"{subfolder.strip('/')}/{filename}" if subfolder else filename
        files = STATE.lora_files.get(repo_id)
        if files is None:
            raise StandInGap(
                f"hf_hub_download({repo_id!r}, {full!r}): the Hub is not reachable from the harness and no file list "
                f"was given for this repo (pass --files {repo_id}=FILES.txt)"
            )
        if full not in files:
            raise FileNotFoundError(
                f"404 Client Error. Entry Not Found for url: https://huggingface.co/{repo_id}/resolve/main/{full}. "
                f"(lsb_harness: files in {repo_id}: {files})"
            )
        dest = Path(local_dir) / full if local_dir else cache_dir / repo_id.replace("/", "--") / full
        if not dest.exists():
            _placeholder_file(dest)
        return str(dest)

    def snapshot_download(repo_id, *a, **k):
        raise StandInGap(f"snapshot_download({repo_id!r}): the Hub is not reachable from the lsb_harness")

    def login(*a, **k):
        STATE.warn("huggingface_hub.login() was called: ignored by the harness (use the HF_TOKEN secret instead)")

    huggingface_hub.hf_hub_download = hf_hub_download
    huggingface_hub.snapshot_download = snapshot_download
    huggingface_hub.login = login


def patch_gradio_url_downloads() -> None:
    """No network here: http(s) file inputs (e.g. /gradio_api/info example_input URLs) become synthetic files."""
    import hashlib
    import sys as _sys
    from urllib.parse import urlparse

    from gradio import processing_utils

    def offline(url: str, cache_dir: str) -> str:
        name = Path(urlparse(url).path.rstrip("/")).name or "file"
        dest = Path(cache_dir) / ("lsb_" + hashlib.sha256(url.encode()).hexdigest()[:16]) / name
        if not dest.exists():
            ext = dest.suffix.lower()
            if ext in (".png", ".jpg", ".jpeg", ".webp", ".mp4", ".mov", ".webm"):
                _placeholder_file(dest)
            elif ext == ".wav":
                import wave

                dest.parent.mkdir(parents=True, exist_ok=True)
                with wave.open(str(dest), "wb") as w:
                    w.setnchannels(1)
                    w.setsampwidth(2)
                    w.setframerate(16000)
                    w.writeframes(b"\x00\x00" * 1600)
            else:
                raise Exception(f"lsb_harness: no network, cannot download {url}")
            print(f"lsb_harness: no network; URL input {url} replaced by a synthetic {ext} file", file=_sys.stderr)
        return str(dest)

    async def async_offline(url: str, cache_dir: str) -> str:
        return offline(url, cache_dir)

    processing_utils.async_ssrf_protected_download = async_offline
    processing_utils.ssrf_protected_download = offline
    processing_utils.save_url_to_cache = offline
    processing_utils.unsafe_download = offline


def capture_warnings() -> None:
    import warnings

    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if len(STATE.warnings) < 60 and not issubclass(category, (ResourceWarning, ImportWarning)):
            STATE.warn(f"{category.__name__}: {message} ({os.path.basename(str(filename))}:{lineno})")
        original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    warnings.simplefilter("default")
    warnings.filterwarnings("ignore", category=ResourceWarning)


def _record_examples(gr):
    from gradio import helpers

    cls = helpers.Examples  # gr.Examples is helpers.create_examples, a function building this class
    orig = cls.__init__
    STATE.__dict__["examples"] = []

    def init(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        STATE.examples.append(self)

    cls.__init__ = init


def exec_app(app: Path, launch_impl) -> dict:
    """Run app.py as __main__ with Blocks.launch replaced by launch_impl(blocks, kwargs)."""
    import gradio as gr

    _record_examples(gr)
    captured: dict = {}
    real_launch = gr.Blocks.launch
    launch_sig = inspect.signature(real_launch)

    def launch(self, *args, **kwargs):
        try:
            launch_sig.bind(self, *args, **kwargs)
        except TypeError as e:
            raise TypeError(f"Blocks.launch() {e}") from None
        captured["blocks"] = self
        STATE.launch_kwargs = {k: repr(v)[:120] for k, v in kwargs.items()}
        return launch_impl(self, real_launch, kwargs)

    gr.Blocks.launch = launch
    app = app.resolve()
    old_cwd, old_argv = os.getcwd(), sys.argv
    os.chdir(app.parent)
    sys.argv = [str(app)]
    sys.path.insert(0, str(app.parent))
    try:
        captured["globals"] = runpy.run_path(str(app), run_name="__main__")
    finally:
        sys.argv = old_argv
        if STATE.launch_kwargs is None:
            os.chdir(old_cwd)
    return captured


# --------------------------------------------------------------------------------------------
# analysis of the built Blocks
# --------------------------------------------------------------------------------------------

_SPECIAL_ANNOTATIONS = ("Request", "EventData", "SelectData", "OAuthProfile", "OAuthToken", "Progress", "LikeData",
                        "KeyUpData", "DeletedFileData", "EditData", "RetryData", "UndoData", "CopyData", "DownloadData")


def _unwrap_gpu(fn):
    seen = 0
    while fn is not None and seen < 10:
        if getattr(fn, "_lsb_gpu", None):
            return fn._lsb_gpu
        fn = getattr(fn, "__wrapped__", None)
        seen += 1
    return None


def _arity_problem(fn, n_inputs: int):
    import gradio as gr

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params = []
    for p in sig.parameters.values():
        ann = p.annotation
        ann_s = ann if isinstance(ann, str) else getattr(ann, "__name__", "")
        if isinstance(p.default, gr.Progress) or any(ann_s.endswith(s) for s in _SPECIAL_ANNOTATIONS):
            continue
        params.append(p)
    sig2 = sig.replace(parameters=params)
    try:
        sig2.bind(*range(n_inputs))
    except TypeError as e:
        return str(e)
    return None


def analyse(blocks, g: dict) -> None:
    import gradio as gr

    if blocks is None:
        for v in (g or {}).values():
            if isinstance(v, gr.Blocks):
                blocks = v
        if blocks is None:
            STATE.violation("no_blocks", "app.py defines no gr.Blocks/gr.Interface")
            return
        STATE.violation("no_launch", "app.py never calls demo.launch() when run as __main__ (a Space would not serve)")
    fns = list(getattr(blocks, "fns", {}).values())
    for bf in fns:
        fn = getattr(bf, "fn", None)
        if fn is None:
            continue
        rec = _unwrap_gpu(fn)
        if rec is not None:
            rec["bound_to_event"] = True
        name = getattr(bf, "name", getattr(fn, "__name__", "?"))
        if getattr(bf, "api_visibility", "public") == "public" and str(getattr(bf, "api_name", "")).startswith("lambda"):
            STATE.warn(
                f"a lambda event handler is a public API endpoint '/{bf.api_name}' (smoke tests and MCP will see it); "
                "pass api_visibility='private' for UI-only helpers"
            )
        prob = _arity_problem(fn, len(bf.inputs))
        if prob:
            STATE.violation("event_arity", f"event handler {name}() cannot take its {len(bf.inputs)} input(s): {prob}")
    for ex in STATE.__dict__.get("examples", []):
        fn = getattr(ex, "fn", None)
        cache = getattr(ex, "cache_examples", False)
        if cache and cache != "lazy":
            STATE.violation(
                "eager_example_cache",
                "gr.Examples(cache_examples=True) without cache_mode='lazy': on ZeroGPU eager caching runs at build time without a GPU",
            )
        if fn is not None:
            n = len(getattr(ex, "inputs", None) or [])
            prob = _arity_problem(fn, n)
            if prob:
                STATE.violation(
                    "examples_arity",
                    f"gr.Examples fn {getattr(fn, '__name__', '?')}() cannot be called with the {n} example input(s): {prob} "
                    "(every fn parameter not in inputs needs a default)",
                )
    if not STATE.gpu_functions:
        STATE.violation("no_gpu_function", "no @spaces.GPU function: ZeroGPU fails with 'No @spaces.GPU function detected during startup'")
    elif not any(r["bound_to_event"] for r in STATE.gpu_functions):
        STATE.warn("no @spaces.GPU function is bound directly to a Gradio event (decorate the function Gradio calls)")
    if not STATE.pipelines:
        STATE.warn("no diffusers pipeline was created at module level")
    for p in STATE.pipelines:
        if not str(p.get("device", "")).startswith("cuda"):
            STATE.warn(f"{p['class']} was never moved with .to('cuda') at module level")
    from . import rules

    for p in STATE.pipelines:
        msg = rules.check_base_class(p.get("class", ""), p.get("base"))
        if msg:
            code = "base_not_diffusers" if "native" in msg else "class_base_mismatch"
            STATE.violation(code, msg)
    req_text = STATE.__dict__.get("requirements_text")
    if req_text is not None:
        for code, msg in rules.requirement_violations(
            req_text, [p.get("class", "") for p in STATE.pipelines], any(p.get("dtype_kwarg") for p in STATE.pipelines)
        ):
            STATE.violation(code, msg)
    if STATE.pipelines and not STATE.lora_loads:
        STATE.violation("no_lora_loaded", "no pipe.load_lora_weights(...) call: the Space would not use the LoRA")


def verdict(ok: bool, error: str | None, error_kind: str | None = None) -> dict:
    p = STATE.pipelines[0] if STATE.pipelines else {}
    lo = STATE.lora_loads[0] if STATE.lora_loads else {}
    return {
        "ok": ok,
        "error": error,
        "error_kind": error_kind,
        "pipeline": p.get("class"),
        "base": p.get("base"),
        "lora": lo.get("repo"),
        "weight_name": lo.get("weight_name"),
        "gpu_functions": [
            {k: v for k, v in r.items() if k in ("name", "duration", "size", "bound_to_event", "generator")}
            for r in STATE.gpu_functions
        ],
        "violations": list(STATE.violations),
        "warnings": list(STATE.warnings),
        "pipelines": list(STATE.pipelines),
        "loras": [{k: v for k, v in r.items() if k != "default_list"} for r in STATE.lora_loads],
        "launch_kwargs": STATE.launch_kwargs,
        "requirements": STATE.__dict__.get("requirements_path"),
    }


def describe_exception(e: BaseException) -> tuple[str, str]:
    kind = "stand_in_gap" if isinstance(e, StandInGap) else "app"
    return f"{type(e).__name__}: {e}", kind
