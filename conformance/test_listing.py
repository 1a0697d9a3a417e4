"""Repo listings: list_models / list_spaces with search, author, limit and full, through the
client's `Link: rel="next"` paging (pages of 2 entries here: SIM_ARGS --tree-page-size 2)."""

import json
import urllib.request
import uuid

import pytest


@pytest.fixture(scope="module")
def listed(api, other_api):
    """Three public models and a Space of sim-user, a private model of other-user, all named
    with one random marker (the session's other tests create repos too)."""
    mark = uuid.uuid4().hex[:10]
    models = [f"sim-user/list-{mark}-{n}" for n in ("a", "b", "c")]
    for repo_id in models:
        api.create_repo(repo_id)
        api.upload_file(path_or_fileobj=b"---\nlibrary_name: diffusers\npipeline_tag: text-to-image\n---\n# x\n", path_in_repo="README.md", repo_id=repo_id)
    secret = f"other-user/list-{mark}-secret"
    other_api.create_repo(secret, private=True)
    space = f"sim-user/list-{mark}-demo"
    api.create_repo(space, repo_type="space", space_sdk="gradio")
    return {"mark": mark, "models": models, "secret": secret, "space": space}


def test_list_models_follows_the_pages_and_hides_others_private_repos(api, anon_api, listed):
    assert [m.id for m in api.list_models(search=listed["mark"])] == listed["models"]
    assert [m.id for m in anon_api.list_models(search=listed["mark"])] == listed["models"]


def test_list_models_filters_by_author_and_the_owner_sees_its_private_repo(api, other_api, listed):
    assert [m.id for m in api.list_models(search=listed["mark"], author="sim-user")] == listed["models"]
    mine = list(other_api.list_models(search=listed["mark"], author="other-user"))
    assert [m.id for m in mine] == [listed["secret"]]
    assert mine[0].private is True


def test_search_is_a_case_insensitive_substring(api, listed):
    assert [m.id for m in api.list_models(search=f"{listed['mark'].upper()}-B")] == [listed["models"][1]]


def test_limit_stops_after_that_many_entries(api, listed):
    assert [m.id for m in api.list_models(search=listed["mark"], limit=2)] == listed["models"][:2]


def test_entries_carry_the_short_fields_and_full_adds_the_files(api, listed):
    short = next(iter(api.list_models(search=listed["models"][0])))
    assert (short.id, short.author, short.pipeline_tag, short.library_name, short.private) == (listed["models"][0], "sim-user", "text-to-image", "diffusers", False)
    assert short.siblings is None
    full = next(iter(api.list_models(search=listed["models"][0], full=True)))
    assert {s.rfilename for s in full.siblings} == {".gitattributes", "README.md"}


def test_list_spaces_filters_and_carries_the_sdk(api, listed):
    spaces = list(api.list_spaces(search=listed["mark"], author="sim-user"))
    assert [(s.id, s.sdk) for s in spaces] == [(listed["space"], "gradio")]


def test_the_next_page_is_an_absolute_link_carrying_the_query(endpoint, listed):
    with urllib.request.urlopen(f"{endpoint}/api/models?search={listed['mark']}") as r:
        page, link = json.load(r), r.headers["Link"]
    assert len(page) == 2
    assert link.startswith(f"<{endpoint}/api/models?") and f"search={listed['mark']}" in link and link.endswith('rel="next"')
    with urllib.request.urlopen(link[1 : link.index(">")]) as r:
        assert [e["id"] for e in json.load(r)] == listed["models"][2:]
        assert r.headers.get("Link") is None
