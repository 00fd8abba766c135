"""Test backend: every HTTP request is answered with what arrived; /ws/ is a WebSocket echo."""

import asyncio
import json

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response


def describe(connection, request) -> Response | None:
    """Answer plain HTTP requests with their path and headers; let WebSocket upgrades through."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return None
    print(f"request {request.path}", flush=True)
    body = json.dumps({"path": request.path, "headers": {k.lower(): v for k, v in request.headers.raw_items()}}).encode()
    return Response(200, "OK", Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))]), body)


async def echo(websocket) -> None:
    """Answer every message with the same text, prefixed."""
    async for message in websocket:
        await websocket.send(f"echo: {message}")


async def main() -> None:
    """Serve on port 8000 until stopped."""
    async with serve(echo, "0.0.0.0", 8000, process_request=describe):
        await asyncio.get_running_loop().create_future()


asyncio.run(main())
