"""The types of the Postfach that other domains name (decision 0023)."""

from verbund.mailbox.models import Message, Reply

__all__ = ["Message", "Reply"]
