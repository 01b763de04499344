"""forcegate's Python SDK: every OAuth flow from the client's side, token care, and a thin REST helper.

Works with real Salesforce (login.salesforce.com, test.salesforce.com, My Domain) and forcegate alike::

    from forcegate.client import Connection, TokenManager, SalesforceClient

    conn = Connection("https://login.salesforce.com", consumer_key)
    session = conn.jwt_login("integration@acme.com", Path("server.key"))
    with SalesforceClient(TokenManager(conn, session)) as sf:
        for account in sf.query("SELECT Id, Name FROM Account"):
            ...
"""

from forcegate.client.auth import SalesforceAuth, SalesforceRequestsAuth
from forcegate.client.connection import LOGIN_URL, SANDBOX_URL, Connection, DeviceCode, normalize_login_url
from forcegate.client.errors import (
    ClientError,
    Forbidden,
    KeyFileError,
    LoginError,
    MalformedRequest,
    MethodNotAllowed,
    MultipleChoices,
    NetworkError,
    NotFound,
    OAuthError,
    RefreshTokenRejected,
    SalesforceError,
    ServerError,
    SessionExpired,
    StoreError,
)
from forcegate.client.rest import SalesforceClient
from forcegate.client.saved import manager_for
from forcegate.client.session import Session
from forcegate.client.store import (
    EncryptedFileStore,
    KeyringStore,
    StoredConnection,
    TokenStore,
    keyring_usable,
    open_store,
)
from forcegate.client.tokens import TokenManager

__all__ = [
    "LOGIN_URL",
    "SANDBOX_URL",
    "ClientError",
    "Connection",
    "DeviceCode",
    "EncryptedFileStore",
    "Forbidden",
    "KeyFileError",
    "KeyringStore",
    "LoginError",
    "MalformedRequest",
    "MethodNotAllowed",
    "MultipleChoices",
    "NetworkError",
    "NotFound",
    "OAuthError",
    "RefreshTokenRejected",
    "SalesforceAuth",
    "SalesforceClient",
    "SalesforceError",
    "SalesforceRequestsAuth",
    "ServerError",
    "Session",
    "SessionExpired",
    "StoreError",
    "StoredConnection",
    "TokenManager",
    "TokenStore",
    "keyring_usable",
    "manager_for",
    "normalize_login_url",
    "open_store",
]
