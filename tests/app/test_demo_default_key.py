"""The demo page's default key: given only to a browser on this machine, talking to a
service on its embedded defaults in development."""

from pathlib import Path

import pytest

from tests.app.client import client_for
from tests.app.service import service_settings

pytestmark = pytest.mark.anyio


async def test_the_default_key_is_given_only_to_a_local_browser_on_the_embedded_defaults(
    tmp_path: Path, signature_checkpoint: Path
) -> None:
    settings = service_settings(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", signature_checkpoint
    )
    async with client_for(settings) as local:
        given = await local.get("/demo/default-key")
        assert given.status_code == 200
        secret = given.json()["api_key"]
        assert secret == (tmp_path / "default-api-key").read_text().strip()
        proxied = await local.get("/demo/default-key", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 404
    async with client_for(settings, client_address="192.0.2.7") as remote:
        assert (await remote.get("/demo/default-key")).status_code == 404
    production = settings.model_copy(update={"environment": "production"})
    async with client_for(production) as local:
        assert (await local.get("/demo/default-key")).status_code == 404
    (tmp_path / "default-api-key").unlink()
    async with client_for(settings) as local:
        assert (await local.get("/demo/default-key")).status_code == 404
