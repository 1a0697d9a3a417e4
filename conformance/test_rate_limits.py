"""Rate limits (hub-constraints.md §2): huggingface_hub sees the simulator's 429 and
`RateLimit` headers as from the Hub, and its paging (`http_backoff`) waits for the reset the
header names, then succeeds. The quotas are shrunk through `/_sim/rate-limits` and restored."""

import json
import time
import urllib.request
import uuid

import pytest
from huggingface_hub.errors import HfHubHTTPError


def _set_limits(endpoint: str, **limits) -> None:
    req = urllib.request.Request(f"{endpoint}/_sim/rate-limits", data=json.dumps(limits).encode(), headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(req) as r:
        assert r.status == 200


def _calls(endpoint: str) -> list[dict]:
    with urllib.request.urlopen(f"{endpoint}/_sim/calls") as r:
        return json.load(r)


@pytest.fixture
def limits(endpoint):
    yield lambda **kw: _set_limits(endpoint, **kw)
    _set_limits(endpoint)  # the Hub's quotas again


def test_rate_limit_429_reaches_the_client_as_the_hubs_error(api, model, limits):
    limits(api=2, window_secs=300)
    api.model_info(model)
    api.model_info(model)
    with pytest.raises(HfHubHTTPError) as err:
        api.model_info(model)
    resp = err.value.response
    assert resp.status_code == 429
    assert resp.headers["RateLimit-Policy"] == '"fixed window";"api";q=2;w=300'
    assert resp.headers["RateLimit"].startswith('"api";r=0;t=')
    assert "Retry-After" not in resp.headers
    text = str(err.value)
    assert "429 Too Many Requests: you have reached your 'api' rate limit." in text
    assert "(0/2 requests remaining in current 300s window)" in text
    assert "quota of 2 api requests per 5 minutes period" in text


def test_rate_limit_paging_waits_for_the_reset_and_succeeds(api, endpoint, limits):
    mark = uuid.uuid4().hex[:10]
    models = [f"sim-user/rl-{mark}-{n}" for n in ("a", "b", "c")]
    for repo_id in models:
        api.create_repo(repo_id)
    # One api call per 2 s window: the second page (pages hold 2 entries) gets 429.
    limits(api=1, window_secs=2)
    before = len(_calls(endpoint))
    started = time.monotonic()
    assert [m.id for m in api.list_models(search=mark)] == models
    took = time.monotonic() - started
    listing = [c for c in _calls(endpoint)[before:] if c["path"] == "/api/models"]
    assert [c["status"] for c in listing] == [200, 429, 200], listing
    assert took >= 2, f"waited for the reset: t >= 1 s plus the client's 1 s: {took:.1f}s"
