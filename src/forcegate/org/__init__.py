"""The org's security model: users, profiles, permission sets, connected apps and login history.

Services here validate and orchestrate; SQL lives in ``forcegate.storage.repositories``.
"""
