"""Prometheus metrics, one registry per application instance (tests build several apps)."""

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# Latency buckets from a cached health probe to a slow CPU enrolment of many images.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

GallerySizes = Callable[[], dict[tuple[str, str, str], int]]


class _GallerySizeCollector(Collector):
    """Reads the search matrices' sizes at scrape time, so the figure is never stale."""

    def __init__(self, sizes: GallerySizes) -> None:
        self._sizes = sizes

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "twinverify_gallery_references",
            "References in this process's search matrices",
            labels=["gallery", "modality", "model"],
        )
        for (gallery, modality, model), size in sorted(self._sizes().items()):
            family.add_metric([gallery, modality, model], size)
        yield family


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "twinverify_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "twinverify_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.embeddings = Counter(
            "twinverify_embeddings_computed",
            "Images embedded by the encoders",
            ["modality"],
            registry=self.registry,
        )
        self.batch_sizes = Histogram(
            "twinverify_batch_size",
            "Images per forward pass of the micro-batcher",
            ["modality"],
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
        self.decisions = Counter(
            "twinverify_decisions",
            "Verify and identify decisions",
            ["action", "modality", "match"],
            registry=self.registry,
        )

    def watch_gallery_sizes(self, sizes: GallerySizes) -> None:
        self.registry.register(_GallerySizeCollector(sizes))
