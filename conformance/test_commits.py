"""Commits: create_commit (create_pr, refs/pr/N revision, parent_commit, deletions) and upload_file."""

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete
from huggingface_hub.errors import HfHubHTTPError


def test_upload_file_returns_commit_info_on_main(api, model):
    info = api.upload_file(path_or_fileobj=b"print(1)\n", path_in_repo="app.py", repo_id=model, commit_message="Add app")
    assert len(info.oid) == 40
    assert info.commit_url.endswith(f"/{model}/commit/{info.oid}")
    assert info.pr_url is None
    assert api.model_info(model).sha == info.oid


def test_create_commit_with_create_pr_opens_a_pr_and_leaves_main(api, other_api, space):
    main_before = api.space_info(space).sha
    info = other_api.create_commit(
        space,
        [CommitOperationAdd("app.py", b"import gradio as gr  # v2\n")],
        commit_message="Bot update",
        commit_description="Regenerated files",
        repo_type="space",
        create_pr=True,
    )
    assert info.pr_num == 1
    assert info.pr_revision == "refs/pr/1"
    assert info.pr_url.endswith(f"/spaces/{space}/discussions/1")
    assert api.space_info(space).sha == main_before
    assert api.space_info(space, revision="refs/pr/1").sha == info.oid


def test_create_commit_to_a_pr_revision_adds_a_commit_event(api, space):
    pr = api.create_commit(space, [CommitOperationAdd("a.txt", b"1")], commit_message="open", repo_type="space", create_pr=True)
    second = api.create_commit(space, [CommitOperationAdd("b.txt", b"2")], commit_message="more", repo_type="space", revision=pr.pr_revision)
    details = api.get_discussion_details(space, pr.pr_num, repo_type="space")
    commits = [e for e in details.events if e.type == "commit"]
    assert [c.oid for c in commits] == [pr.oid, second.oid]
    assert commits[-1].summary == "more"
    assert commits[-1].author == "sim-user"
    assert sorted(api.list_repo_files(space, repo_type="space", revision=pr.pr_revision)) == [".gitattributes", "README.md", "a.txt", "app.py", "b.txt"]


def test_create_commit_with_stale_parent_commit_is_412(api, model):
    old = api.model_info(model).sha
    api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=model)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_commit(model, [CommitOperationAdd("y.txt", b"y")], commit_message="stale", parent_commit=old)
    assert err.value.response.status_code == 412


def test_create_commit_with_current_parent_commit_succeeds(api, model):
    head = api.model_info(model).sha
    info = api.create_commit(model, [CommitOperationAdd("y.txt", b"y")], commit_message="fresh", parent_commit=head)
    assert api.model_info(model).sha == info.oid


def test_create_commit_deletes_files_and_folders(api, model):
    api.create_commit(model, [CommitOperationDelete("sub/"), CommitOperationDelete("README.md")], commit_message="clean")
    assert api.list_repo_files(model) == [".gitattributes"]


def test_unchanged_files_are_skipped_as_no_op(api, model):
    head = api.model_info(model).sha
    info = api.upload_file(path_or_fileobj=b"weights", path_in_repo="sub/dir/w.txt", repo_id=model)
    assert info.oid == head


def test_readme_with_invalid_space_metadata_is_rejected_before_commit(api, space):
    readme = b"---\nsdk: gradio\nshort_description: " + b"x" * 61 + b"\n---\n"
    with pytest.raises((ValueError, HfHubHTTPError)):
        api.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=space, repo_type="space")


def test_hf_hub_download_reads_a_pr_revision_of_a_space(api, space, tmp_path):
    from huggingface_hub import hf_hub_download

    pr = api.create_commit(space, [CommitOperationAdd("app.py", b"v2\n")], commit_message="v2", repo_type="space", create_pr=True)
    path = hf_hub_download(space, "app.py", repo_type="space", revision=pr.pr_revision, cache_dir=tmp_path)
    assert open(path, "rb").read() == b"v2\n"


def test_a_pr_against_a_commit_id_or_a_missing_branch_is_revision_not_found(api, model):
    from huggingface_hub.errors import RevisionNotFoundError

    head = api.model_info(model).sha
    for revision in (head, "missing_branch"):
        with pytest.raises(RevisionNotFoundError):
            api.create_commit(model, [CommitOperationAdd("f.txt", b"c")], commit_message="pr", revision=revision, create_pr=True)


def test_a_commit_to_a_missing_repo_is_repository_not_found(api):
    from huggingface_hub.errors import RepositoryNotFoundError

    with pytest.raises(RepositoryNotFoundError):
        api.create_commit("sim-user/repo-that-does-not-exist", [CommitOperationAdd("c.json", b"{}")], commit_message="x")


def test_a_stale_parent_commit_names_the_hubs_message(api, model):
    old = api.model_info(model).sha
    api.upload_file(path_or_fileobj=b"new", path_in_repo="n.txt", repo_id=model)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_commit(model, [CommitOperationAdd("b", b"b")], commit_message="c", parent_commit=old)
    assert "The branch was updated since you opened this page. Please refresh and try again." in str(err.value)
