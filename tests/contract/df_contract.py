"""The contract: the bundled OpenAPI document (seed + overlay) and the checks an answer must pass.

An answer (one HTTP exchange) conforms to an operation of the bundled document when

* its status is documented for that operation (exactly, or by an `NXX` range, or `default`);
* where the response documents no `content`, the body is empty;
* where it documents `content`, the body is present, its `Content-Type` media type is one of the
  documented ones, and the body validates against that media type's schema (JSON Schema 2020-12,
  `$ref`s resolved inside the bundled document, `format` asserted for date-time/int32/int64).
  One leniency, written down here so it is visible: OpenAPI's `content` lists *potential*
  payloads, and the extension sends no body for several errors whose shape the overlay documents
  only in prose ("empty body; a bare JSON string in newer versions"); so an **empty body is
  accepted for a 4xx/5xx status** that documents content. Such answers are recorded in
  `Verdict.notes`. A 2xx that documents content must carry it;
* every documented header marked `required: true` is present, and every documented header that
  is present validates against its schema (the value coerced for integer/number/boolean schemas).
"""

from __future__ import annotations

import datetime as _dt
import http.client
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BUNDLE_URI = "urn:capgen:durable-functions:bundle"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# ---------------------------------------------------------------------------------------------
# Formats (OpenAPI 3.1 formats used by the document). jsonschema's own date-time check needs an
# optional package, so the checks are written out here.

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time")
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _RFC3339.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        _dt.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return second <= 60


@FORMAT_CHECKER.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@FORMAT_CHECKER.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


# ---------------------------------------------------------------------------------------------
# Exchanges.


@dataclass
class Exchange:
    """One request and its answer, as seen on the wire."""

    target: str
    step: str
    operation: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    reason: str
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self, limit: int = 700) -> str:
        req_body = self.request_body.decode("utf-8", "replace")
        body = self.body.decode("utf-8", "replace")
        if len(body) > limit:
            body = body[:limit] + f"... ({len(self.body)} bytes)"
        shown = {
            k: v
            for k, v in self.headers.items()
            if k in ("content-type", "location", "retry-after", "x-ms-continuation-token")
            or k.startswith("sl-")
        }
        lines = [f"{self.method} {self.url}"]
        extra = {k: v for k, v in self.request_headers.items() if k.lower() != "content-length"}
        if extra:
            lines.append(f"  request headers: {extra}")
        if req_body:
            lines.append(f"  request body: {req_body[:300]}")
        lines.append(f"  -> {self.status} {self.reason} {shown}")
        lines.append(f"  body: {body!r}" if body else "  body: (empty)")
        return "\n".join(lines)


def send(
    target: str,
    step: str,
    operation: str,
    base_url: str,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes | None,
    timeout: float = 15.0,
) -> Exchange:
    """Sends one request with the standard library (no retries, no redirects, no added headers
    beyond Host/Accept-Encoding/Content-Length) and returns what came back."""
    assert base_url.startswith("http://"), base_url
    authority, _, prefix = base_url[len("http://") :].partition("/")
    host, _, port = authority.partition(":")
    target_path = "/" + prefix.strip("/") + path
    if query:
        target_path += "?" + urlencode(query, quote_via=quote)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, target_path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        answer_headers: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            answer_headers[key] = (
                f"{answer_headers[key]}, {value}" if key in answer_headers else value
            )
        return Exchange(
            target=target,
            step=step,
            operation=operation,
            method=method,
            url=f"http://{authority}{target_path}",
            request_headers=dict(headers),
            request_body=body or b"",
            status=response.status,
            reason=response.reason,
            headers=answer_headers,
            body=raw,
        )
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# The bundled document.


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str) -> str:
    return "/" + "/".join(_escape(t) for t in tokens)


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Contract:
    """Operations, responses and schemas of one OpenAPI 3.1 document (already bundled)."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.registry = Registry().with_resource(
            BUNDLE_URI, Resource(contents=document, specification=DRAFT202012)
        )
        self.operations: dict[str, tuple[str, str]] = {}  # operationId -> (METHOD, path)
        for path, item in document.get("paths", {}).items():
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict) and "operationId" in operation:
                    self.operations[operation["operationId"]] = (method.upper(), path)
        self._validators: dict[str, Draft202012Validator] = {}

    # -- navigation ----------------------------------------------------------------------------

    def at(self, ptr: str) -> Any:
        node: Any = self.document
        for raw in ptr.lstrip("/").split("/") if ptr not in ("", "/") else []:
            token = raw.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def deref(self, ptr: str) -> tuple[Any, str]:
        """Follows local `$ref`s (responses, headers) to the object they name."""
        seen = set()
        node = self.at(ptr)
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#") or ref in seen:
                raise ValueError(f"cannot follow $ref {ref!r} at {ptr}")
            seen.add(ref)
            ptr = ref[1:]
            node = self.at(ptr)
        return node, ptr

    def operation_pointer(self, operation_id: str) -> str:
        method, path = self.operations[operation_id]
        return pointer("paths", path, method.lower())

    def documented_statuses(self, operation_id: str) -> list[str]:
        return list(self.at(self.operation_pointer(operation_id)).get("responses", {}))

    def response(self, operation_id: str, status: int) -> tuple[dict[str, Any], str] | None:
        responses_ptr = self.operation_pointer(operation_id) + "/responses"
        responses = self.at(responses_ptr)
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                return self.deref(responses_ptr + "/" + _escape(key))
        return None

    # -- validation ----------------------------------------------------------------------------

    def validator(self, schema_ptr: str) -> Draft202012Validator:
        if schema_ptr not in self._validators:
            self._validators[schema_ptr] = Draft202012Validator(
                {"$ref": BUNDLE_URI + "#" + quote(schema_ptr, safe="/~")},
                registry=self.registry,
                format_checker=FORMAT_CHECKER,
            )
        return self._validators[schema_ptr]

    def schema_errors(self, schema_ptr: str, instance: Any) -> list[str]:
        errors = sorted(
            self.validator(schema_ptr).iter_errors(instance), key=lambda e: list(e.absolute_path)
        )
        out = []
        for error in errors[:8]:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            out.append(f"at {where}: {error.message[:300]}")
        return out

    def check(self, exchange: Exchange) -> Verdict:
        verdict = Verdict()
        op = exchange.operation
        if op not in self.operations:
            verdict.problems.append(f"operation {op!r} is not in the bundled document")
            return verdict
        method, template = self.operations[op]
        path = urlsplit(exchange.url).path
        if exchange.method != method or not _template_regex(template).fullmatch(path):
            verdict.problems.append(
                f"the request {exchange.method} {path} is not {op} ({method} {template})"
            )
            return verdict
        found = self.response(op, exchange.status)
        if found is None:
            verdict.problems.append(
                f"status {exchange.status} is not documented for {op} "
                f"(documented: {', '.join(self.documented_statuses(op))})"
            )
            return verdict
        response, response_ptr = found
        self._check_headers(exchange, response, response_ptr, verdict)
        self._check_body(exchange, response, response_ptr, verdict)
        return verdict

    def _check_headers(
        self, exchange: Exchange, response: dict, response_ptr: str, verdict: Verdict
    ) -> None:
        for name in response.get("headers", {}):
            if name.lower() == "content-type":
                continue  # ignored by OpenAPI
            header, header_ptr = self.deref(response_ptr + "/headers/" + _escape(name))
            value = exchange.header(name)
            if value is None:
                if header.get("required"):
                    verdict.problems.append(f"required header {name} is missing")
                continue
            schema = header.get("schema")
            if schema is None:
                continue
            coerced: Any = value
            kind = schema.get("type") if isinstance(schema, dict) else None
            try:
                if kind == "integer":
                    coerced = int(value.strip())
                elif kind == "number":
                    coerced = float(value.strip())
                elif kind == "boolean":
                    coerced = {"true": True, "false": False}[value.strip()]
            except (ValueError, KeyError):
                verdict.problems.append(f"header {name}: {value!r} is not a {kind}")
                continue
            for error in self.schema_errors(header_ptr + "/schema", coerced):
                verdict.problems.append(f"header {name}: {error}")

    def _check_body(
        self, exchange: Exchange, response: dict, response_ptr: str, verdict: Verdict
    ) -> None:
        content: dict = response.get("content") or {}
        content_type = exchange.header("content-type")
        if not exchange.body:
            if content and exchange.status < 400:
                verdict.problems.append(
                    f"empty body, but {exchange.status} documents content "
                    f"({', '.join(content)})"
                )
            elif content:
                verdict.notes.append(
                    f"empty body accepted for {exchange.status} although it documents "
                    f"{', '.join(content)} (see the module docstring)"
                )
            return
        if not content:
            verdict.problems.append(
                f"{exchange.status} documents no content, but the body has "
                f"{len(exchange.body)} bytes (Content-Type {content_type!r})"
            )
            return
        if content_type is None:
            verdict.problems.append("body without a Content-Type")
            return
        media = content_type.split(";")[0].strip().lower()
        key = _match_media(media, list(content))
        if key is None:
            verdict.problems.append(
                f"Content-Type {content_type!r} is not documented for {exchange.status} "
                f"(documented: {', '.join(content)})"
            )
            return
        if not (media == "application/json" or media.endswith("+json")):
            return
        try:
            instance = json.loads(exchange.body)
        except ValueError as error:
            verdict.problems.append(f"body is not JSON: {error}")
            return
        media_ptr = response_ptr + "/content/" + _escape(key)
        if "schema" in self.at(media_ptr):
            for error in self.schema_errors(media_ptr + "/schema", instance):
                verdict.problems.append(f"body {error}")


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _match_media(media: str, documented: list[str]) -> str | None:
    for key in documented:
        if key.lower() == media:
            return key
    for key in documented:
        main, _, sub = key.lower().partition("/")
        if sub == "*" and media.split("/")[0] == main or key == "*/*":
            return key
    return None
