"""Other domains contribute their part of an account's data export and erasure here.

A domain that keeps personal data of account holders (applications, mailbox, casework)
registers once, in its AppConfig.ready():

    from verbund.accounts.account_data import register_account_data
    register_account_data("applications", export=export_for_user, erase=erase_for_user)

`export(user)` returns JSON-safe data for the self-service export; `erase(user)` runs in
the transaction of the account deletion, before the account row goes, and removes or
anonymises what the domain may not keep (retention of closed cases stays the domain's
own rule). Accounts does not import those domains: they come to it (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from verbund.accounts.models import User


@dataclass(frozen=True)
class AccountDataSection:
    name: str
    export: Callable[[User], Any]
    erase: Callable[[User], None] | None


SECTIONS: dict[str, AccountDataSection] = {}


def register_account_data(
    name: str,
    *,
    export: Callable[[User], Any],
    erase: Callable[[User], None] | None = None,
) -> None:
    SECTIONS[name] = AccountDataSection(name=name, export=export, erase=erase)


# The account page template. The Postfach (mailbox) fills `{% block status_monitor %}` by
# shipping a template that extends "accounts/account.html" and naming it here once.
_account_template = ["accounts/account.html"]


def use_account_template(name: str) -> None:
    _account_template[0] = name


def account_template() -> str:
    return _account_template[0]
