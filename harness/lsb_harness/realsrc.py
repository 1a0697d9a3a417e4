"""Read the *installed real* diffusers package's source without importing it (it needs torch).

Everything the stand-ins know about real classes (call signatures, base classes, method names,
output fields, module-level constants) comes from parsing that source with ``ast``.
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import inspect
import os
import re
from dataclasses import dataclass
from pathlib import Path


class Unevaluated:
    """Default value whose expression is not a literal (e.g. ``torch.float32``)."""

    def __init__(self, src: str):
        self.src = src

    def __repr__(self) -> str:  # shows up in signature reprs
        return self.src


def package_root(name: str = "diffusers") -> Path:
    """Directory of the real installed package (bypasses sys.modules, where a stand-in may sit)."""
    spec = importlib.machinery.PathFinder.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the real '{name}' package is not installed (pip install -r harness/requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0])


def package_version(name: str = "diffusers") -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # pragma: no cover
        return "unknown"


@dataclass
class Resolved:
    kind: str  # "class" | "function" | "value" | "module" | "other"
    module: str
    name: str
    node: ast.AST | None = None
    value: object = None


_CLASS_RE = re.compile(r"^class\s+([A-Za-z_]\w*)\s*[(:]", re.M)


class RealSource:
    def __init__(self, pkg: str = "diffusers"):
        self.pkg = pkg
        self.root = package_root(pkg)
        self.version = package_version(pkg)
        self._modules: dict[str, dict] = {}
        self._class_index: dict[str, list[str]] | None = None

    # ---- module files ---------------------------------------------------------------------
    def module_file(self, modname: str) -> Path | None:
        parts = modname.split(".")
        if parts[0] != self.pkg:
            return None
        base = self.root.joinpath(*parts[1:])
        if base.is_dir() and (base / "__init__.py").exists():
            return base / "__init__.py"
        py = base.with_suffix(".py")
        if py.exists():
            return py
        return None

    def is_package(self, modname: str) -> bool:
        f = self.module_file(modname)
        return f is not None and f.name == "__init__.py"

    def module(self, modname: str) -> dict | None:
        if modname in self._modules:
            return self._modules[modname]
        f = self.module_file(modname)
        if f is None:
            return None
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        defs: dict[str, ast.AST] = {}
        imports: dict[str, tuple[str, str]] = {}
        is_pkg = f.name == "__init__.py"
        pkg_parts = modname.split(".") if is_pkg else modname.split(".")[:-1]

        def visit(stmts):
            for node in stmts:
                if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    defs.setdefault(node.name, node)
                elif isinstance(node, ast.Assign):
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            defs.setdefault(t.id, node)
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    defs.setdefault(node.target.id, node)
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = pkg_parts[: len(pkg_parts) - (node.level - 1)]
                        src = ".".join(base + ([node.module] if node.module else []))
                    else:
                        src = node.module or ""
                    for a in node.names:
                        imports.setdefault(a.asname or a.name, (src, a.name))
                elif isinstance(node, (ast.If, ast.Try)):
                    visit(node.body)
                    for h in getattr(node, "handlers", []):
                        visit(h.body)
                    visit(node.orelse)
                    visit(getattr(node, "finalbody", []))

        visit(tree.body)
        info = {"file": f, "defs": defs, "imports": imports, "tree": tree}
        self._modules[modname] = info
        return info

    # ---- names ----------------------------------------------------------------------------
    def class_index(self) -> dict[str, list[str]]:
        if self._class_index is None:
            idx: dict[str, list[str]] = {}
            for p in sorted(self.root.rglob("*.py")):
                rel = p.relative_to(self.root)
                if rel.parts[0] in ("commands", "experimental") or rel.name.startswith("dummy_"):
                    continue
                text = p.read_text(encoding="utf-8", errors="replace")
                mod = ".".join((self.pkg,) + rel.with_suffix("").parts)
                if mod.endswith(".__init__"):
                    mod = mod[: -len(".__init__")]
                for m in _CLASS_RE.finditer(text):
                    idx.setdefault(m.group(1), []).append(mod)
            for v in idx.values():
                v.sort(key=lambda m: (m.count("."), len(m)))
            self._class_index = idx
        return self._class_index

    @functools.cached_property
    def top_level_exports(self) -> set[str]:
        """Names importable as ``from diffusers import X`` (every string in _import_structure lists)."""
        tree = self.module(self.pkg)["tree"]
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                names.add(node.value)
        return names

    def resolve(self, modname: str, name: str, _depth: int = 0) -> Resolved | None:
        if _depth > 12:
            return None
        if modname == self.pkg:
            if self.module_file(f"{self.pkg}.{name}") is not None:
                return Resolved("module", f"{self.pkg}.{name}", name)
            if name not in self.top_level_exports:
                sub = self.module_file(f"{self.pkg}.{name}")
                return Resolved("module", f"{self.pkg}.{name}", name) if sub else None
            for cand in self.class_index().get(name, []):
                r = self.resolve(cand, name, _depth + 1)
                if r is not None:
                    return r
            return Resolved("other", modname, name)
        info = self.module(modname)
        if info is None:
            return None
        node = info["defs"].get(name)
        if isinstance(node, ast.ClassDef):
            return Resolved("class", modname, name, node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return Resolved("function", modname, name, node)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            try:
                return Resolved("value", modname, name, node, ast.literal_eval(node.value))
            except Exception:
                return Resolved("other", modname, name, node)
        if name in info["imports"]:
            src, orig = info["imports"][name]
            if src.split(".")[0] == self.pkg:
                r = self.resolve(src, orig, _depth + 1)
                if r is not None:
                    return r
                if self.module_file(f"{src}.{orig}"):
                    return Resolved("module", f"{src}.{orig}", orig)
            return Resolved("other", src, orig)
        if self.module_file(f"{modname}.{name}"):
            return Resolved("module", f"{modname}.{name}", name)
        return None

    # ---- classes ----------------------------------------------------------------------------
    def mro(self, modname: str, cls: ast.ClassDef) -> list[tuple[str, ast.ClassDef]]:
        out: list[tuple[str, ast.ClassDef]] = []
        seen: set[tuple[str, str]] = set()

        def walk(mod, c):
            key = (mod, c.name)
            if key in seen:
                return
            seen.add(key)
            out.append((mod, c))
            for b in c.bases:
                bname = b.id if isinstance(b, ast.Name) else (b.attr if isinstance(b, ast.Attribute) else None)
                if not bname:
                    continue
                r = self.resolve(mod, bname)
                if r is None or r.kind != "class":
                    for cand in self.class_index().get(bname, []):
                        r = self.resolve(cand, bname)
                        if r is not None and r.kind == "class":
                            break
                if r is not None and r.kind == "class":
                    walk(r.module, r.node)

        walk(modname, cls)
        return out

    def base_names(self, modname: str, cls: ast.ClassDef) -> list[str]:
        return [c.name for _, c in self.mro(modname, cls)]

    def find_method(self, modname: str, cls: ast.ClassDef, meth: str):
        for mod, c in self.mro(modname, cls):
            for node in c.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == meth:
                    return mod, c, node
        return None

    def method_names(self, modname: str, cls: ast.ClassDef) -> set[str]:
        """Plain methods (not properties) along the MRO."""
        names = set()
        for _, c in self.mro(modname, cls):
            for node in c.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    decos = {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in node.decorator_list}
                    if "property" not in decos and not any(str(x).endswith("setter") for x in decos):
                        names.add(node.name)
        return names

    def member_names(self, modname: str, cls: ast.ClassDef) -> set[str]:
        names = set()
        for _, c in self.mro(modname, cls):
            for node in c.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(node.name)
                elif isinstance(node, ast.Assign):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
        return names

    def init_self_attrs(self, modname: str, cls: ast.ClassDef) -> set[str]:
        names = set()
        for _, c in self.mro(modname, cls):
            for node in c.body:
                if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                    for sub in ast.walk(node):
                        if (
                            isinstance(sub, ast.Attribute)
                            and isinstance(sub.value, ast.Name)
                            and sub.value.id == "self"
                            and isinstance(sub.ctx, ast.Store)
                        ):
                            names.add(sub.attr)
        return names

    def dataclass_fields(self, cls: ast.ClassDef) -> list[tuple[str, object]] | None:
        is_dc = any(
            (isinstance(d, ast.Name) and d.id == "dataclass")
            or (isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "dataclass")
            for d in cls.decorator_list
        )
        if not is_dc:
            return None
        fields = []
        for node in cls.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is None:
                    fields.append((node.target.id, inspect.Parameter.empty))
                else:
                    fields.append((node.target.id, literal_or_marker(node.value)))
        return fields

    def return_output_fields(self, fn: ast.FunctionDef) -> list[str]:
        """Keyword names of the last ``return SomethingOutput(k=...)`` in a function body."""
        fields: list[str] = []
        for node in ast.walk(fn):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
                f = node.value.func
                fname = f.id if isinstance(f, ast.Name) else (f.attr if isinstance(f, ast.Attribute) else "")
                if fname.endswith("Output"):
                    kws = [k.arg for k in node.value.keywords if k.arg]
                    if not kws:
                        kws = [f"_pos{i}" for i in range(len(node.value.args))]
                    fields = kws
        return fields


def consumed_var_kwargs(fn: ast.FunctionDef, allow_forwarding: bool = False) -> list[str] | None:
    """Names a function body reads out of its **kwargs (kwargs.pop("x"), kwargs.get("x"), kwargs["x"], "x" in kwargs).

    None when the function has no **kwargs or passes it on wholesale (f(**kwargs)), i.e. accepts anything.
    """
    if fn.args.kwarg is None:
        return None
    kw = fn.args.kwarg.arg
    names: list[str] = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == kw
                    and f.attr in ("pop", "get") and node.args and isinstance(node.args[0], ast.Constant)):
                names.append(node.args[0].value)
            for k in node.keywords:
                if k.arg is None and isinstance(k.value, ast.Name) and k.value.id == kw and not allow_forwarding:
                    return None  # forwarded: anything goes
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == kw:
            if isinstance(node.slice, ast.Constant):
                names.append(node.slice.value)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            if isinstance(node.left, ast.Constant) and isinstance(node.comparators[0], ast.Name) and node.comparators[0].id == kw:
                names.append(node.left.value)
    return [n for n in dict.fromkeys(names) if isinstance(n, str)]


def divisibility_rules(fns: list[ast.FunctionDef], attrs: dict[str, int]) -> list[dict]:
    """`if height % 16 != 0 ...: raise/logger.warning(...)` checks found in the given functions.

    Returns [{"var", "mod", "rem", "raises"}]; moduli like ``self.vae_scale_factor * 2`` are evaluated with
    ``attrs`` (the stand-in's nominal attribute values); unevaluable ones are skipped.
    """

    def ev(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
            return attrs.get(n.attr)
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            if a is None or b is None:
                return None
            if isinstance(n.op, ast.Mult):
                return a * b
            if isinstance(n.op, ast.Add):
                return a + b
            if isinstance(n.op, ast.Pow):
                return a**b
        return None

    rules: list[dict] = []
    for fn in fns:
        for node in ast.walk(fn):
            if not isinstance(node, ast.If):
                continue
            tests = node.test.values if isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.Or) else [node.test]
            raises = any(isinstance(x, ast.Raise) for stmt in node.body for x in ast.walk(stmt))
            for t in tests:
                if not (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.NotEq)):
                    continue
                left, right = t.left, t.comparators[0]
                if not (isinstance(left, ast.BinOp) and isinstance(left.op, ast.Mod) and isinstance(left.left, ast.Name)):
                    continue
                var = left.left.id
                if var not in ("height", "width", "num_frames"):
                    continue
                mod, rem = ev(left.right), ev(right)
                if mod and rem is not None:
                    r = {"var": var, "mod": mod, "rem": rem, "raises": raises}
                    if r not in rules:
                        rules.append(r)
    return rules


def literal_or_marker(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except Exception:
        try:
            return Unevaluated(ast.unparse(node))
        except Exception:  # pragma: no cover
            return Unevaluated("<expr>")


def signature_of(fn: ast.FunctionDef, drop_first: bool = True) -> inspect.Signature:
    """Build an ``inspect.Signature`` equivalent to the real function's parameter list."""
    a = fn.args
    P = inspect.Parameter
    params: list[inspect.Parameter] = []
    positional = list(a.posonlyargs) + list(a.args)
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for i, (arg, d) in enumerate(zip(positional, defaults)):
        if drop_first and i == 0:
            continue
        kind = P.POSITIONAL_ONLY if i < len(a.posonlyargs) else P.POSITIONAL_OR_KEYWORD
        params.append(P(arg.arg, kind, default=P.empty if d is None else literal_or_marker(d)))
    if a.vararg:
        params.append(P(a.vararg.arg, P.VAR_POSITIONAL))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults):
        params.append(P(arg.arg, P.KEYWORD_ONLY, default=P.empty if d is None else literal_or_marker(d)))
    if a.kwarg:
        params.append(P(a.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)


@functools.lru_cache(maxsize=None)
def real_diffusers() -> RealSource:
    return RealSource("diffusers")


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
