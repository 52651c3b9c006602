"""Moved to `verbund.core.encryption` (decision 0023), shared by several domains.

This name stays for the modules that still import it: migrations, applications/actions.py.
"""

from verbund.core.encryption import *  # noqa: F403
