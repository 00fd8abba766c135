"""A real Kafka client for the kafka scenario (kafka-python from PyPI), printing one JSON line.

produce  N keyed messages with acks=all: key k<i % keys>, value "<tag>:<key>:<sequence of that key>".
consume  as a member of GROUP: process records, commit the offsets of what was processed (at-least-once:
         a commit only ever covers records already processed), stop after --commit-after records; then,
         with --crash-after, process more records and stop WITHOUT committing them (a consumer that dies
         before its commit), or with --until-end read on until the group has reached the end offsets.
probe    log in and read the topic's metadata (produce/consume with --action), reporting the outcome.

Every loop is bounded in records and seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata


def _security(args: argparse.Namespace) -> dict:
    if not args.user:
        return {"security_protocol": "PLAINTEXT"}
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": args.user, "sasl_plain_password": args.password}


def produce(args: argparse.Namespace) -> dict:
    producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all", retries=5, linger_ms=5,
                             request_timeout_ms=30000, max_block_ms=60000, **_security(args))
    sequences: dict[str, int] = {}
    futures = []
    for number in range(args.count):
        key = f"k{number % args.keys}"
        sequences[key] = sequences.get(key, 0) + 1
        futures.append(producer.send(args.topic, key=key.encode(), value=f"{args.tag}:{key}:{sequences[key]}".encode()))
    producer.flush(timeout=120)
    partitions: dict[str, int] = {}
    for future in futures:
        meta = future.get(timeout=60)  # raises when the broker did not acknowledge (acks=all)
        partitions[str(meta.partition)] = partitions.get(str(meta.partition), 0) + 1
    producer.close(timeout=30)
    return {"acknowledged": len(futures), "partitions": partitions}


def consume(args: argparse.Namespace) -> dict:
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=args.group, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=args.batch, request_timeout_ms=40000,
                             session_timeout_ms=10000, heartbeat_interval_ms=3000, **_security(args))
    consumer.subscribe([args.topic])
    processed: list[str] = []
    committed = 0
    deadline = time.monotonic() + args.seconds

    def process(batches: dict) -> dict:
        done = {}
        for tp, records in batches.items():
            for record in records:
                processed.append(record.value.decode())
                done[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        return done

    # Phase 1: process, then commit exactly what was processed.
    while committed < args.commit_after and time.monotonic() < deadline:
        done = process(consumer.poll(timeout_ms=1000, max_records=args.batch))
        if done:
            consumer.commit(done)
            committed = len(processed)
    result: dict = {"committed": committed}
    if args.crash_after:
        # Processed but never committed: a consumer that dies here has these delivered again.
        before = len(processed)
        while len(processed) - before < args.crash_after and time.monotonic() < deadline:
            process(consumer.poll(timeout_ms=1000, max_records=args.batch))
        result["uncommitted"] = len(processed) - before
        consumer.close(autocommit=False)
    elif args.until_end:
        partitions = [TopicPartition(args.topic, p) for p in sorted(consumer.partitions_for_topic(args.topic) or [])]
        end = consumer.end_offsets(partitions)
        while time.monotonic() < deadline:
            done = process(consumer.poll(timeout_ms=1000, max_records=args.batch))
            if done:
                consumer.commit(done)
            if all(consumer.position(tp) >= end[tp] for tp in consumer.assignment() if tp in end) \
                    and set(consumer.assignment()) >= set(partitions):
                break
        result["end_offsets"] = {str(tp.partition): offset for tp, offset in end.items()}
        result["lag"] = {str(tp.partition): end[tp] - (consumer.committed(tp) or 0) for tp in partitions}
        consumer.close(autocommit=False)
    else:
        consumer.close(autocommit=False)
    result["values"] = processed
    return result


def probe(args: argparse.Namespace) -> dict:
    """Outcome of one authenticated action: ok, or the error class Kafka answered with."""
    try:
        if args.action == "produce":
            producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all", max_block_ms=30000,
                                     request_timeout_ms=15000, retries=0, **_security(args))
            producer.send(args.topic, key=b"probe", value=b"probe").get(timeout=20)
            producer.close(timeout=10)
        else:
            consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=args.group, enable_auto_commit=False,
                                     auto_offset_reset="earliest", request_timeout_ms=20000,
                                     consumer_timeout_ms=15000, **_security(args))
            consumer.subscribe([args.topic])
            deadline = time.monotonic() + args.seconds
            got = {}
            while not got and time.monotonic() < deadline:
                got = consumer.poll(timeout_ms=1000, max_records=1)
            consumer.close(autocommit=False)
            if not got:
                return {"outcome": "nothing-read"}
    except KafkaError as exc:
        return {"outcome": type(exc).__name__, "detail": str(exc)[:300]}
    return {"outcome": "ok"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["produce", "consume", "probe"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--user", default="")
    parser.add_argument("--password-file", default="")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--tag", default="run")
    parser.add_argument("--group", default=None)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--commit-after", type=int, default=0)
    parser.add_argument("--crash-after", type=int, default=0)
    parser.add_argument("--until-end", action="store_true")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--action", choices=["produce", "consume"], default="consume")
    args = parser.parse_args()
    args.password = ""
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as handle:
            args.password = handle.read().strip()
    print(json.dumps({"produce": produce, "consume": consume, "probe": probe}[args.command](args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
