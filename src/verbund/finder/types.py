"""The value types of the responsibility finder that other domains name (decision 0023)."""

from verbund.finder.resolution import Answer, Basis, Place

__all__ = ["Answer", "Basis", "Place"]
