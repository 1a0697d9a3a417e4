"""Process-wide record of what the app did while it ran against the stand-ins."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


class StandInGap(AttributeError):
    """The app used something the stand-ins do not simulate (a harness limitation, not an app bug)."""


@dataclass
class HarnessState:
    # LoRA repo -> list of files in it ("" key = default list for the first LoRA repo loaded)
    lora_files: dict[str, list[str]] = field(default_factory=dict)
    pipelines: list[dict] = field(default_factory=list)
    lora_loads: list[dict] = field(default_factory=list)
    gpu_functions: list[dict] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    launch_kwargs: dict | None = None
    phase: str = "import"  # "import" while app.py runs at module level, then "serve"
    _gpu_depth: threading.local = field(default_factory=threading.local)

    # ---- GPU context (per thread: Gradio runs handlers in worker threads) ----
    def gpu_depth(self) -> int:
        return getattr(self._gpu_depth, "n", 0)

    def enter_gpu(self) -> None:
        self._gpu_depth.n = self.gpu_depth() + 1

    def exit_gpu(self) -> None:
        self._gpu_depth.n = max(0, self.gpu_depth() - 1)

    def violation(self, code: str, message: str) -> None:
        v = {"code": code, "message": message}
        if v not in self.violations:
            self.violations.append(v)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def files_for(self, repo: str) -> list[str] | None:
        if repo in self.lora_files:
            return self.lora_files[repo]
        if "" in self.lora_files:
            claimed = {d["repo"] for d in self.lora_loads if d.get("default_list")}
            if not claimed or repo in claimed:
                return self.lora_files[""]
        return None


STATE = HarnessState()

