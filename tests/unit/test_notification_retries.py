"""A notification delivery's outcome: delivered, due again after a backoff, or failed
for good after the last attempt or a permanent refusal."""

from __future__ import annotations

from app import clock
from app.models.notification import NotificationDelivery
from app.services.notifications.delivery import MAX_ATTEMPTS, _record


def _delivery(attempts: int) -> NotificationDelivery:
    return NotificationDelivery(
        channel="email", state="pending", attempts=attempts, next_attempt_at=clock.utcnow()
    )


def test_a_failed_attempt_before_the_last_is_due_again_after_a_backoff():
    d = _delivery(MAX_ATTEMPTS - 2)
    before = clock.utcnow()
    _record(d, "ConnectionRefusedError", permanent=False)
    assert (d.state, d.attempts) == ("pending", MAX_ATTEMPTS - 1)
    assert d.next_attempt_at > before


def test_the_last_failed_attempt_fails_for_good_with_its_error():
    d = _delivery(MAX_ATTEMPTS - 1)
    _record(d, "ConnectionRefusedError", permanent=False)
    assert (d.state, d.attempts, d.last_error) == ("failed", MAX_ATTEMPTS, "ConnectionRefusedError")


def test_a_permanent_refusal_fails_at_the_first_attempt():
    d = _delivery(0)
    _record(d, "recipient refused", permanent=True)
    assert (d.state, d.attempts) == ("failed", 1)


def test_a_sent_delivery_is_delivered_and_keeps_no_error():
    d = _delivery(2)
    d.last_error = "earlier failure"
    _record(d, None, permanent=False)
    assert (d.state, d.last_error) == ("delivered", None)
    assert d.delivered_at is not None
