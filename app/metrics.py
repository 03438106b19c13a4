"""The Prometheus metrics the service exposes at `/metrics` (one place defines them all)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("dangjian_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("dangjian_request_seconds", "Request latency", ["method", "route"])
# Replica-routed reads served by the primary instead, by reason: "down" (the replica
# refused or did not answer, or failed within `replica_retry_seconds` before), "lag"
# (replay behind by more than `replica_max_lag_seconds`, or no WAL receiver),
# "read_after_write" (the caller's own write not replayed yet).
REPLICA_FALLBACKS = Counter(
    "dangjian_replica_fallbacks_total",
    "Replica-routed reads served by the primary, by reason",
    ["reason"],
)
for _reason in ("down", "lag", "read_after_write"):
    REPLICA_FALLBACKS.labels(_reason)  # exposed at 0 from the start

# Answers of a kept kind (`services.kept_answers`), by outcome: "sent" (the kept copy sent
# again), "read" (read and rendered: none kept for the request's version and caller).
KEPT_ANSWERS = Counter(
    "dangjian_kept_answers_total",
    "Answers of a kept kind sent from a kept copy or read afresh",
    ["kind", "outcome"],
)
