"""A thin REST helper over the data API (salesforce-wire.md §11): query with paging, records,
describe and limits. Every error answer becomes a :class:`SalesforceError` carrying ``errorCode``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import httpx

from forcegate.client.auth import SalesforceAuth
from forcegate.client.errors import LoginError, NetworkError, api_error_from_response
from forcegate.client.tokens import TokenManager

__all__ = ["SalesforceClient"]

log = logging.getLogger("forcegate.client")


class SalesforceClient:
    """REST calls on a connection's instance, authenticated (and renewed) by ``manager``.

    ``api_version`` (``"66.0"``) defaults to the newest the server lists at ``/services/data``."""

    def __init__(
        self, manager: TokenManager, *, api_version: str | None = None, timeout: float = 60.0
    ) -> None:
        self.manager = manager
        self._version = api_version.removeprefix("v") if api_version else None
        self.http = httpx.Client(auth=SalesforceAuth(manager), timeout=timeout)
        self.last_api_usage: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------------------

    @property
    def instance_url(self) -> str:
        return self.manager.session.instance_url

    @property
    def api_version(self) -> str:
        if self._version is None:
            versions = self._call("GET", "/services/data/")
            if not isinstance(versions, list) or not versions:
                raise LoginError("the server lists no API versions at /services/data")
            self._version = max((str(v["version"]) for v in versions), key=lambda v: float(v))
        return self._version

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        if not path.startswith("/services/"):
            path = f"/services/data/v{self.api_version}/{path.lstrip('/')}"
        return f"{self.instance_url}{path}"

    def _call(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        url = self._url(path)
        try:
            response = self.http.request(
                method, url, headers={"Accept": "application/json", **(headers or {})}, **kwargs
            )
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {self.instance_url}: {exc.__class__.__name__}") from exc
        log.debug("%s %s: HTTP %d", method, httpx.URL(url).path, response.status_code)
        self.last_api_usage = response.headers.get("sforce-limit-info", self.last_api_usage)
        if response.status_code >= 300:
            raise api_error_from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Any REST call: ``path`` relative to ``/services/data/vNN.0/`` or absolute."""
        return self._call(method, path, **kwargs)

    # --- query --------------------------------------------------------------------------------------

    def query_pages(
        self, soql: str, *, include_deleted: bool = False, batch_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Each page of results as the server sends it, following ``nextRecordsUrl``. ``batch_size``
        (200-2000) is a hint the server may ignore."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else None
        resource = "queryAll/" if include_deleted else "query/"
        page = self._call("GET", resource, params={"q": soql}, headers=headers)
        while True:
            yield page
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self._call("GET", str(page["nextRecordsUrl"]), headers=headers)

    def query(
        self, soql: str, *, include_deleted: bool = False, batch_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record, fetching the next page only when the previous one is consumed."""
        for page in self.query_pages(soql, include_deleted=include_deleted, batch_size=batch_size):
            yield from page.get("records", [])

    def count(self, soql: str, *, include_deleted: bool = False) -> int:
        """The ``totalSize`` of a query: for ``SELECT COUNT() FROM ...``, whose answer carries no
        records, the count itself."""
        page = self._call("GET", "queryAll/" if include_deleted else "query/", params={"q": soql})
        return int(page.get("totalSize") or 0)

    def query_all(
        self, soql: str, *, include_deleted: bool = False, batch_size: int | None = None
    ) -> list[dict[str, Any]]:
        """Every record of every page, as a list."""
        return list(self.query(soql, include_deleted=include_deleted, batch_size=batch_size))

    # --- sObjects -----------------------------------------------------------------------------------

    def get(self, sobject: str, record_id: str, fields: list[str] | None = None) -> dict[str, Any]:
        params = {"fields": ",".join(fields)} if fields else None
        record: dict[str, Any] = self._call("GET", f"sobjects/{sobject}/{record_id}", params=params)
        return record

    def create(self, sobject: str, values: dict[str, Any]) -> str:
        """The new record's id."""
        result = self._call("POST", f"sobjects/{sobject}/", json=values)
        return str(result["id"])

    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        self._call("PATCH", f"sobjects/{sobject}/{record_id}", json=values)

    def delete(self, sobject: str, record_id: str) -> None:
        self._call("DELETE", f"sobjects/{sobject}/{record_id}")

    def describe(self, sobject: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"sobjects/{sobject}/describe/")
        return result

    def describe_global(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "sobjects/")
        return result

    def limits(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "limits/")
        return result
