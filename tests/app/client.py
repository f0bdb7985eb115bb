"""An httpx client wired to a real application instance (lifespan included)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from app.core.config import Settings
from app.main import create_app


@asynccontextmanager
async def client_for(
    settings: Settings, ready: bool = False, client_address: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """``ready``: return only once /health/ready says so (models and matrices loaded);
    ``client_address``: the peer address the app sees (loopback unless told)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(client_address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://twinverify") as client:
            if ready:
                await wait_until_ready(client)
            yield client


async def wait_until_ready(client: httpx.AsyncClient, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get("/health/ready")
        if response.status_code == 200:
            return
        body = response.json()
        if "start-up failed" in body.get("detail", ""):
            raise AssertionError(body["detail"])
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not ready after {timeout} s: {body}")
        await asyncio.sleep(0.05)
