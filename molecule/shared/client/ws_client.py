"""WebSocket client.

    ws_client.py URL MESSAGE   sends one message and prints the first answer;
    ws_client.py --hold URL    keeps one connection open, sending a numbered message every half second and
                               waiting for its echo, until SIGINT or SIGTERM; then prints how many were echoed
                               and exits 0 - or exits 1 as soon as the connection closes or an echo is missing.

For wss:// URLs the server certificate is verified against SSL_CERT_FILE (the CA the test trusts).
"""

import asyncio
import signal
import sys

from websockets.asyncio.client import connect


async def once(url: str, message: str) -> None:
    """Open the connection, send the message, print the first answer."""
    async with connect(url, open_timeout=10) as websocket:
        await websocket.send(message)
        print(await asyncio.wait_for(websocket.recv(), timeout=10))


async def hold(url: str) -> int:
    """Keep the connection until told to stop; the exit code says whether it held."""
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    sent = 0
    async with connect(url, open_timeout=10) as websocket:
        print("connected", flush=True)
        while not stop.is_set():
            sent += 1
            try:
                await websocket.send(f"hold {sent}")
                answer = await asyncio.wait_for(websocket.recv(), timeout=10)
            except Exception as exc:  # noqa: BLE001 - any end of the connection is the finding
                print(f"lost after {sent - 1} echoes: {exc!r}", flush=True)
                return 1
            if answer != f"echo: hold {sent}":
                print(f"wrong echo {answer!r} for message {sent}", flush=True)
                return 1
            try:
                await asyncio.wait_for(stop.wait(), timeout=0.5)
            except asyncio.TimeoutError:
                pass
    print(f"held: {sent} echoes", flush=True)
    return 0


if sys.argv[1] == "--hold":
    sys.exit(asyncio.run(hold(sys.argv[2])))
asyncio.run(once(sys.argv[1], sys.argv[2]))
