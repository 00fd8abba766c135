"""Test backend: every HTTP request is answered with what arrived; WebSocket upgrades are an echo.

It listens on every port of PORTS (comma-separated, default 8000); only the ports of WS_PORTS (default: all) take
WebSocket upgrades, so a test can tell which port a route reached. Each HTTP answer names its port.
"""

import asyncio
import json
import os

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

PORTS = [int(port) for port in os.environ.get("PORTS", "8000").split(",")]
# With APP_HEADERS=1 every answer carries the security headers an app framework sets (Django's SecurityMiddleware).
APP_HEADERS = [("X-Frame-Options", "SAMEORIGIN"), ("X-Content-Type-Options", "nosniff")] if os.environ.get("APP_HEADERS") else []
WS_PORTS = [int(port) for port in os.environ.get("WS_PORTS", ",".join(map(str, PORTS))).split(",")]


def answer(status: int, body: bytes) -> Response:
    """A plain HTTP response with a JSON body."""
    return Response(status, "OK" if status == 200 else "Not Found",
                    Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body))), *APP_HEADERS]), body)


def describer(port: int):
    """The request hook of PORT: plain HTTP is described; upgrades pass where WebSocket is served."""

    def describe(connection, request) -> Response | None:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None if port in WS_PORTS else answer(404, b'{"error": "no WebSocket on this port"}')
        print(f"request {request.path} on {port}", flush=True)
        return answer(200, json.dumps({"path": request.path, "port": port,
                                       "headers": {k.lower(): v for k, v in request.headers.raw_items()}}).encode())

    return describe


async def echo(websocket) -> None:
    """Answer every message with the same text, prefixed."""
    async for message in websocket:
        await websocket.send(f"echo: {message}")


async def main() -> None:
    """Serve on every port until stopped."""
    servers = [await serve(echo, "0.0.0.0", port, process_request=describer(port)) for port in PORTS]
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        for server in servers:
            server.close()


asyncio.run(main())
