"""POST /services/Soap/u/{version}: the partner SOAP endpoint, for ``login()`` and ``logout()``.

Thin HTTP around ``forcegate.flows.soap``: the API version from the path (one the server lists under
``/services/data``), ``Content-Type: text/xml`` (any charset; the XML declaration decides), a body of
at most ``MAX_SOAP_BYTES`` (chunked or not). ``SOAPAction`` is not needed: jsforce sends ``""``,
simple-salesforce ``login``, and the operation is read from the envelope's Body. Every refusal is a
SOAP fault in XML (salesforce-wire.md §8.2).
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.flows import soap
from forcegate.web.common import NO_STORE, BodyTooLarge, caller_of, read_capped

__all__ = ["MAX_SOAP_BYTES", "ROUTES", "fault_response"]

log = logging.getLogger("forcegate.soap")

# Salesforce caps a login() request at 10 KB (salesforce-wire.md §8.2); logout() is smaller still.
MAX_SOAP_BYTES = 10 * 1024
XML_TYPE = "text/xml; charset=utf-8"


def _xml(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=XML_TYPE, headers=NO_STORE)


async def _read_body(request: Request) -> bytes:
    try:
        return await read_capped(request, MAX_SOAP_BYTES)
    except BodyTooLarge as exc:
        raise soap.client_fault("Request body too large", status=413) from exc


def _check_content_type(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "text/xml":
        raise soap.client_fault("Content-Type must be text/xml (SOAP 1.1)", status=415)


async def soap_endpoint(request: Request) -> Response:
    """POST /services/Soap/u/{version}"""
    version = request.path_params["version"]
    try:
        if version not in request.app.state.api_versions:
            raise soap.unsupported_version_fault(version)
        _check_content_type(request)
        call = soap.parse_envelope(await _read_body(request))
        result = await run_in_threadpool(
            soap.handle,
            request.app.state.ctx,
            caller_of(request),
            org_id=request.app.state.org_id,
            version=version,
            call=call,
        )
    except soap.SoapFault as fault:
        # The reason is for us; the client gets Salesforce's fault only.
        log.info("soap request refused: %s %s", fault.faultcode, fault.reason)
        return _xml(fault.to_xml(), fault.status)
    return _xml(result)


ROUTES: list[Route] = [Route("/services/Soap/u/{version}", soap_endpoint, methods=["POST"])]


def fault_response(fault: soap.SoapFault) -> Response:
    """A fault as the endpoint answers it (for errors met outside it, such as a database outage)."""
    return _xml(fault.to_xml(), fault.status)
