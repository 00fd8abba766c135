"""Configuration from the environment, and only from there.

Every variable ``NAME`` may instead be given as ``NAME_FILE``: a path whose content is the
value (trailing newlines removed), like the official images' docker-secret convention. Setting
both is an error. An empty value counts as unset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from demo_app import DEPENDENCIES, FAULTS

SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class ConfigError(ValueError):
    """The environment does not make a valid configuration (the message says why)."""


@dataclass(frozen=True)
class KafkaConfig:
    """Broker connection, topic and consumer group."""

    brokers: str
    topic: str
    group: str
    sasl_mechanism: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    security_protocol: str = "PLAINTEXT"

    def client_settings(self) -> dict[str, str]:
        """librdkafka settings shared by the producer and the consumer."""
        settings = {"bootstrap.servers": self.brokers, "security.protocol": self.security_protocol}
        if self.sasl_mechanism:
            settings.update({"sasl.mechanism": self.sasl_mechanism, "sasl.username": self.username,
                             "sasl.password": self.password})
        return settings


@dataclass(frozen=True)
class ElasticsearchConfig:
    """Elasticsearch node URL, credentials (optional) and the index the app uses."""

    node: str
    index: str
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class S3Config:
    """S3-compatible endpoint (path-style requests), keys, bucket and region."""

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    bucket: str
    region: str


@dataclass(frozen=True)
class Config:
    """The whole configuration; a dependency is None when its main variable is unset."""

    port: int
    version: str
    fault: str
    required: frozenset[str]
    database_url: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    kafka: KafkaConfig | None = None
    elasticsearch: ElasticsearchConfig | None = None
    s3: S3Config | None = None
    shutdown_timeout: float = 20.0
    health_timeout: float = 3.0
    cache_ttl: int = 300
    db_pool_size: int = 5
    log_level: str = "INFO"

    def configured(self) -> list[str]:
        """Names of the configured dependencies, in DEPENDENCIES order."""
        present = {"postgres": self.database_url, "redis": self.redis_url, "kafka": self.kafka,
                   "elasticsearch": self.elasticsearch, "s3": self.s3}
        return [name for name in DEPENDENCIES if present[name]]


class _Env:
    """Reads NAME or NAME_FILE from an environment mapping."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def get(self, name: str, default: str = "") -> str:
        value = self.environ.get(name, "")
        path = self.environ.get(f"{name}_FILE", "")
        if value and path:
            raise ConfigError(f"both {name} and {name}_FILE are set; set only one of them")
        if path:
            try:
                with open(path, encoding="utf-8") as handle:
                    value = handle.read().rstrip("\r\n")
            except OSError as exc:
                raise ConfigError(f"{name}_FILE={path}: cannot read it: {exc.strerror}") from None
        return value or default

    def number(self, name: str, default: float, low: float, high: float, kind: type = int) -> float:
        raw = self.get(name)
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not {'an integer' if kind is int else 'a number'}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name}={raw} is out of range ({low}..{high})")
        return value


def _kafka(env: _Env) -> KafkaConfig | None:
    brokers = env.get("KAFKA_BROKERS")
    if not brokers:
        return None
    mechanism = env.get("KAFKA_SASL_MECHANISM").upper()
    if mechanism and mechanism not in SASL_MECHANISMS:
        raise ConfigError(f"KAFKA_SASL_MECHANISM={mechanism!r}: use one of {', '.join(SASL_MECHANISMS)} or leave it empty")
    username, password = env.get("KAFKA_USERNAME"), env.get("KAFKA_PASSWORD")
    if mechanism and not (username and password):
        raise ConfigError(f"KAFKA_SASL_MECHANISM={mechanism} needs KAFKA_USERNAME and KAFKA_PASSWORD")
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT" if mechanism else "PLAINTEXT").upper()
    return KafkaConfig(brokers=brokers, topic=env.get("KAFKA_TOPIC", "events"), group=env.get("KAFKA_GROUP", "demo-worker"),
                       sasl_mechanism=mechanism, username=username, password=password, security_protocol=protocol)


def _elasticsearch(env: _Env) -> ElasticsearchConfig | None:
    node = env.get("ELASTICSEARCH_NODE")
    if not node:
        return None
    if not node.startswith(("http://", "https://")):
        raise ConfigError(f"ELASTICSEARCH_NODE={node!r} must be an http:// or https:// URL")
    username, password = env.get("ELASTICSEARCH_USERNAME"), env.get("ELASTICSEARCH_PASSWORD")
    if bool(username) != bool(password):
        raise ConfigError("ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD go together: set both or neither")
    return ElasticsearchConfig(node=node.rstrip("/"), index=env.get("ELASTICSEARCH_INDEX", "items"),
                               username=username, password=password)


def _s3(env: _Env) -> S3Config | None:
    endpoint = env.get("S3_ENDPOINT")
    if not endpoint:
        return None
    if not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"S3_ENDPOINT={endpoint!r} must be an http:// or https:// URL")
    values = {name: env.get(name) for name in ("S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET")}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ConfigError(f"S3_ENDPOINT is set, so {', '.join(missing)} must be set too")
    return S3Config(endpoint=endpoint.rstrip("/"), access_key=values["S3_ACCESS_KEY"], secret_key=values["S3_SECRET_KEY"],
                    bucket=values["S3_BUCKET"], region=env.get("S3_REGION", "us-east-1"))


def _url(env: _Env, name: str, schemes: tuple[str, ...]) -> str | None:
    value = env.get(name)
    if value and not value.startswith(schemes):
        raise ConfigError(f"{name} must start with {' or '.join(schemes)} (got a value starting {value[:12]!r})")
    return value or None


def _required(env: _Env, configured: list[str]) -> frozenset[str]:
    raw = env.get("APP_REQUIRED").strip()
    if not raw:
        return frozenset(configured)
    if raw.lower() == "none":
        return frozenset()
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    unknown = [name for name in names if name not in DEPENDENCIES]
    if unknown:
        raise ConfigError(f"APP_REQUIRED names {', '.join(unknown)}; the dependencies are {', '.join(DEPENDENCIES)} (or 'none')")
    absent = [name for name in names if name not in configured]
    if absent:
        raise ConfigError(f"APP_REQUIRED names {', '.join(absent)}, which is not configured")
    return frozenset(names)


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Build the Config from ENVIRON (default os.environ); raise ConfigError naming what is wrong."""
    env = _Env(os.environ if environ is None else environ)
    fault = env.get("DEMO_FAULT").strip().lower()
    if fault not in FAULTS:
        raise ConfigError(f"DEMO_FAULT={fault!r}: use one of {', '.join(f for f in FAULTS if f)} or leave it empty")
    partial = dict(
        database_url=_url(env, "DATABASE_URL", ("postgres://", "postgresql://")),
        redis_url=_url(env, "REDIS_URL", ("redis://", "rediss://", "unix://")),
        kafka=_kafka(env), elasticsearch=_elasticsearch(env), s3=_s3(env),
    )
    probe = Config(port=0, version="", fault="", required=frozenset(), **partial)
    return Config(
        port=int(env.number("PORT", 8000, 1, 65535)),
        version=env.get("APP_VERSION", "dev"),
        fault=fault,
        required=_required(env, probe.configured()),
        shutdown_timeout=env.number("SHUTDOWN_TIMEOUT", 20.0, 0, 600, float),
        health_timeout=env.number("HEALTH_TIMEOUT", 3.0, 0.1, 60, float),
        cache_ttl=int(env.number("CACHE_TTL", 300, 1, 86400)),
        db_pool_size=int(env.number("DB_POOL_SIZE", 5, 1, 100)),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        **partial,
    )
