"""Moved to `verbund.core.attachments` (decision 0023), shared by several domains.

This name stays for the modules that still import it: applications/actions.py.
"""

from verbund.core.attachments import *  # noqa: F403
