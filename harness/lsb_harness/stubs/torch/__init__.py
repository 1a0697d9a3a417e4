"""Stand-in for `torch`: just the surface generated LoRA Space apps use. No tensors math.

Anything not provided raises lsb_harness.state.StandInGap (an AttributeError) so a harness gap is
reported as such, not as an app bug.
"""

from __future__ import annotations

import functools
import numbers
import sys
import types

import numpy as _np

from lsb_harness import hub_env
from lsb_harness.state import STATE, StandInGap

__version__ = "2.9.1+lsb.standin"


def _gap(mod, name):
    raise StandInGap(f"module '{mod}' has no attribute {name!r} (not provided by the lsb_harness torch stand-in)")


class dtype:
    def __init__(self, name, is_floating_point=True, itemsize=4):
        self._name = name
        self.is_floating_point = is_floating_point
        self.itemsize = itemsize

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return (getattr, (sys.modules[__name__], self._name))


float32 = float = dtype("float32")
float64 = double = dtype("float64", itemsize=8)
float16 = half = dtype("float16", itemsize=2)
bfloat16 = dtype("bfloat16", itemsize=2)
float8_e4m3fn = dtype("float8_e4m3fn", itemsize=1)
float8_e5m2 = dtype("float8_e5m2", itemsize=1)
int64 = long = dtype("int64", False, 8)
int32 = int = dtype("int32", False, 4)
int16 = short = dtype("int16", False, 2)
int8 = dtype("int8", False, 1)
uint8 = dtype("uint8", False, 1)
bool = dtype("bool", False, 1)  # noqa: A001  (shadows builtin inside this module only)

import builtins as _b  # noqa: E402

_int, _float, _bool, _str = _b.int, _b.float, _b.bool, _b.str


class device:
    def __init__(self, type_or_str="cpu", index=None):
        if isinstance(type_or_str, device):
            type_or_str = str(type_or_str)
        if isinstance(type_or_str, _int) and not isinstance(type_or_str, _bool):
            index, type_or_str = type_or_str, "cuda"
        if not isinstance(type_or_str, _str):
            raise TypeError(f"device() received an invalid combination of arguments: {type_or_str!r}")
        t, _, idx = type_or_str.partition(":")
        if t not in ("cpu", "cuda", "mps", "meta", "xpu"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps, meta, xpu device type at start of device string: {type_or_str}")
        self.type = t
        self.index = _int(idx) if idx else index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


def _device_of(d) -> device:
    return d if isinstance(d, device) else device(d if d is not None else "cpu")


def _to_device(d) -> device:
    """A device a tensor or module moves to: CUDA needs a GPU (hub_env: none on cpu-* Spaces)."""
    dev = _device_of(d)
    if dev.type == "cuda":
        hub_env.require_cuda()
    return dev


class Generator:
    def __init__(self, device="cpu"):
        self.device = _to_device(device)
        self._seed = 67280421310721

    def manual_seed(self, seed):
        # real torch.Generator.manual_seed only takes an int (float/str raise TypeError)
        if isinstance(seed, _bool) or not isinstance(seed, (numbers.Integral, _np.integer)):
            raise TypeError(f"manual_seed(): argument 'seed' (position 1) must be int, not {type(seed).__name__}")
        self._seed = _int(seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        import random

        self._seed = random.getrandbits(63)
        return self._seed

    def __repr__(self):
        return f"<torch.Generator (lsb stand-in) device={self.device} seed={self._seed}>"


_global_seed = [0]


def manual_seed(seed):
    _global_seed[0] = _int(seed)
    g = Generator("cpu")
    g._seed = _int(seed)
    return g


def initial_seed():
    return _global_seed[0]


def seed():
    import random

    _global_seed[0] = random.getrandbits(63)
    return _global_seed[0]


_NP_TO_DTYPE = {"uint8": uint8, "int8": int8, "int16": int16, "int32": int32, "int64": int64, "float16": float16,
                 "float32": float32, "float64": float64, "bool": bool}


class Tensor:
    """Minimal tensor: wraps a numpy array, knows its device and dtype."""

    def __init__(self, data=None, device="cpu", dtype=None):
        if isinstance(data, _np.ndarray):
            self._a = data  # keeps the numpy dtype (torch.from_numpy semantics)
        else:
            self._a = _np.asarray(data if data is not None else [], dtype=_np.float32)
        self.device = _device_of(device)
        self.dtype = dtype or _NP_TO_DTYPE.get(self._a.dtype.name, float32)

    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)

    def size(self, dim=None):
        return self._a.shape if dim is None else self._a.shape[dim]

    def dim(self):
        return self._a.ndim

    def to(self, *args, **kw):
        dev = kw.get("device", self.device)
        dt = kw.get("dtype", self.dtype)
        for a in args:
            if isinstance(a, dtype):
                dt = a
            elif isinstance(a, (_str, device)):
                dev = a
        return Tensor(self._a, _to_device(dev), dt)

    def cpu(self):
        return Tensor(self._a, "cpu", self.dtype)

    def cuda(self, *a, **k):
        return Tensor(self._a, _to_device("cuda"), self.dtype)

    def float(self):
        return Tensor(self._a.astype(_np.float32), self.device, float32)

    def detach(self):
        return self

    def numpy(self):
        if self.device.type != "cpu":
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._a.copy()

    def tolist(self):
        return self._a.tolist()

    def item(self):
        return self._a.item()

    def nelement(self):
        return self._a.size

    def element_size(self):
        return self.dtype.itemsize

    def __len__(self):
        return len(self._a)

    def __getitem__(self, k):
        return Tensor(self._a[k], self.device, self.dtype)

    def __repr__(self):
        return f"tensor(shape={self.shape}, device={self.device}, dtype={self.dtype}) [lsb stand-in]"

    def __getattr__(self, name):
        _gap("torch.Tensor", name)


FloatTensor = Tensor
LongTensor = Tensor


def tensor(data, dtype=None, device=None, **kw):
    return Tensor(data, device or "cpu", dtype)


def from_numpy(a):
    return Tensor(a)


def zeros(*size, dtype=None, device=None, **kw):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return Tensor(_np.zeros(size, _np.float32), device or "cpu", dtype)


def _size(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def ones(*size, dtype=None, device=None, **kw):
    return Tensor(_np.ones(_size(size), _np.float32), device or "cpu", dtype)


def randn(*size, generator=None, dtype=None, device=None, **kw):
    rng = _np.random.default_rng(generator.initial_seed() if generator is not None else None)
    return Tensor(rng.standard_normal(_size(size)).astype(_np.float32), device or "cpu", dtype)


def rand(*size, generator=None, dtype=None, device=None, **kw):
    rng = _np.random.default_rng(generator.initial_seed() if generator is not None else None)
    return Tensor(rng.random(_size(size)).astype(_np.float32), device or "cpu", dtype)


def cat(tensors, dim=0):
    return Tensor(_np.concatenate([t._a for t in tensors], axis=dim), tensors[0].device, tensors[0].dtype)


def stack(tensors, dim=0):
    return Tensor(_np.stack([t._a for t in tensors], axis=dim), tensors[0].device, tensors[0].dtype)


class autocast:
    """torch.autocast / torch.amp.autocast / torch.cuda.amp.autocast: no-op context manager and decorator."""

    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def inner(*a, **k):
            return fn(*a, **k)

        return inner


amp = types.ModuleType("torch.amp")
amp.autocast = autocast
version = types.SimpleNamespace(__version__=__version__, cuda="12.8", git_version="lsb-standin", hip=None)


def is_tensor(x):
    return isinstance(x, Tensor)


class _GradMode:
    """no_grad / inference_mode / enable_grad: context manager and decorator, with or without ()."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, (_bool, _GradMode)):
            return super().__new__(cls)(mode)  # bare decorator: @torch.inference_mode
        return super().__new__(cls)

    def __init__(self, mode=True):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def inner(*a, **k):
            with self.__class__():
                return fn(*a, **k)

        return inner


class no_grad(_GradMode):
    pass


class inference_mode(_GradMode):
    pass


class enable_grad(_GradMode):
    pass


class set_grad_enabled(_GradMode):
    pass


def is_grad_enabled():
    return True


def compile(model=None, *args, **kwargs):  # noqa: A001
    STATE.violation(
        "torch_compile",
        "torch.compile() used: JIT compilation does not work on ZeroGPU (only spaces.aoti_* AoT compilation)",
    )
    if model is None:
        return lambda m: m
    return model


def set_float32_matmul_precision(p):
    if p not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid float32 matmul precision {p!r}")


def get_default_dtype():
    return float32


def set_default_dtype(d):
    pass


def use_deterministic_algorithms(*a, **k):
    pass


class _Flags(types.SimpleNamespace):
    """backends.* flag namespaces: any attribute can be read (False) or set."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return False


backends = types.ModuleType("torch.backends")
backends.cuda = _Flags(matmul=_Flags(allow_tf32=False, allow_fp16_reduced_precision_reduction=True), enable_flash_sdp=lambda *a: None,
                       enable_mem_efficient_sdp=lambda *a: None, enable_math_sdp=lambda *a: None)
backends.cudnn = _Flags(allow_tf32=True, benchmark=False, deterministic=False, enabled=True)
backends.mps = _Flags(is_available=lambda: False)


# ---- torch.cuda ----------------------------------------------------------------------------
cuda = types.ModuleType("torch.cuda")


def _cuda_at_import(fn_name):
    if STATE.phase == "import" and STATE.gpu_depth() == 0:
        STATE.violation(
            "cuda_at_import",
            f"torch.cuda.{fn_name}() called at module level; on ZeroGPU no GPU is attached outside @spaces.GPU",
        )


def _mk_cuda(name, result):
    def f(*a, **k):
        _cuda_at_import(name)
        hub_env.require_cuda()
        return result() if callable(result) else result

    f.__name__ = name
    return f


# ZeroGPU reports CUDA as available at startup; a cpu-* Space (hub_env) has none.
cuda.is_available = lambda: hub_env.has_cuda()
cuda.device_count = lambda: 1 if hub_env.has_cuda() else 0
cuda.empty_cache = lambda: None
cuda.synchronize = lambda *a, **k: None
cuda.manual_seed = cuda.manual_seed_all = lambda s: None
cuda.is_bf16_supported = lambda *a, **k: True
for _n, _r in {
    "current_device": 0,
    "get_device_name": "NVIDIA RTX PRO 6000 Blackwell (lsb stand-in)",
    "get_device_capability": (12, 0),
    "mem_get_info": (48 * 2**30, 48 * 2**30),
    "memory_allocated": 0,
    "max_memory_allocated": 0,
    "memory_reserved": 0,
    "reset_peak_memory_stats": None,
    "set_device": None,
    "ipc_collect": None,
    "get_device_properties": lambda: types.SimpleNamespace(
        name="NVIDIA RTX PRO 6000 Blackwell (lsb stand-in)", total_memory=48 * 2**30, major=12, minor=0,
        multi_processor_count=188),
}.items():
    setattr(cuda, _n, _mk_cuda(_n, _r))
cuda.Generator = Generator
cuda.amp = types.SimpleNamespace(autocast=autocast)
cuda.__getattr__ = lambda name: _gap("torch.cuda", name)

# ---- torch.nn (just enough for isinstance/type hints) ----------------------------------------
nn = types.ModuleType("torch.nn")


class Module:
    def __init__(self, *a, **k):
        pass

    def to(self, *a, **k):
        for d in list(a) + [k.get("device")]:
            if isinstance(d, (_str, device)):
                _to_device(d)
        return self

    def eval(self):
        return self

    def requires_grad_(self, flag=True):
        return self


nn.Module = Module
nn.functional = types.ModuleType("torch.nn.functional")
nn.functional.__getattr__ = lambda name: _gap("torch.nn.functional", name)
nn.__getattr__ = lambda name: _gap("torch.nn", name)

for _m, _name in ((amp, "torch.amp"), (cuda, "torch.cuda"), (backends, "torch.backends"), (nn, "torch.nn"), (nn.functional, "torch.nn.functional")):
    sys.modules[_name] = _m


def __getattr__(name):
    _gap("torch", name)
