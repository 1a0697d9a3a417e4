"""Every family x task the generator supports is run by the tier, runs the same code as a case, or
is a visible gap (strict xfail with its reason). Fast: generates apps, runs none."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cases as C
import coverage as cv
from test_real import BIN

MATRIX = cv.matrix()


def generated_app(tmp, repo: str, task: str, name: str) -> str:
    case = C.Case(name, repo, task, "")
    src, out = tmp / name / "card", tmp / name / "space"
    src.mkdir(parents=True)
    readme, files = C.card(case, case.weights)
    (src / "README.md").write_text(readme)
    (src / "files.txt").write_text(files)
    res = subprocess.run([str(BIN), "plan", "--from-dir", str(src), "--lora", "realtier/probe", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return (out / "app.py").read_text()


def _param(fid: str, repo: str, task: str):
    marks = []
    if (fid, task) in cv.GAPS:
        marks = [pytest.mark.xfail(reason=f"not covered: {cv.GAPS[(fid, task)]}", strict=True)]
    return pytest.param(fid, repo, task, id=f"{fid}:{task}", marks=marks)


@pytest.mark.parametrize("fid,repo,task", [_param(*m) for m in MATRIX])
def test_every_supported_family_and_task_is_covered(fid, repo, task, tmp_path):
    case = cv.case_for(repo, task)
    if case is not None:
        print(f"{fid} {task}: case {case.id}")
        return
    assert (fid, task) in cv.SAME_CODE, f"{fid} x {task} has no case of the real tier"
    rep = next(c for c in C.CASES if c.id == cv.SAME_CODE[(fid, task)])
    mine = cv.code_shape(generated_app(tmp_path, repo, task, "mine"))
    theirs = cv.code_shape(generated_app(tmp_path, rep.base, rep.task, "theirs"))
    assert mine == theirs, f"{fid} x {task} no longer generates the code of case {rep.id}"
    a, b = cv.structure(repo), cv.structure(rep.base)
    if a is not None and b is not None:
        assert a == b, f"{fid}'s base differs from {rep.base} in more than sizes"
    print(f"{fid} {task}: same code as case {rep.id}")


def test_the_matrix_and_the_lists_agree():
    """No stale entries: every SAME_CODE / GAP key is a supported family x task and has no case."""
    keys = {(fid, task) for fid, _, task in MATRIX}
    for key in list(cv.SAME_CODE) + list(cv.GAPS):
        assert key in keys, f"{key} is not a supported family x task"
    assert not set(cv.SAME_CODE) & set(cv.GAPS)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
