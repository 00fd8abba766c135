"""appstack.platform.minio_provision: MinIO's answers (mc --json, minio_model) against the declaration (minio_plan),
and the sessions that ask and change (minio_commands)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.appstack.platform.plugins.module_utils import minio_commands as commands
from ansible_collections.appstack.platform.plugins.module_utils import minio_model as model
from ansible_collections.appstack.platform.plugins.module_utils import minio_plan as mp
from ansible_collections.appstack.platform.plugins.module_utils.exec_session import Command

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


def test_the_session_logs_in_as_root_through_its_environment_and_keeps_secrets_off_the_command_line():
    changes = [Command("a", ["mc", "ls", "x y"]), Command("b", ["mc", "admin", "user", "add", "appstack", "app"],
                                                          stdin="s3cr3t-value")]
    text = commands.session(changes, "provisioning", "http://127.0.0.1:9000", "root", "p@ss:word/1", "/tmp/.mc").script()
    assert "export MC_HOST_appstack=http://root:p%40ss%3Aword%2F1@127.0.0.1:9000" in text
    assert "export MC_CONFIG_DIR=/tmp/.mc" in text
    assert "mc ls 'x y' > out.a 2>&1 </dev/null" in text
    call = next(line for line in text.splitlines() if line.startswith("mc admin user add"))
    assert "s3cr3t-value" not in call and "<<'APPSTACK_EOF_" in call


def test_a_credentials_check_logs_in_with_the_declared_secret_in_its_own_environment():
    users = [{"name": "app", "secret_key": "app-secret-one"}]
    check = commands.read_commands("http://127.0.0.1:9000", [], {}, users)[-1]
    assert check.argv == ["mc", "ls", "--json", "appstackcheck"]
    assert check.env == {"MC_HOST_appstackcheck": "http://app:app-secret-one@127.0.0.1:9000"}


def test_policies_compare_in_canonical_form():
    declared = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    stored = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]}
    assert model.canonical_policy(declared) == model.canonical_policy(stored)
    assert model.canonical_policy(declared) != model.canonical_policy({**stored, "Statement": [{"Effect": "Deny"}]})


def test_lifecycle_document_reads_back_equal():
    rules = [{"id": "logs", "expire_days": 30}, {"noncurrent_expire_days": 7, "prefix": "tmp/"}]
    exported = {"Rules": [{"Expiration": {"Days": 30}, "ID": "logs", "Status": "Enabled"},
                          {"ID": "rule-2", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
                           "NoncurrentVersionExpiration": {"NoncurrentDays": 7}}]}
    assert model.canonical_lifecycle(mp.lifecycle_document(rules)) == model.canonical_lifecycle(exported)


def test_a_bucket_as_declared_needs_nothing():
    bucket = {"name": "logs", "versioning": True, "lifecycle": [{"id": "old", "noncurrent_expire_days": 7}]}
    state = _bucket_state(versioning="Enabled",
                          rules=[{"ID": "old", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 7}}])
    assert mp.plan([bucket], {}, [], state) == []


def test_only_differences_are_applied():
    bucket = {"name": "logs", "versioning": True, "anonymous": "download", "quota": "1GiB"}
    changes = mp.plan([bucket], {}, [], _bucket_state())
    assert [c.argv for c in changes] == [
        ["mc", "version", "enable", "appstack/logs"],
        ["mc", "anonymous", "set", "download", "appstack/logs"],
        ["mc", "quota", "set", "appstack/logs", "--size", "1073741824"]]


def test_a_missing_bucket_is_created_with_its_lock():
    state = {"buckets": (0, ""), "stat.0": (1, "no such bucket"), "anonymous.0": (1, ""), "quota.0": (1, "")}
    changes = mp.plan([{"name": "logs", "object_lock": True, "lifecycle": [{"expire_days": 3}]}], {}, [], state)
    assert changes[0].argv == ["mc", "mb", "--with-lock", "appstack/logs"]
    assert changes[1].argv[:4] == ["mc", "ilm", "rule", "import"]


def test_object_lock_cannot_change_on_an_existing_bucket():
    with pytest.raises(model.MinioStateError, match="object locking is chosen only when a bucket is created"):
        mp.plan([{"name": "logs", "object_lock": True}], {}, [], _bucket_state())


def test_users_are_added_reset_and_their_policies_attached_and_detached():
    users = [{"name": "app", "secret_key": "app-secret-one", "policies": ["readwrite"]},
             {"name": "new", "secret_key": "new-secret-one", "policies": ["readonly"]}]
    state = {"users": (0, '{"status":"success","accessKey":"app","policyName":"readonly","userStatus":"enabled"}'),
             "secret.0": (1, '{"status":"error","error":{"cause":{"error":{"Code":"SignatureDoesNotMatch"}}}} '
                             "SignatureDoesNotMatch"),
             "secret.1": (1, "InvalidAccessKeyId")}
    argv = [c.argv for c in mp.plan([], {}, users, state)]
    assert argv == [["mc", "admin", "user", "add", "appstack", "app"],
                    ["mc", "admin", "policy", "attach", "appstack", "readwrite", "--user", "app"],
                    ["mc", "admin", "policy", "detach", "appstack", "readonly", "--user", "app"],
                    ["mc", "admin", "user", "add", "appstack", "new"],
                    ["mc", "admin", "policy", "attach", "appstack", "readonly", "--user", "new"]]


def test_a_user_whose_secret_works_and_policies_match_needs_nothing():
    users = [{"name": "app", "secret_key": "app-secret-one", "policies": ["readonly"]}]
    state = {"users": (0, '{"status":"success","accessKey":"app","policyName":"readonly","userStatus":"enabled"}'),
             "secret.0": (1, "Access Denied.")}
    assert mp.plan([], {}, users, state) == []
