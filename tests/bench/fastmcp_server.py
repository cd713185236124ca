"""FastMCP's OpenAPI provider in front of the Durable Functions API, for `cargo xtask bench mcp`.

Builds `FastMCP.from_openapi(...)` from the same OpenAPI document capgen generates from (the
bundle of seed + overlay, as JSON) with the default route maps (every operation a tool), and
serves it over streamable HTTP at http://HOST:PORT/mcp. Upstream requests go to --upstream with
the function key as the `code` query parameter (the document's `systemKey` scheme), taken from
the environment variable DURABLE_FUNCTIONS_API_KEY like the generated server does.

    DURABLE_FUNCTIONS_API_KEY=... python fastmcp_server.py --openapi bundle.json \
        --upstream http://127.0.0.1:17171 --host 127.0.0.1 --port 19191
"""

import argparse
import json
import os
import sys

import httpx2
from fastmcp import FastMCP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openapi", required=True, help="OpenAPI document (JSON)")
    parser.add_argument("--upstream", required=True, help="base URL of the upstream API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19191)
    args = parser.parse_args()

    key = os.environ.get("DURABLE_FUNCTIONS_API_KEY")
    if not key:
        sys.exit("error: set DURABLE_FUNCTIONS_API_KEY")
    with open(args.openapi, encoding="utf-8") as f:
        spec = json.load(f)

    client = httpx2.AsyncClient(base_url=args.upstream, params={"code": key}, timeout=30.0)
    mcp = FastMCP.from_openapi(spec, client=client, name="durable-functions (FastMCP)")
    mcp.run(
        transport="http",
        host=args.host,
        port=args.port,
        path="/mcp",
        show_banner=False,
        log_level="WARNING",
    )


if __name__ == "__main__":
    main()
