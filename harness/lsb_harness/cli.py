"""CLI: python -m lsb_harness {check,serve} --app DIR/app.py --files FILES.txt [...]"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from pathlib import Path

EXIT_OK = 0
EXIT_APP_ERROR = 1  # app failed to import/build (serve) or verdict not ok (check)
EXIT_USAGE = 2
EXIT_NO_LAUNCH = 3  # serve: app.py ran to the end without calling launch()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lsb_harness", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, help_ in (("check", "import app.py and build its Blocks; print a JSON verdict"),
                        ("serve", "run app.py and serve its Gradio app on host:port"),
                        ("smoke", "serve on a free 127.0.0.1 port, call every public endpoint once, print a JSON report")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--app", required=True, help="path to the generated app.py")
        s.add_argument("--files", action="append", default=[], metavar="[REPO=]FILES.txt",
                       help="LoRA repo file list, one path per line; without REPO= it applies to the first LoRA repo loaded. Repeatable.")
        s.add_argument("--requirements", default=None,
                       help="the Space's requirements.txt (default: next to app.py if present; 'none' to skip the checks)")
        if name == "serve":
            s.add_argument("--port", type=int, required=True, help="0 = a free port (the ready line gives the URL)")
            s.add_argument("--host", default="127.0.0.1")
        elif name == "check":
            s.add_argument("--strict", action="store_true", help="violations make ok=false too")
        else:
            s.add_argument("--timeout", type=float, default=120, help="seconds for startup and for each call")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    app = Path(args.app)
    if not app.is_file():
        print(f"lsb_harness: no such app file: {app}", file=sys.stderr)
        return EXIT_USAGE
    if args.cmd == "check":
        return cmd_check(app, args)
    if args.cmd == "smoke":
        from . import smoke

        report = smoke.run(app, args.files, args.requirements, args.timeout)
        print(json.dumps(report, indent=2, default=repr))
        return EXIT_OK if report["ok"] else EXIT_APP_ERROR
    return cmd_serve(app, args)


def _static_requirement_check(app: Path):
    from . import reqcheck
    from .state import STATE

    declared = STATE.__dict__.get("declared_requirements")
    if declared is None:
        return
    local = {p.stem for p in app.parent.glob("*.py")} | {p.name for p in app.parent.iterdir() if p.is_dir()}
    for m in reqcheck.missing_requirements(app.read_text(encoding="utf-8"), declared, local):
        STATE.violation(
            "missing_requirement",
            f"app.py line {m['line']} imports '{m['module']}' but requirements.txt does not list '{m['pip']}' "
            "(nor does any platform package provide it)",
        )
    if "load_lora_weights" in app.read_text(encoding="utf-8") and "peft" not in declared:
        STATE.violation(
            "missing_backend",
            "app.py loads LoRA weights but requirements.txt does not list 'peft': diffusers raises "
            "'PEFT backend is required for this method.' at start-up (no import names it)",
        )
    for bad in sorted({"gradio", "spaces"} & declared):
        STATE.violation("platform_requirement", f"requirements.txt lists '{bad}', which the Space platform provides (remove it)")


def cmd_check(app: Path, args) -> int:
    from . import runner
    from .state import STATE

    # stdout carries only the JSON verdict: whatever the app or Gradio prints goes to stderr
    with contextlib.redirect_stdout(sys.stderr):
        ok, v = _check(app, args, runner, STATE)
    print(json.dumps(v, indent=2, default=repr))
    return EXIT_OK if ok else EXIT_APP_ERROR


def _check(app, args, runner, STATE):
    try:
        runner.prepare(app, args.files, args.requirements)
    except runner.HarnessError as e:
        return False, runner.verdict(False, f"usage: {e}", "usage")
    _static_requirement_check(app)

    def launch_impl(blocks, real_launch, kwargs):
        return (None, "http://127.0.0.1:0/", None)  # build only

    captured = {}
    error = kind = None
    try:
        captured = runner.exec_app(app, launch_impl)
    except SystemExit as e:
        error, kind = f"SystemExit({e.code}) raised while importing app.py", "app"
    except BaseException as e:  # noqa: BLE001 - everything the app raises is the verdict
        traceback.print_exc()
        error, kind = runner.describe_exception(e)
    if error is None:
        STATE.phase = "serve"
        runner.analyse(captured.get("blocks"), captured.get("globals") or {})
    ok = error is None and (not args.strict or not STATE.violations)
    return ok, runner.verdict(ok, error, kind)


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _launch_on_a_free_port(blocks, real_launch, forced: dict, args) -> int:
    """`--port N` launches on N; `--port 0` picks a free port and, when another process takes it
    between the pick and Gradio's bind (Gradio raises OSError "Cannot find empty port"), picks again."""
    attempts = 1 if args.port else 5
    for attempt in range(attempts):
        port = args.port or _free_port(args.host)
        forced["server_port"] = port
        try:
            real_launch(blocks, **forced)
            return port
        except OSError as e:
            if attempt == attempts - 1:
                raise
            print(f"lsb_harness: port {port} was taken ({e}); trying another", file=sys.stderr, flush=True)
    raise AssertionError("unreachable")


def cmd_serve(app: Path, args) -> int:
    from . import runner
    from .state import STATE

    try:
        runner.prepare(app, args.files, args.requirements)
    except runner.HarnessError as e:
        print(f"lsb_harness: {e}", file=sys.stderr)
        return EXIT_USAGE
    _static_requirement_check(app)

    launched = {}

    def launch_impl(blocks, real_launch, kwargs):
        import importlib.util

        forced = dict(kwargs)
        forced.update(server_name=args.host, server_port=args.port, share=False, ssr_mode=False, show_error=True,
                      inbrowser=False, prevent_thread_lock=True, quiet=False)
        forced.pop("auth", None)
        if forced.get("mcp_server") and importlib.util.find_spec("mcp") is None:
            STATE.warn("launch(mcp_server=True) ignored: the 'mcp' package is not installed in the harness")
            forced["mcp_server"] = False
        STATE.phase = "serve"
        runner.analyse(blocks, {})
        port = _launch_on_a_free_port(blocks, real_launch, forced, args)
        launched["blocks"] = blocks
        v = runner.verdict(True, None)
        v["url"] = f"http://{args.host}:{port}/"
        print("LSB_HARNESS_READY " + json.dumps(v, default=repr), flush=True)
        try:
            blocks.block_thread()
        except KeyboardInterrupt:
            pass
        raise SystemExit(0)

    try:
        runner.exec_app(app, launch_impl)
    except SystemExit as e:
        if launched:
            return EXIT_OK if not e.code else int(e.code) if isinstance(e.code, int) else EXIT_APP_ERROR
        print(f"lsb_harness: app.py exited during startup: SystemExit({e.code})", file=sys.stderr)
        return EXIT_APP_ERROR
    except BaseException as e:  # noqa: BLE001
        traceback.print_exc()
        msg, kind = runner.describe_exception(e)
        print(f"LSB_HARNESS_STARTUP_ERROR ({kind}) {msg}", file=sys.stderr, flush=True)
        return EXIT_APP_ERROR
    if not launched:
        print("lsb_harness: app.py finished without calling demo.launch(); nothing to serve", file=sys.stderr)
        return EXIT_NO_LAUNCH
    return EXIT_OK
