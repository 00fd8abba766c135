"""An S3-compatible object store (MinIO) over plain HTTP with AWS Signature Version 4.

Path-style requests (``<endpoint>/<bucket>/<key>``), which MinIO and S3 both accept.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from urllib.parse import quote, urlsplit

import aiohttp
from yarl import URL

from demo_app.config import S3Config


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(method: str, url: str, body: bytes, access_key: str, secret_key: str, region: str,
         now: datetime.datetime | None = None, service: str = "s3") -> dict[str, str]:
    """Headers (host, x-amz-date, x-amz-content-sha256, authorization) that sign the request.

    URL must already be percent-encoded (as sent); its query string is canonicalised here.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    parts = urlsplit(url)
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": parts.netloc, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    query = "&".join(sorted(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, _, v in (pair.partition("=") for pair in parts.query.split("&") if pair)))
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, parts.path or "/", query,
                           "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    return headers


class ObjectStoreError(RuntimeError):
    """The object store answered with an error."""


class ObjectStore:
    """Put, get and check objects in the configured bucket."""

    def __init__(self, cfg: S3Config, session: aiohttp.ClientSession) -> None:
        self.cfg = cfg
        self.session = session

    async def _request(self, method: str, key: str = "", body: bytes = b"",
                       content_type: str | None = None) -> tuple[int, bytes, str]:
        url = f"{self.cfg.endpoint}/{quote(self.cfg.bucket, safe='')}"
        if key:
            url += "/" + quote(key, safe="/-_.~")
        headers = sign(method, url, body, self.cfg.access_key, self.cfg.secret_key, self.cfg.region)
        if content_type:
            headers["content-type"] = content_type
        async with self.session.request(method, URL(url, encoded=True), data=body or None, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=30)) as resp:
            return resp.status, await resp.read(), resp.headers.get("Content-Type", "application/octet-stream")

    async def check(self, timeout: float) -> str:
        """Raise unless the bucket exists and the keys may use it (HEAD bucket)."""
        status, _, _ = await self._request("HEAD")
        if status == 200:
            return f"bucket {self.cfg.bucket} reachable"
        reason = {403: "access denied (wrong keys or no permission)", 404: "bucket does not exist"}.get(status, "")
        raise ObjectStoreError(f"bucket {self.cfg.bucket}: HTTP {status} {reason}".rstrip())

    async def put(self, key: str, body: bytes, content_type: str) -> dict[str, str]:
        status, data, _ = await self._request("PUT", key, body, content_type)
        if status != 200:
            raise ObjectStoreError(f"PUT {key}: HTTP {status}: {data[:300].decode(errors='replace')}")
        return {"bucket": self.cfg.bucket, "key": key, "size": str(len(body))}

    async def get(self, key: str) -> tuple[bytes, str] | None:
        """The object's content and content type, or None when it does not exist."""
        status, data, content_type = await self._request("GET", key)
        if status == 404:
            return None
        if status != 200:
            raise ObjectStoreError(f"GET {key}: HTTP {status}: {data[:300].decode(errors='replace')}")
        return data, content_type
