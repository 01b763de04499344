"""The data API's refusals, each carrying Salesforce's error code, message and HTTP status."""

from __future__ import annotations

from forcegate.api_errors import ApiError

__all__ = ["DataApiError"]


class DataApiError(ApiError):
    """One Salesforce error of a data-API resource: the web layer answers
    ``[{"message", "errorCode", "fields"}]`` with ``status``. ``fields`` is only put in the body when not
    None (Salesforce omits it for query errors).
    """

    def __init__(self, error_code: str, message: str, status: int = 400, fields: list[str] | None = None):
        # Messages quote the client's input; keep them encodable whatever it held (lone surrogates).
        super().__init__(error_code, message.encode("utf-8", "replace").decode("utf-8"), status, fields)
