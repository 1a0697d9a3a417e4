"""Repo reads: whoami, model_info, space_info, list_repo_files, list_repo_tree, hf_hub_download, errors."""

import pytest
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.hf_api import RepoFile, RepoFolder


def test_whoami_names_the_token_owner(api):
    me = api.whoami()
    assert me["name"] == "sim-user"
    assert me["auth"]["accessToken"]["role"] == "write"


def test_model_info_has_sha_siblings_and_card_data(api, model):
    info = api.model_info(model)
    assert info.id == model
    assert len(info.sha) == 40
    assert {s.rfilename for s in info.siblings} == {".gitattributes", "README.md", "sub/dir/w.txt"}
    assert info.card_data["base_model"] == "x/y"
    assert "lora" in info.tags
    assert info.private is False


def test_model_info_with_file_metadata_has_sizes(api, model):
    info = api.model_info(model, files_metadata=True)
    sizes = {s.rfilename: s.size for s in info.siblings}
    assert sizes["sub/dir/w.txt"] == len(b"weights")


def test_space_info_has_sdk_and_runtime(api, space):
    info = api.space_info(space)
    assert info.sdk == "gradio"
    assert info.runtime is not None
    assert info.runtime.stage in {"BUILDING", "RUNNING"}


def test_list_repo_files_is_recursive(api, model):
    assert sorted(api.list_repo_files(model)) == [".gitattributes", "README.md", "sub/dir/w.txt"]


def test_list_repo_tree_returns_files_and_folders(api, model):
    entries = list(api.list_repo_tree(model, recursive=True))
    folders = sorted(e.path for e in entries if isinstance(e, RepoFolder))
    files = {e.path: e for e in entries if isinstance(e, RepoFile)}
    assert folders == ["sub", "sub/dir"]
    assert files["sub/dir/w.txt"].size == 7
    shallow = [e.path for e in api.list_repo_tree(model, path_in_repo="sub")]
    assert shallow == ["sub/dir"]


def test_hf_hub_download_fetches_the_bytes(model, tmp_path):
    path = hf_hub_download(model, "sub/dir/w.txt", cache_dir=tmp_path)
    assert open(path, "rb").read() == b"weights"


def test_hf_hub_download_of_a_missing_file_is_entry_not_found(model, tmp_path):
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(model, "nope.txt", cache_dir=tmp_path)


def test_missing_repo_is_repository_not_found_anonymously_and_authenticated(api, anon_api):
    with pytest.raises(RepositoryNotFoundError):
        anon_api.model_info("ghost/missing")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("ghost/missing")


def test_private_repo_is_repository_not_found_for_anonymous_callers(api, anon_api):
    repo_id = api.create_repo(f"sim-user/private-{id(api)}", private=True, exist_ok=True).repo_id
    assert api.model_info(repo_id).private is True
    with pytest.raises(RepositoryNotFoundError):
        anon_api.model_info(repo_id)


def test_unknown_revision_is_revision_not_found(api, model):
    with pytest.raises(RevisionNotFoundError):
        api.model_info(model, revision="no-such-branch")


def test_bad_token_is_an_http_401(endpoint):
    from huggingface_hub import HfApi

    with pytest.raises(HfHubHTTPError) as err:
        HfApi(token="hf_bad").whoami()
    assert err.value.response.status_code == 401


def test_model_info_with_expand_returns_only_those_properties(api, model):
    info = api.model_info(model, expand=["sha", "private"])
    assert len(info.sha) == 40
    assert info.private is False
    assert info.siblings is None


def test_update_repo_settings_toggles_visibility_and_gating(api, model, anon_api):
    api.update_repo_settings(model, visibility="private")
    assert api.model_info(model, expand=["private"]).private is True
    api.update_repo_settings(model, visibility="public", gated="manual")
    info = api.model_info(model)
    assert (info.private, info.gated) == (False, "manual")
    assert anon_api.model_info(model).gated == "manual"


def test_create_repo_exist_ok_on_someone_elses_repo_returns_its_url(api, other_api):
    repo_id = other_api.create_repo("other-user/theirs", exist_ok=True).repo_id
    url = api.create_repo(repo_id, exist_ok=True)
    assert url.repo_id == repo_id


def test_delete_repo_of_a_missing_repo_names_repository_not_found_and_missing_ok_passes(api):
    with pytest.raises(RepositoryNotFoundError):
        api.delete_repo("sim-user/repo-that-does-not-exist")
    api.delete_repo("sim-user/repo-that-does-not-exist", missing_ok=True)


def test_list_repo_tree_with_expand_names_each_entrys_last_commit(api, model):
    touched = api.upload_file(path_or_fileobj=b"v2", path_in_repo="sub/dir/w.txt", repo_id=model, commit_message="Retrain")
    later = api.upload_file(path_or_fileobj=b"x", path_in_repo="other.txt", repo_id=model, commit_message="Other")
    tree = {e.path: e for e in api.list_repo_tree(model, recursive=True, expand=True)}
    assert tree["sub/dir/w.txt"].last_commit.oid == touched.oid
    assert tree["sub/dir/w.txt"].last_commit.title == "Retrain"
    assert tree["sub"].last_commit.oid == touched.oid
    assert tree["other.txt"].last_commit.oid == later.oid
    plain = next(e for e in api.list_repo_tree(model) if e.path == "other.txt")
    assert plain.last_commit is None


def test_an_empty_path_lists_the_same_tree_as_the_root_and_an_unknown_one_is_entry_not_found(api, model):
    assert {e.path for e in api.list_repo_tree(model, path_in_repo="")} == {e.path for e in api.list_repo_tree(model)}
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(model, path_in_repo="unknown"))


def test_get_hf_file_metadata_reads_commit_etag_and_size(api, model):
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    meta = get_hf_file_metadata(hf_hub_url(model, "sub/dir/w.txt"))
    assert meta.commit_hash == api.model_info(model).sha
    assert meta.size == 7
    blob = {e.path: e for e in api.list_repo_tree(model, recursive=True)}["sub/dir/w.txt"].blob_id
    assert meta.etag == blob


def test_move_repo_renames_downloads_of_the_old_name_redirect_and_its_api_is_gone(api, model, tmp_path):
    new_id = model + "-moved"
    api.move_repo(from_id=model, to_id=new_id)
    assert api.model_info(new_id).id == new_id
    # hub-api.md "Redirects": a renamed repo's downloads answer a relative redirect (kept auth)
    path = hf_hub_download(model, "sub/dir/w.txt", endpoint=api.endpoint, token=api.token, cache_dir=tmp_path)
    assert open(path, "rb").read() == b"weights"
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(model)
    with pytest.raises(HfHubHTTPError) as taken:
        api.move_repo(from_id=new_id, to_id=new_id)
    assert taken.value.response.status_code == 409
