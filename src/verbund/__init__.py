"""Verbund: the shared e-government platform of a German Land and its municipalities."""

__version__ = "0.1.0"
