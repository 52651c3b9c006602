"""Moved to `verbund.core.sealing` (decision 0023), shared by several domains.

This name stays for the modules that still import it: applications/actions.py.
"""

from verbund.core.sealing import *  # noqa: F403
