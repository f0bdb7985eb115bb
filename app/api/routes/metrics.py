"""GET /metrics in the Prometheus text format, readable as ``metrics_access`` allows."""

import ipaddress

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import AdminKeyHeader, SettingsDep, client_address, require_admin
from app.core.errors import NotFoundError

router = APIRouter(tags=["metrics"])


def _from_loopback(request: Request) -> bool:
    try:
        return ipaddress.ip_address(client_address(request)).is_loopback
    except ValueError:
        return False


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, settings: SettingsDep, x_api_key: AdminKeyHeader = None) -> Response:
    access = settings.metrics_access
    if access == "off":
        raise NotFoundError("metrics are not served here (TWINVERIFY_METRICS_ACCESS=off)")
    if access == "admin-key" or (access == "localhost" and not _from_loopback(request)):
        require_admin(request, settings, x_api_key)
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
