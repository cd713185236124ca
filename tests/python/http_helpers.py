"""Plain HTTP (stdlib urllib) for the REST adapter and raw MCP requests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> HttpResponse:
    """Sends one request; 4xx/5xx answers are returned, not raised. A non-bytes `body` is sent as JSON."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        if isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return HttpResponse(response.status, list(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, list(error.headers.items()), error.read())
