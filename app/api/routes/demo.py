"""The demo page at ``/``: enrol, verify and identify from a browser, through the API.

Plain HTML, CSS and one script from ``app/web/`` (no build step, nothing fetched from
elsewhere: it works offline). The page calls the same ``/v1`` endpoints any client calls,
with the key the user pastes. For the quick start it can fill in the default gallery's key
itself: only in development, only when the service made that key (embedded defaults), and
only for a browser on this machine talking to it directly (loopback, no proxy headers).
"""

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel

from app.api.deps import SettingsDep
from app.core.errors import NotFoundError
from app.services.galleries import DEFAULT_KEY_FILE

WEB = Path(__file__).resolve().parent.parent.parent / "web"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Self only; images from the page's own object URLs and the API's data URLs.
POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff"}

router = APIRouter(include_in_schema=False)


class DefaultKey(BaseModel):
    api_key: str


@router.get("/", response_class=HTMLResponse)
async def page() -> FileResponse:
    return FileResponse(WEB / "index.html", media_type="text/html", headers=HEADERS)


@router.get("/demo/default-key")
async def default_key(request: Request, settings: SettingsDep) -> DefaultKey:
    """The default gallery's key, for a browser on this machine when the service runs on
    its embedded defaults; 404 otherwise (as if the route did not exist)."""
    key_file = settings.data_dir / DEFAULT_KEY_FILE
    direct = not {"forwarded", "x-forwarded-for", "x-real-ip"} & set(request.headers.keys())
    local = request.client is not None and request.client.host in LOOPBACK
    if (
        settings.environment != "development"
        or not settings.demo_default_key
        or not (direct and local)
        or not key_file.is_file()
    ):
        raise NotFoundError("not found")
    return DefaultKey(api_key=key_file.read_text(encoding="utf-8").strip())


@router.get("/demo/{name}")
async def asset(name: Literal["demo.js", "demo.css"]) -> FileResponse:
    media = "text/javascript" if name.endswith(".js") else "text/css"
    return FileResponse(WEB / name, media_type=media, headers=HEADERS)
