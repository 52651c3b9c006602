"""The types of applications that other domains name (decision 0023)."""

from verbund.applications.models import FormVersion, ScanStatus, Submission

__all__ = ["FormVersion", "ScanStatus", "Submission"]
