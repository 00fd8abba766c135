"""Command line: ``demo-app {web,worker,migrate,smoke,health,version}``."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from demo_app import config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="demo-app", description="The appstack demo application (configured by environment variables).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    sub.add_parser("web", help="serve HTTP on PORT (default 8000)")
    sub.add_parser("worker", help="consume KAFKA_TOPIC as KAFKA_GROUP, write each event to postgres")
    mig = sub.add_parser("migrate", help="create or upgrade the postgres schema (idempotent)")
    mig.add_argument("--wait", type=float, default=30.0, help="seconds to wait for postgres to accept connections (default 30)")
    smk = sub.add_parser("smoke", help="smoke-test a running app at BASE_URL; exit 0 or 1")
    smk.add_argument("base_url", help="e.g. http://app:8000 or https://app.example.test")
    smk.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    smk.add_argument("--expect-version", help="fail unless /health reports this version")
    smk.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="extra request header (repeatable)")
    smk.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    smk.add_argument("--events", action="store_true", help="also wait for the worker's row of the item's event")
    smk.add_argument("--events-timeout", type=float, default=30.0, help="seconds to wait for it (default 30)")
    hlt = sub.add_parser("health", help="exit 0 when GET /health on localhost:PORT is 200 (for HEALTHCHECK)")
    hlt.add_argument("--url", help="another URL to probe (default http://127.0.0.1:$PORT/health)")
    hlt.add_argument("--timeout", type=float, default=5.0)
    sub.add_parser("version", help="print the version (APP_VERSION)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; return its exit code (2 for a configuration error)."""
    args = _parser().parse_args(argv)
    if args.command == "smoke":
        from demo_app.smoke import smoke
        headers = dict(h.split(":", 1) for h in args.header if ":" in h)
        return smoke(args.base_url, args.timeout, args.expect_version, {k.strip(): v.strip() for k, v in headers.items()},
                     args.insecure, args.events, args.events_timeout)
    if args.command == "health":
        from demo_app.probe import probe
        return probe(args.url or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}/health", args.timeout)
    try:
        cfg = config.load()
    except config.ConfigError as exc:
        print(f"demo-app: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=getattr(logging, cfg.log_level, logging.INFO), stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "version":
        print(cfg.version)
        return 0
    if args.command == "migrate":
        from demo_app.migrate import migrate
        return migrate(cfg, args.wait)
    if args.command == "worker":
        from demo_app.worker import run
        return run(cfg)
    from demo_app.web import run
    return run(cfg)
