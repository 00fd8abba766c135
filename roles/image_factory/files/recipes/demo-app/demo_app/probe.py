"""``demo-app health``: exit 0 when GET /health on localhost:PORT answers 200 (a HEALTHCHECK without curl)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


def probe(url: str, timeout: float = 5.0) -> int:
    """GET URL; print the status line; return 0 on 200, else 1."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            print(f"health: {resp.status} from {url}")
            return 0 if resp.status == 200 else 1
    except urllib.error.HTTPError as err:
        print(f"health: {err.code} from {url}: {err.read(300).decode(errors='replace')}", file=sys.stderr)
    except (OSError, ValueError) as exc:
        print(f"health: no answer from {url}: {exc}", file=sys.stderr)
    return 1
