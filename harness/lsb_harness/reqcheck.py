"""requirements.txt parsing and the static "every import is installable on the Space" check."""

from __future__ import annotations

import ast
import re
import sys

# Packages a Gradio ZeroGPU Space has without listing them (gradio comes from sdk_version).
PLATFORM = {"gradio", "spaces", "huggingface-hub", "torch", "gradio-client"}

# import name -> pip name, where they differ
IMPORT_TO_PIP = {
    "PIL": "pillow",
    "cv2": "opencv-python",
    "controlnet_aux": "controlnet-aux",
    "huggingface_hub": "huggingface-hub",
    "imageio_ffmpeg": "imageio-ffmpeg",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "yaml": "pyyaml",
    "gradio_client": "gradio-client",
    "image_gen_aux": "image-gen-aux",
    "google": "protobuf",
    "attr": "attrs",
    "dateutil": "python-dateutil",
}

# alternatives that satisfy an import
PIP_ALIASES = {
    "opencv-python": {"opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"},
}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirements(text: str) -> set[str]:
    out: set[str] = set()
    for raw in text.splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#") or line.startswith("-"):
            continue
        m = re.search(r"#egg=([A-Za-z0-9_.\-]+)", line)
        if m:
            out.add(norm(m.group(1)))
            continue
        if "://" in line:
            m = re.match(r"^([A-Za-z0-9_.\-]+)\s*@", line)
            if m:
                out.add(norm(m.group(1)))
                continue
            m = re.search(r"github\.com/[^/]+/([A-Za-z0-9_.\-]+?)(?:\.git)?(?:@|$|/)", line)
            if m:
                out.add(norm(m.group(1)))
                continue
            m = re.search(r"/([A-Za-z0-9_]+)-\d[^/]*\.whl", line)
            if m:
                out.add(norm(m.group(1)))
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)", line)
        if m:
            out.add(norm(m.group(1)))
    return out


def _dist_requires_closure(roots: set[str]) -> set[str]:
    """Names of installed distributions reachable from roots through Requires-Dist (best effort)."""
    from importlib import metadata

    seen: set[str] = set()
    todo = list(roots)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        try:
            reqs = metadata.requires(n) or []
        except metadata.PackageNotFoundError:
            continue
        for r in reqs:
            if "extra ==" in r:
                continue
            m = re.match(r"^([A-Za-z0-9_.\-]+)", r)
            if m:
                todo.append(norm(m.group(1)))
    return seen


def _import_to_dists() -> dict[str, set[str]]:
    from importlib import metadata

    out: dict[str, set[str]] = {}
    for mod, dists in metadata.packages_distributions().items():
        out[mod] = {norm(d) for d in dists}
    return out


def top_level_imports(source: str) -> list[tuple[str, int]]:
    tree = ast.parse(source)
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                found.append((a.name.split(".")[0], node.lineno))
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def missing_requirements(source: str, declared: set[str], app_dir_modules: set[str]) -> list[dict]:
    """Imports in app.py that no declared or platform package provides."""
    available = _dist_requires_closure(PLATFORM | declared) | PLATFORM | declared
    mod_dists = _import_to_dists()
    problems = []
    seen = set()
    for mod, line in top_level_imports(source):
        if mod in seen or mod in sys.stdlib_module_names or mod in app_dir_modules or mod == "__future__":
            continue
        seen.add(mod)
        pip = norm(IMPORT_TO_PIP.get(mod, mod))
        candidates = set(PIP_ALIASES.get(pip, {pip})) | mod_dists.get(mod, set())
        if candidates & available:
            continue
        problems.append({"module": mod, "pip": pip, "line": line})
    return problems
