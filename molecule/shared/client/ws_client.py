"""WebSocket client: sends one message through the URL given and prints the answer.

For wss:// URLs the server certificate is verified against SSL_CERT_FILE (the CA the test trusts).
"""

import asyncio
import sys

from websockets.asyncio.client import connect


async def main(url: str, message: str) -> None:
    """Open the connection, send the message, print the first answer."""
    async with connect(url, open_timeout=10) as websocket:
        await websocket.send(message)
        print(await asyncio.wait_for(websocket.recv(), timeout=10))


asyncio.run(main(sys.argv[1], sys.argv[2]))
