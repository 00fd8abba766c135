"""appstack.platform.minio_provision's comparison: MinIO's answers (mc --json) against the declaration."""

from __future__ import annotations

import json

import pytest

from ansible_collections.appstack.platform.plugins.module_utils import minio_state as ms

EXISTING = '{"status":"success","type":"folder","key":"logs/"}\n'


def _stat(versioning: str = "", lock: bool = False, rules: list | None = None) -> tuple[int, str]:
    info = {"status": "success", "name": "logs/", "Versioning": {"status": versioning},
            "ObjectLock": {"enabled": "Enabled" if lock else ""},
            "ilm": {"config": {"Rules": rules}} if rules else {}}
    return 0, json.dumps(info)


def _bucket_state(**stat) -> dict:
    return {"buckets": (0, EXISTING), "stat.0": _stat(**stat),
            "anonymous.0": (0, '{"status":"success","permission":"private"}'),
            "quota.0": (0, '{"status":"success","bucket":"logs"}')}


def test_script_runs_each_command_with_a_marker_and_keeps_secrets_off_the_command_line():
    commands = [ms.Command("a", ["mc", "ls", "x y"]), ms.Command("b", ["mc", "admin", "user", "add", "appstack", "app"],
                                                                stdin="s3cr3t-value")]
    text = ms.script(commands, "http://127.0.0.1:9000", "root", "p@ss:word/1", "/tmp/.mc")
    assert "export MC_HOST_appstack=http://root:p%40ss%3Aword%2F1@127.0.0.1:9000" in text
    assert "mc ls 'x y' 2>&1 </dev/null" in text
    call = next(line for line in text.splitlines() if line.startswith("mc admin user add"))
    assert "s3cr3t-value" not in call and "<<'APPSTACK_EOF_" in call
    out = "line one\n@@APPSTACK-MC@@ a 0\nerr\n@@APPSTACK-MC@@ b 1\n"
    assert ms.parse(out) == {"a": (0, "line one"), "b": (1, "err")}


def test_policies_compare_in_canonical_form():
    declared = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    stored = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]}
    assert ms.canonical_policy(declared) == ms.canonical_policy(stored)
    assert ms.canonical_policy(declared) != ms.canonical_policy({**stored, "Statement": [{"Effect": "Deny"}]})


def test_lifecycle_document_reads_back_equal():
    rules = [{"id": "logs", "expire_days": 30}, {"noncurrent_expire_days": 7, "prefix": "tmp/"}]
    exported = {"Rules": [{"Expiration": {"Days": 30}, "ID": "logs", "Status": "Enabled"},
                          {"ID": "rule-2", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
                           "NoncurrentVersionExpiration": {"NoncurrentDays": 7}}]}
    assert ms.canonical_lifecycle(ms.lifecycle_document(rules)) == ms.canonical_lifecycle(exported)


def test_a_bucket_as_declared_needs_nothing():
    bucket = {"name": "logs", "versioning": True, "lifecycle": [{"id": "old", "noncurrent_expire_days": 7}]}
    state = _bucket_state(versioning="Enabled",
                          rules=[{"ID": "old", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 7}}])
    assert ms.plan([bucket], {}, [], state) == []


def test_only_differences_are_applied():
    bucket = {"name": "logs", "versioning": True, "anonymous": "download", "quota": "1GiB"}
    changes = ms.plan([bucket], {}, [], _bucket_state())
    assert [c.argv for c in changes] == [
        ["mc", "version", "enable", "appstack/logs"],
        ["mc", "anonymous", "set", "download", "appstack/logs"],
        ["mc", "quota", "set", "appstack/logs", "--size", "1073741824"]]


def test_a_missing_bucket_is_created_with_its_lock():
    state = {"buckets": (0, ""), "stat.0": (1, "no such bucket"), "anonymous.0": (1, ""), "quota.0": (1, "")}
    changes = ms.plan([{"name": "logs", "object_lock": True, "lifecycle": [{"expire_days": 3}]}], {}, [], state)
    assert changes[0].argv == ["mc", "mb", "--with-lock", "appstack/logs"]
    assert changes[1].argv[:4] == ["mc", "ilm", "rule", "import"]


def test_object_lock_cannot_change_on_an_existing_bucket():
    with pytest.raises(ms.MinioStateError, match="object locking is chosen only when a bucket is created"):
        ms.plan([{"name": "logs", "object_lock": True}], {}, [], _bucket_state())


def test_users_are_added_reset_and_their_policies_attached_and_detached():
    users = [{"name": "app", "secret_key": "app-secret-one", "policies": ["readwrite"]},
             {"name": "new", "secret_key": "new-secret-one", "policies": ["readonly"]}]
    state = {"users": (0, '{"status":"success","accessKey":"app","policyName":"readonly","userStatus":"enabled"}'),
             "secret.0": (1, '{"status":"error","error":{"cause":{"error":{"Code":"SignatureDoesNotMatch"}}}} '
                             "SignatureDoesNotMatch"),
             "secret.1": (1, "InvalidAccessKeyId")}
    argv = [c.argv for c in ms.plan([], {}, users, state)]
    assert argv == [["mc", "admin", "user", "add", "appstack", "app"],
                    ["mc", "admin", "policy", "attach", "appstack", "readwrite", "--user", "app"],
                    ["mc", "admin", "policy", "detach", "appstack", "readonly", "--user", "app"],
                    ["mc", "admin", "user", "add", "appstack", "new"],
                    ["mc", "admin", "policy", "attach", "appstack", "readonly", "--user", "new"]]


def test_a_user_whose_secret_works_and_policies_match_needs_nothing():
    users = [{"name": "app", "secret_key": "app-secret-one", "policies": ["readonly"]}]
    state = {"users": (0, '{"status":"success","accessKey":"app","policyName":"readonly","userStatus":"enabled"}'),
             "secret.0": (1, "Access Denied.")}
    assert ms.plan([], {}, users, state) == []


def test_redact_masks_secrets_and_secret_key_fields():
    text = 'failed with p4ss-word {"secretKey":"abc"}'
    assert ms.redact(text, ["p4ss-word"]) == 'failed with ******** {"secretKey":"********"}'
