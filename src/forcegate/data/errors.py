"""The data API's refusals, each carrying Salesforce's error code, message and HTTP status."""

from __future__ import annotations

__all__ = ["DataApiError"]


class DataApiError(Exception):
    """One Salesforce error: the web layer answers ``[{"message", "errorCode", "fields"}]`` with
    ``status``. ``fields`` is only put in the body when not None (Salesforce omits it for query errors).
    """

    def __init__(self, error_code: str, message: str, status: int = 400, fields: list[str] | None = None):
        # Messages quote the client's input; keep them encodable whatever it held (lone surrogates).
        message = message.encode("utf-8", "replace").decode("utf-8")
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message
        self.status = status
        self.fields = fields

    def body(self) -> list[dict[str, object]]:
        item: dict[str, object] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]
