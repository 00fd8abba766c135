#!/usr/bin/env python3
"""Connect scan of every TCP port (1-65535) of one IPv4 address, bounded in time.

Usage: port_scan.py ADDRESS [WORKERS] [TIMEOUT]. WORKERS connects run at a time, each given
TIMEOUT seconds; a port that neither answered nor refused is tried once more with five times
the timeout, so a slow answer is not taken for a closed port. Prints JSON: the open
ports, how many refused, how many stayed silent (filtered), and the seconds it took.
"""
import asyncio
import json
import socket
import sys
import time


async def probe(address: str, port: int, timeout: float) -> str:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (address, port)), timeout)
        except asyncio.TimeoutError:
            return "silent"
        except OSError:
            return "refused"
    return "open"


async def scan(address: str, workers: int, timeout: float) -> dict:
    started = time.monotonic()
    results: dict[int, str] = {}

    async def sweep(ports: list[int], seconds: float) -> None:
        pending = iter(ports)

        async def worker() -> None:
            for port in pending:
                results[port] = await probe(address, port, seconds)

        await asyncio.gather(*(worker() for _ in range(workers)))

    await sweep(list(range(1, 65536)), timeout)
    await sweep([port for port, result in results.items() if result == "silent"], timeout * 5)
    found = list(results.values())
    return {"open": sorted(port for port, result in results.items() if result == "open"),
            "refused": found.count("refused"), "silent": found.count("silent"),
            "seconds": round(time.monotonic() - started, 1)}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scan(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 256,
                                      float(sys.argv[3]) if len(sys.argv) > 3 else 2.0))))
