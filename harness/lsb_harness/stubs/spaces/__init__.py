"""Stand-in for the Hugging Face ZeroGPU `spaces` package (records @spaces.GPU decorations)."""

from __future__ import annotations

import functools
import inspect
import numbers

from lsb_harness.state import STATE, StandInGap

__version__ = "0.0.0+lsb-standin"

_early = sorted(m for m in ("torch", "diffusers", "transformers") if m in __import__("sys").modules)
if _early:
    STATE.violation(
        "import_order",
        f"`import spaces` comes after {', '.join(_early)}: ZeroGPU needs spaces imported first "
        "(else 'CUDA has been initialized before importing the spaces package')",
    )
_SIZES = ("large", "xlarge")


def _check_duration(value, fn_name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
        raise ValueError(f"@spaces.GPU duration for {fn_name} must be a positive number of seconds, got {value!r}")


def _check_result(obj, fn_name):
    from torch import Tensor  # the stand-in

    def walk(o, depth=0):
        if depth > 4:
            return
        if isinstance(o, Tensor) and str(o.device).startswith("cuda"):
            raise RuntimeError(
                f"@spaces.GPU function {fn_name} returned a CUDA tensor; ZeroGPU functions must return CPU "
                "objects (PIL images, numpy arrays, file paths) - on a real Space this call hangs"
            )
        if isinstance(o, (list, tuple)):
            for x in o:
                walk(x, depth + 1)
        elif isinstance(o, dict):
            for x in o.values():
                walk(x, depth + 1)

    walk(obj)


def _charge(d, size):
    """Under the simulator, charges the caller's ZeroGPU quota (lsb_harness.hub_env.charge_gpu);
    without SPACES_ZERO_GPU=true the real decorator is a no-op, so nothing is charged."""
    from lsb_harness import hub_env

    if hub_env.hardware() is None or not hub_env.zero_gpu():
        return
    try:
        from gradio.context import LocalContext

        req = LocalContext.request.get(None)
    except ImportError:  # pragma: no cover
        req = None
    headers = {k.lower(): v for k, v in (getattr(req, "headers", None) or {}).items()}
    hub_env.charge_gpu(d, size, headers)


def GPU(func=None, *, duration=60, size="large", **kwargs):
    """`@spaces.GPU`, `@spaces.GPU()`, `@spaces.GPU(duration=N|callable, size="large"|"xlarge")`."""
    if func is not None and not callable(func):
        raise TypeError(f"spaces.GPU expects a function, got {type(func).__name__}")

    def decorate(fn):
        name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
        rec = {
            "name": name,
            "duration": duration if not callable(duration) else "callable",
            "size": size,
            "generator": inspect.isgeneratorfunction(fn),
            "bound_to_event": False,
            "calls": 0,
        }
        if kwargs:
            rec["extra_kwargs"] = sorted(kwargs)
            STATE.violation("spaces_gpu_kwargs", f"@spaces.GPU on {name} got unknown keyword(s) {sorted(kwargs)}")
        if size not in _SIZES:
            STATE.violation("spaces_gpu_size", f"@spaces.GPU(size={size!r}) on {name}: size must be one of {_SIZES}")
        if not callable(duration):
            try:
                _check_duration(duration, name)
            except ValueError as e:
                STATE.violation("spaces_gpu_duration", str(e))
        STATE.gpu_functions.append(rec)

        def before(args, kw):
            if callable(duration):
                # Real ZeroGPU evaluates the callable with the same arguments as the function.
                try:
                    d = duration(*args, **kw)
                except TypeError as e:
                    raise TypeError(f"@spaces.GPU duration callable of {name} cannot take the call's arguments: {e}") from e
                _check_duration(d, name)
            else:
                d = duration
            rec["calls"] += 1
            _charge(d, size)
            STATE.enter_gpu()

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args, **kw):
                before(args, kw)
                try:
                    out = await fn(*args, **kw)
                finally:
                    STATE.exit_gpu()
                _check_result(out, name)
                return out

            wrapper = async_wrapper
        elif inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen_wrapper(*args, **kw):
                before(args, kw)
                try:
                    for item in fn(*args, **kw):
                        _check_result(item, name)
                        yield item
                finally:
                    STATE.exit_gpu()

            wrapper = gen_wrapper
        else:

            @functools.wraps(fn)
            def wrapper(*args, **kw):
                before(args, kw)
                try:
                    out = fn(*args, **kw)
                finally:
                    STATE.exit_gpu()
                _check_result(out, name)
                return out

        wrapper._lsb_gpu = rec
        return wrapper

    if func is not None:
        return decorate(func)
    return decorate


def __getattr__(name):
    raise StandInGap(f"module 'spaces' has no attribute {name!r} (the lsb_harness stand-in only simulates spaces.GPU)")
