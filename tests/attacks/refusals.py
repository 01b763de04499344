"""How the catalogue asserts a refusal: Salesforce's error shapes, exactly."""

from __future__ import annotations

import httpx

__all__ = ["assert_api_error", "assert_error_page", "assert_oauth_error", "post_form"]


def assert_oauth_error(response: httpx.Response, error: str, description: str, status: int = 400) -> None:
    """An OAuth endpoint's refusal: ``{"error", "error_description"}`` as JSON, and nothing else."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.json() == {"error": error, "error_description": description}, response.text


def assert_api_error(response: httpx.Response, status: int, error_code: str) -> None:
    """A data-API refusal: a one-element ``[{"message", "errorCode"}]`` array."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    assert body[0]["errorCode"] == error_code and body[0]["message"], body


def assert_error_page(response: httpx.Response, error: str, status: int = 400) -> None:
    """A page that stops the browser here: no redirect anywhere, no form to go on with."""
    assert response.status_code == status, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert f"error={error}" in response.text and "<form" not in response.text, response.text


def post_form(client: httpx.Client, path: str, body: str | bytes, content_type: str) -> httpx.Response:
    """POST a body exactly as given (no re-encoding), for malformed and duplicated parameters."""
    return client.post(path, content=body, headers={"content-type": content_type})
