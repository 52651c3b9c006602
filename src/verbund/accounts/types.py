"""The types of accounts that other domains name (decision 0023)."""

from verbund.accounts.models import User

__all__ = ["User"]
