"""Hooks of accounts that other domains fill at startup (decision 0023): the account page's
template and the sections of the account's data export and deletion."""

from verbund.accounts.account_data import register_account_data, use_account_template

__all__ = ["register_account_data", "use_account_template"]
