"""The status monitor on the account page (`{% status_monitor %}`), read through queries."""

from __future__ import annotations

from typing import Any

from django import template

from verbund.mailbox import queries

register = template.Library()


@register.inclusion_tag("mailbox/_status_monitor.html", takes_context=True)
def status_monitor(context: template.Context) -> dict[str, Any]:
    user = context["request"].user
    return {
        "cases": queries.status_monitor_for(user),
        "unread": queries.unread_count(user),
    }
