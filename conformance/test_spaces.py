"""Spaces: create_repo(space), runtime, duplicate_repo (duplicate_space before 2.x), secrets, variables, delete_repo."""

import time

import pytest
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError


def _wait_for_stage(api, repo_id, stage, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runtime = api.get_space_runtime(repo_id)
        if runtime.stage == stage:
            return runtime
        time.sleep(0.05)
    raise AssertionError(f"{repo_id} never reached {stage}")


def test_create_repo_space_returns_its_url(api, endpoint):
    url = api.create_repo("sim-user/fresh-space", repo_type="space", space_sdk="gradio", exist_ok=True)
    assert url == f"{endpoint}/spaces/sim-user/fresh-space"
    assert url.repo_type == "space"
    assert api.get_space_runtime("sim-user/fresh-space").stage == "NO_APP_FILE"


def test_create_repo_twice_is_a_conflict_unless_exist_ok(api):
    api.create_repo("sim-user/twice", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo("sim-user/twice")
    assert err.value.response.status_code == 409
    api.create_repo("sim-user/twice", exist_ok=True)


def test_get_space_runtime_reaches_running(api, space):
    runtime = _wait_for_stage(api, space, "RUNNING")
    assert runtime.hardware == "cpu-basic"


def test_duplicate_repo_of_a_space_copies_files(api, other_api, space):
    url = other_api.duplicate_repo(space, to_id="other-user/copy", repo_type="space", private=True, exist_ok=True)
    assert url.repo_id == "other-user/copy"
    assert "app.py" in other_api.list_repo_files("other-user/copy", repo_type="space")
    assert other_api.space_info("other-user/copy").private is True


def test_add_space_secret_and_variable(api, space):
    api.add_space_secret(space, "HF_TOKEN", "hf_xyz", description="gated base")
    variables = api.add_space_variable(space, "MODEL_ID", "a/b", description="the LoRA")
    assert variables["MODEL_ID"].value == "a/b"
    assert variables["MODEL_ID"].description == "the LoRA"
    assert "MODEL_ID" in api.get_space_variables(space)
    api.delete_space_secret(space, "HF_TOKEN")
    api.delete_space_variable(space, "MODEL_ID")
    assert "MODEL_ID" not in api.get_space_variables(space)


def test_delete_repo_removes_it(api):
    repo_id = "sim-user/to-delete"
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True)
    api.delete_repo(repo_id, repo_type="space")
    with pytest.raises(RepositoryNotFoundError):
        api.space_info(repo_id)


def test_secrets_can_be_updated_and_deleting_a_missing_key_does_not_fail(api, space):
    api.add_space_secret(space, "foo", "123")
    api.add_space_secret(space, "foo", "789", description="This is a secret")
    api.delete_space_secret(space, "foo")
    api.delete_space_secret(space, "missing_key")


def test_variables_are_upserted_and_listed(api, space):
    api.add_space_variable(space, "foo", "123")
    api.add_space_variable(space, "MODEL_REPO_ID", "user/repo")
    api.add_space_variable(space, "MODEL_PAPER", "arXiv", description="found it there")
    api.add_space_variable(space, "foo", "456", description="updated description")
    api.delete_space_variable(space, "missing_key")
    variables = api.get_space_variables(space)
    assert len(variables) == 3
    assert (variables["foo"].value, variables["foo"].description) == ("456", "updated description")


def test_pause_then_restart_leaves_the_paused_stage(api):
    repo_id = "sim-user/pausable"
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True)
    api.upload_file(path_or_fileobj=b"", path_in_repo="app.py", repo_id=repo_id, repo_type="space")
    assert api.pause_space(repo_id).stage == "PAUSED"
    api.restart_space(repo_id)
    assert api.get_space_runtime(repo_id).stage != "PAUSED"


def test_a_static_space_starts_with_the_hubs_template_and_duplicates_to_the_callers_namespace(api, other_api):
    src = other_api.create_repo("other-user/static-src", repo_type="space", space_sdk="static", exist_ok=True).repo_id
    other_api.upload_file(path_or_fileobj=b"data", path_in_repo="temp/new_file.md", repo_id=src, repo_type="space")
    files = api.list_repo_files(src, repo_type="space")
    assert files == [".gitattributes", "README.md", "index.html", "style.css", "temp/new_file.md"]
    copy = api.duplicate_repo(src, repo_type="space")
    assert copy.repo_id == "sim-user/static-src"
    assert api.list_repo_files(copy.repo_id, repo_type="space") == files


def test_duplicating_a_missing_space_is_repository_not_found(api):
    with pytest.raises(RepositoryNotFoundError):
        api.duplicate_repo("other-user/repo-that-does-not-exist", repo_type="space")


def test_create_repo_of_a_gradio_space_without_a_paid_plan_is_402(free_api):
    with pytest.raises(HfHubHTTPError) as err:
        free_api.create_repo("free-user/needs-pro", repo_type="space", space_sdk="gradio")
    assert err.value.response.status_code == 402
    free_api.create_repo("free-user/static-page", repo_type="space", space_sdk="static")


def test_a_free_user_may_create_a_zero_gpu_gradio_space(free_api):
    free_api.create_repo("free-user/zero", repo_type="space", space_sdk="gradio", space_hardware="zero-a10g")
    assert free_api.get_space_runtime("free-user/zero").raw["hardware"]["requested"] == "zero-a10g"


def test_request_space_hardware_sets_the_requested_flavour(api):
    api.create_repo("sim-user/hw", repo_type="space", space_sdk="gradio", exist_ok=True)
    runtime = api.request_space_hardware("sim-user/hw", "t4-small")
    assert runtime.requested_hardware == "t4-small"


def test_add_space_secret_is_listed_without_its_value(api):
    api.create_repo("sim-user/with-secret", repo_type="space", space_sdk="gradio", exist_ok=True)
    api.add_space_secret("sim-user/with-secret", "HF_TOKEN", "hf_read_only", description="for gated bases")
    assert api.get_space_runtime("sim-user/with-secret").stage in ("NO_APP_FILE", "BUILDING", "RUNNING")
