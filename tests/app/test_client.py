"""The Python client against the real service: typed results, typed problems, and the
wait for a service that is still loading."""

from pathlib import Path

import httpx
import pytest

from app.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    InvalidRequestError,
    NotFoundError,
    NotReadyError,
)
from app.main import create_app
from tests.app.live_server import live_server
from tests.app.service import blank_page, service_settings
from tests.app.signature_images import digit_indices, page, png


def test_the_sync_client_enrols_verifies_identifies_and_deletes_over_http(
    tmp_path: Path, signature_checkpoint: Path
) -> None:
    settings = service_settings(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", signature_checkpoint
    )
    sevens, ones = digit_indices()[7], digit_indices()[1]
    scan = tmp_path / "seven.png"
    scan.write_bytes(png(sevens[0]))
    with live_server(settings) as url:
        key = (tmp_path / "default-api-key").read_text().strip()
        with Client(url, key) as client:
            # a path, bytes and a PIL image; the blank page is refused with its reason
            enrolled = client.enroll(
                [scan, png(sevens[1]), page(sevens[2]), blank_page()],
                modality="signature",
                external_id="writer-7",
            )
            assert enrolled.subject.external_id == "writer-7"
            assert enrolled.subject_created is True
            assert enrolled.accepted == 3
            assert [(image.index, image.reason) for image in enrolled.rejected] == [
                (3, "no-signature-found")
            ]
            genuine = client.verify(png(sevens[3]), modality="signature", external_id="writer-7")
            impostor = client.verify(png(ones[0]), modality="signature", external_id="writer-7")
            assert (genuine.match, impostor.match) == (True, False)
            assert genuine.score >= genuine.threshold > impostor.score
            assert genuine.subject is not None
            assert genuine.subject.id == enrolled.subject.id
            assert genuine.references_compared == 3
            assert genuine.decision.operating_point == "far_5e-02"
            pair = client.verify(png(sevens[3]), image_b=png(sevens[4]), modality="signature")
            assert pair.subject is None
            assert pair.references_compared == 1

            found = client.identify(png(sevens[3]), modality="signature")
            assert [c.subject.external_id for c in found.candidates] == ["writer-7"]
            assert not found.unknown
            assert client.identify(png(ones[1]), modality="signature").unknown

            assert [s.external_id for s in client.subjects()] == ["writer-7"]
            client.delete_subject(enrolled.subject.id)
            assert client.subjects() == []
            with pytest.raises(NotFoundError) as missing:
                client.verify(png(sevens[3]), modality="signature", external_id="writer-7")
            assert missing.value.status == 404
            assert missing.value.slug == "subject-not-found"
            assert missing.value.type == "/problems/subject-not-found"
            assert "writer-7" in missing.value.detail
            with pytest.raises(InvalidRequestError) as refused:
                client.identify(blank_page(), modality="signature")
            assert refused.value.slug == "no-signature-found"
        with Client(url, "tv_not-a-key") as stranger, pytest.raises(AuthenticationError) as bad:
            stranger.whoami()
        assert bad.value.slug == "invalid-api-key"


class _StillLoading(httpx.AsyncBaseTransport):
    """The first ``loading`` calls answer as a service still loading its models."""

    def __init__(self, inner: httpx.AsyncBaseTransport, loading: int) -> None:
        self.inner, self.loading, self.statuses = inner, loading, list[int]()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.loading > 0:
            self.loading -= 1
            self.statuses.append(503)
            problem = {"type": "/problems/not-ready", "title": "Service not ready", "status": 503}
            headers = {"Retry-After": "0", "Content-Type": "application/problem+json"}
            return httpx.Response(503, json=problem, headers=headers)
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


@pytest.mark.anyio
async def test_the_async_client_waits_for_a_loading_service_and_gives_up_at_its_timeout(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    settings = service_settings(tmp_path, database_url, signature_checkpoint)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        loading = _StillLoading(httpx.ASGITransport(app=app), loading=2)
        key = (tmp_path / "default-api-key").read_text().strip()
        async with AsyncClient("http://twinverify", key, transport=loading) as client:
            identity = await client.whoami()
            assert identity["gallery"] == "default"
            assert loading.statuses == [503, 503, 200]
            result = await client.enroll(
                [png(i) for i in digit_indices()[7][:2]], modality="signature", external_id="w"
            )
            assert result.accepted == 2
        loading.loading = 1
        async with AsyncClient(
            "http://twinverify", key, transport=loading, ready_timeout=0
        ) as impatient:
            with pytest.raises(NotReadyError) as not_ready:
                await impatient.whoami()
        assert not_ready.value.slug == "not-ready"
