"""Prometheus metrics: one registry per application (never the process-wide default, so that several apps,
as in the tests, each count their own), filled by the edge, the inference runner and the face engine, and
by a look at the database when scraped.

Under `facerec serve --workers N` every serving process writes its values to files in
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode, chosen by that variable when the library
is imported), and a scrape, whichever process answers it, reports all of them: counters and histograms
summed, the queue depth and pool connections summed over the live processes, the stored counts as last
read."""

import os
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

# Seconds. Requests run from ~1 ms (/healthz) to a few seconds (a large photo under load).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds per stage of one photo: SCRFD takes ~10-60 ms on a core, ArcFace ~5-30 ms a face.
STAGE_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
UNMATCHED_ROUTE = "unmatched"  # a path no route answers: never a label of its own


@dataclass(frozen=True)
class StoredCounts:
    faces: int
    persons: int
    pool_in_use: int


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "facerec_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "facerec_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._errors = Counter(
            "facerec_errors", "Error answers by their error code.", ["code"], registry=self.registry
        )
        self._queue_depth = Gauge(
            "facerec_inference_queue_depth",
            "Inference jobs waiting for a worker.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._queue_wait = Histogram(
            "facerec_inference_queue_wait_seconds",
            "Time an inference job waited for a worker.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._stage = Histogram(
            "facerec_inference_stage_seconds",
            "Time of one inference stage on one photo: detector (every pass) or recognizer (every face).",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=self.registry,
        )
        self._faces = Gauge(
            "facerec_faces_stored",
            "Faces stored, all collections.",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self._persons = Gauge(
            "facerec_persons_stored",
            "Persons stored, all collections.",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self._pool_in_use = Gauge(
            "facerec_db_pool_connections_in_use",
            "Database connections lent out by the pool.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    def request(self, method: str, route: str | None, status: int, seconds: float) -> None:
        label = route or UNMATCHED_ROUTE
        self._requests.labels(method, label, str(status)).inc()
        self._latency.labels(method, label).observe(seconds)

    def error(self, code: str) -> None:
        self._errors.labels(code).inc()

    def queue_depth(self, waiting: int) -> None:
        self._queue_depth.set(waiting)

    def queue_wait(self, seconds: float) -> None:
        self._queue_wait.observe(seconds)

    def stage(self, stage: str, seconds: float) -> None:
        self._stage.labels(stage).observe(seconds)

    def exposition(self, stored: StoredCounts | None) -> bytes:
        """The text exposition format; the stored counts are those just read (None: database down)."""
        if stored is not None:
            self._faces.set(stored.faces)
            self._persons.set(stored.persons)
            self._pool_in_use.set(stored.pool_in_use)
        if MULTIPROCESS_DIR not in os.environ:
            return generate_latest(self.registry)
        every_process = CollectorRegistry()
        MultiProcessCollector(every_process)  # type: ignore[no-untyped-call]  # prometheus_client: untyped
        return generate_latest(every_process)
