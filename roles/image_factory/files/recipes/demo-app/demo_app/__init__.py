"""demo-app: the appstack demo application.

A small but real client of every service the appstack roles run (PostgreSQL, Redis, Kafka,
Elasticsearch, S3/MinIO), configured only through environment variables (see ``config``).
It stands in for the teams' own applications in the collection's tests.

Commands (``demo-app <command>``): ``web``, ``worker``, ``migrate``, ``smoke <base-url>``,
``health``, ``version``.
"""

#: Dependency names, as used by APP_REQUIRED and in /health.
DEPENDENCIES = ("postgres", "redis", "kafka", "elasticsearch", "s3")

#: Fault switches (DEMO_FAULT) for deployment tests; "" is none.
FAULTS = ("", "health", "smoke", "migrate")
