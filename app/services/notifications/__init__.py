"""Notifications (通知): the one writer of messages to users (`writer.notify`), the
in-app inbox with read receipts, delivery through email and the WeChat subscribe
message by the worker, and reminders scheduled from the to-dos."""

from app.services.notifications.addresses import address_of, set_address
from app.services.notifications.delivery import deliver_due
from app.services.notifications.inbox import (
    NOTIFICATION_SORT,
    NOTIFICATION_SORTABLE,
    list_notifications,
    mark_read,
    unread_count,
)
from app.services.notifications.reminders import active_users, remind_user
from app.services.notifications.writer import Message, notify

__all__ = [
    "NOTIFICATION_SORT",
    "NOTIFICATION_SORTABLE",
    "Message",
    "active_users",
    "address_of",
    "deliver_due",
    "list_notifications",
    "mark_read",
    "notify",
    "remind_user",
    "set_address",
    "unread_count",
]
