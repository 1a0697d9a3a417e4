"""Discussions and PRs: list, details, create, create_pull_request, comment, status, merge."""

import pytest
from huggingface_hub import CommitOperationAdd
from huggingface_hub.errors import HfHubHTTPError


def test_create_discussion_and_comment_show_up_in_details(api, other_api, model):
    d = other_api.create_discussion(model, "Demo is broken", description="It fails on start")
    assert (d.num, d.is_pull_request, d.status, d.author) == (1, False, "open", "other-user")
    c = other_api.comment_discussion(model, d.num, "More details")
    assert c.content == "More details"
    details = api.get_discussion_details(model, d.num)
    assert [e.type for e in details.events] == ["comment", "comment"]
    assert details.events[0].content == "It fails on start"


def test_create_pull_request_starts_as_a_draft_with_its_ref(api, model):
    pr = api.create_pull_request(model, "Bot update", description="Regenerated")
    assert pr.is_pull_request and pr.status == "draft"
    assert pr.git_reference == f"refs/pr/{pr.num}"
    assert pr.target_branch == "refs/heads/main"
    assert api.model_info(model, revision=pr.git_reference).sha == api.model_info(model).sha


def test_get_repo_discussions_filters_and_orders_newest_first(api, other_api, model):
    first = other_api.create_discussion(model, "Question one", description="q")
    pr = api.create_pull_request(model, "A change", description="c")
    nums = [d.num for d in api.get_repo_discussions(model)]
    assert nums == [pr.num, first.num]
    assert [d.num for d in api.get_repo_discussions(model, discussion_type="pull_request")] == [pr.num]
    assert [d.num for d in api.get_repo_discussions(model, author="other-user")] == [first.num]
    assert [d.num for d in api.get_repo_discussions(model, discussion_status="closed")] == []


def test_listing_pages_past_fifty(api, model):
    for i in range(53):
        api.create_discussion(model, f"Question number {i}", description="q")
    assert len(list(api.get_repo_discussions(model))) == 53


def test_change_discussion_status_closes_and_reopens(api, model):
    d = api.create_discussion(model, "To close", description="x")
    event = api.change_discussion_status(model, d.num, "closed", comment="done")
    assert event.new_status == "closed"
    assert api.get_discussion_details(model, d.num).status == "closed"
    api.change_discussion_status(model, d.num, "open")
    assert api.get_discussion_details(model, d.num).status == "open"


def test_rename_and_edit_comment(api, model):
    d = api.create_discussion(model, "Old title", description="first")
    renamed = api.rename_discussion(model, d.num, "New title")
    assert (renamed.old_title, renamed.new_title) == ("Old title", "New title")
    c = api.comment_discussion(model, d.num, "typo")
    edited = api.edit_discussion_comment(model, d.num, c.id, "fixed")
    assert edited.content == "fixed" and edited.edited


def test_merge_pull_request_moves_main(api, model):
    pr = api.create_pull_request(model, "Add file", description="adds z")
    api.create_commit(model, [CommitOperationAdd("z.txt", b"z")], commit_message="z", revision=pr.git_reference)
    api.change_discussion_status(model, pr.num, "open")
    api.merge_pull_request(model, pr.num, comment="thanks")
    details = api.get_discussion_details(model, pr.num)
    assert details.status == "merged"
    assert details.merge_commit_oid == api.model_info(model).sha
    assert "z.txt" in api.list_repo_files(model)


def test_merging_without_write_access_is_403(api, other_api, model):
    pr = other_api.create_commit(model, [CommitOperationAdd("o.txt", b"o")], commit_message="mine", create_pr=True)
    with pytest.raises(HfHubHTTPError) as err:
        other_api.merge_pull_request(model, pr.pr_num)
    assert err.value.response.status_code == 403


def test_titles_are_trimmed_and_details_equal_what_creation_returned(api, model):
    d = api.create_discussion(model, "  Padded title !  ", description="x")
    assert d.title == "Padded title !"
    assert api.get_discussion_details(model, d.num) == d


def test_an_edited_comment_equals_the_comment_in_the_details(api, model):
    pr = api.create_pull_request(model, "Edit me", description="original")
    first = [e for e in pr.events if e.type == "comment"][0]
    edited = api.edit_discussion_comment(model, pr.num, first.id, "**Edited** comment")
    again = [e for e in api.get_discussion_details(model, pr.num).events if e.type == "comment"][0]
    assert again == edited
    assert (again.id, again.edited, again.content) == (first.id, True, "**Edited** comment")


def test_an_unknown_status_is_refused_by_the_client(api, model):
    d = api.create_discussion(model, "Status", description="x")
    with pytest.raises(ValueError):
        api.change_discussion_status(model, d.num, "published")
