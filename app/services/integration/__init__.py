"""Plumbing for integrators and auditors: the audit log, the change feed (outbox),
webhooks, bulk imports and exports."""
