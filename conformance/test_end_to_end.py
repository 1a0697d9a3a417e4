"""End to end, driven by the official client: huggingface_hub pushes a new model card to a
LoRA on the simulator; the simulator fires the webhook; our receiver, RabbitMQ and worker
(`lora-space-bot run`, a real process on a real broker) open the PR; huggingface_hub then sees it
with get_repo_discussions. Needs LSB_BIN (set by run.sh) and RabbitMQ on 127.0.0.1:5672."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import OTHER, unique

CARD = (Path(__file__).resolve().parent.parent.parent / "shared/fixtures/cards/02-flux-dev-dreambooth-corgi/README.md").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bot(endpoint, tmp_path):
    """`lora-space-bot run` linked to a fresh LoRA and Space, as the bot user `other-user`."""
    binary = os.environ.get("LSB_BIN")
    if not binary:
        pytest.skip("LSB_BIN is not set (conformance/run.sh sets it)")
    lora, space = unique("e2e-lora"), unique("e2e-demo")
    port = _free_port()
    config = tmp_path / "e2e.toml"
    config.write_text(f'[receiver]\nlisten = "127.0.0.1:{port}"\ndebounce_secs = 0\n\n[[links]]\nlora = "{lora}"\nspace = "{space}"\n')
    secret = uuid.uuid4().hex
    env = dict(os.environ, HF_ENDPOINT=endpoint, HF_TOKEN=OTHER[1], WEBHOOK_SECRET=secret, LSB_SIGNING_KEY="e2e-key",
               AMQP_URL=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
               LSB__AMQP__PREFIX=f"conf-e2e-{uuid.uuid4().hex[:8]}", LSB__TELEMETRY__FILTER="warn")
    log = open(tmp_path / "bot.log", "w")
    proc = subprocess.Popen([binary, "--config", str(config), "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if urllib.request.urlopen(f"{url}/readyz", timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.terminate()
        pytest.fail("lora-space-bot run did not become ready: " + (tmp_path / "bot.log").read_text())
    yield {"lora": lora, "space": space, "url": f"{url}/webhooks/hub", "secret": secret, "log": tmp_path / "bot.log"}
    proc.terminate()
    proc.wait(timeout=30)


def test_a_card_pushed_with_huggingface_hub_ends_in_a_pr_the_client_can_see(api, bot):
    from huggingface_hub import WebhookWatchedItem

    api.create_repo(bot["lora"])
    api.upload_file(path_or_fileobj=b"weights", path_in_repo="pytorch_lora_weights.safetensors", repo_id=bot["lora"])
    api.create_repo(bot["space"], repo_type="space", space_sdk="gradio")
    api.create_webhook(url=bot["url"], watched=[WebhookWatchedItem(type="model", name=bot["lora"])], domains=["repo"], secret=bot["secret"])

    api.upload_file(path_or_fileobj=CARD.encode(), path_in_repo="README.md", repo_id=bot["lora"], commit_message="Add the model card")

    prs = []
    deadline = time.time() + 60
    while time.time() < deadline and not prs:
        prs = [d for d in api.get_repo_discussions(repo_id=bot["space"], repo_type="space") if d.is_pull_request]
        time.sleep(0.2)
    assert prs, "no PR appeared; bot log:\n" + bot["log"].read_text()
    assert len(prs) == 1
    pr = prs[0]
    assert pr.author == OTHER[0]
    assert pr.title.startswith("[lora-space-bot] Sync with " + bot["lora"] + "@")
    files = api.list_repo_files(bot["space"], repo_type="space", revision=pr.git_reference)
    assert {"app.py", "requirements.txt", "README.md"} <= set(files)
    app = open(api.hf_hub_download(bot["space"], "app.py", repo_type="space", revision=pr.git_reference)).read()
    assert "FluxPipeline" in app and '"a photo of TOK corgi"' in app
    main_files = api.list_repo_files(bot["space"], repo_type="space")
    assert "app.py" not in main_files, "main is never written"
