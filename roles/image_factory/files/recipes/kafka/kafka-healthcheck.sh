#!/bin/sh
# Health: the broker answers an ApiVersions request on its client listener.
# KAFKA_HEALTHCHECK_BOOTSTRAP_SERVER overrides localhost:9092.
exec /opt/kafka/bin/kafka-broker-api-versions.sh \
  --bootstrap-server "${KAFKA_HEALTHCHECK_BOOTSTRAP_SERVER:-localhost:9092}" >/dev/null
