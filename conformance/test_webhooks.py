"""Webhooks: create_webhook, list_webhooks, get_webhook, update_webhook, enable/disable, delete_webhook."""

import pytest
from huggingface_hub.errors import HfHubHTTPError


def test_webhook_lifecycle(api):
    created = api.create_webhook(
        url="http://127.0.0.1:9/hook",
        watched=[{"type": "model", "name": "sim-user/lora"}],
        domains=["repo", "discussion"],
        secret="s3cret",
    )
    assert created.url == "http://127.0.0.1:9/hook"
    assert created.secret == "s3cret"
    assert created.disabled is False
    assert [(w.type, w.name) for w in created.watched] == [("model", "sim-user/lora")]
    assert created.id in [w.id for w in api.list_webhooks()]

    updated = api.update_webhook(created.id, url="http://127.0.0.1:9/other", watched=[{"type": "user", "name": "sim-user"}], domains=["repo"])
    assert updated.url == "http://127.0.0.1:9/other"
    assert updated.domains == ["repo"]
    assert api.disable_webhook(created.id).disabled is True
    assert api.enable_webhook(created.id).disabled is False
    assert api.get_webhook(created.id).url == "http://127.0.0.1:9/other"

    api.delete_webhook(created.id)
    with pytest.raises(HfHubHTTPError):
        api.get_webhook(created.id)
