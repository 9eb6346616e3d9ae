"""The Prometheus series of one worker process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """Prometheus series of one process: latency per route, events, fold-ins, the model version."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram("fuserec_request_seconds", "Request latency", ["route", "method", "status"],
                                 registry=self.registry,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
        self.events = Counter("fuserec_events_ingested_total", "Events newly stored", registry=self.registry)
        self.duplicates = Counter("fuserec_events_duplicate_total", "Events already stored", registry=self.registry)
        self.fold_ins = Gauge("fuserec_fold_ins", "Lists scored by fold-in since the model loaded",
                              registry=self.registry)
        self.version = Gauge("fuserec_model_info", "The model version served", ["model_version"],
                             registry=self.registry)
        self.reloads = Gauge("fuserec_reloads", "Model reloads since start", registry=self.registry)
