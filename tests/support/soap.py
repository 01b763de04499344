"""The SOAP API login as clients send it and the answer as they read it: jsforce's login envelope, and
the faults and fields of what the server sends back (the SOAP login flow tests and the attacks and
security tests that log in over SOAP).

salesforce-wire.md §8.2; client-compatibility.md "SOAP login".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import httpx

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
FAULT = "urn:fault.partner.soap.sforce.com"
NS = {"soapenv": ENV, "p": PARTNER, "sf": FAULT}


def jsforce_login(username: str, password: str) -> str:
    """The envelope jsforce's ``loginBySoap`` sends (default namespace on ``login``)."""
    return (
        f'<se:Envelope xmlns:se="{ENV}"><se:Header/><se:Body>'
        f'<login xmlns="{PARTNER}"><username>{escape(username)}</username>'
        f"<password>{escape(password)}</password></login></se:Body></se:Envelope>"
    )


def parse_soap(response: httpx.Response) -> ET.Element:
    """Parse the server's answer with the standard library, as clients do (our own output: trusted)."""
    return ET.fromstring(response.content)  # noqa: S314


def soap_text(element: ET.Element, path: str) -> str | None:
    return element.findtext(path, namespaces=NS)


def soap_fault(response: httpx.Response, status: int = 500) -> ET.Element:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/xml")
    fault = parse_soap(response).find("soapenv:Body/soapenv:Fault", NS)
    assert fault is not None, response.text
    return fault
