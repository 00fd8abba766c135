"""No value can become configuration it was not meant to be.

Every free-form map and string that reaches a configuration file, a command line or an environment file gets
at least one injection case: a line break (the text after it would be a directive of its own), a key outside
the engine's key syntax, a quote or a field separator that would end the value early, or a nested value where
the file takes one. Each runs site.yml against a deployed stack (PostgreSQL and Redis) with the service that
reads the value added, and must be refused by the whole-stack preflight, naming the variable (and the key),
with every container, volume, network and file exactly as it was (Id and StartedAt).
"""

from __future__ import annotations

import pytest
from conftest import assert_refused, deployed, run_playbook, unique_project

BREAK = "x\nrequirepass hijacked"
APP = {"appstack_services": ["postgres", "redis", "app"],
       "postgres_users": [{"name": "app", "password": "app-secret-1"}], "postgres_databases": [{"name": "app", "owner": "app"}],
       "app_wired_services": ["postgres", "redis"]}
APP_COMPONENT = {"name": "app", "image": "demo-app", "uid": 10001, "healthcheck": {"test": ["CMD", "demo-app", "health"]},
                 "processes": [{"name": "web", "command": ["web"], "replicas": 1, "port": 8000}]}
KAFKA = {"appstack_services": ["postgres", "redis", "kafka"]}
ES = {"appstack_services": ["postgres", "redis", "elasticsearch"]}
MINIO = {"appstack_services": ["postgres", "redis", "minio"]}
NGINX = {"appstack_services": ["postgres", "redis", "nginx"]}
MONITORING = {"appstack_services": ["postgres", "redis", "prometheus_grafana"], "prometheus_grafana_grafana_enabled": False}

# case: (variables, fragments the refusal must hold)
CASES = {
    # postgresql.conf, pg_hba.conf
    "postgres_parameters_line_break": ({"postgres_parameters": {"work_mem_x": BREAK}},
                                       ["postgres_parameters: the value of work_mem_x holds a line break"]),
    "postgres_parameters_key_syntax": ({"postgres_parameters": {"port = 1\nssl": "on"}},
                                       ["postgres_parameters: the key 'port = 1\\nssl' holds a line break"]),
    "postgres_parameters_key_with_a_space": ({"postgres_parameters": {"listen = '*' #": "x"}},
                                             ["postgres_parameters: every key must be a PostgreSQL setting name", "\"listen = '*' #\""]),
    "postgres_parameters_nested_value": ({"postgres_parameters": {"search_path": ["a", "b"]}},
                                         ["postgres_parameters: the value of search_path must be a string, a number or a boolean"]),
    "postgres_parameters_managed_by_the_role": ({"postgres_parameters": {"hba_file": "/tmp/trust.conf"}},
                                                ["postgres_parameters: hba_file is set by the role"]),
    "postgres_hba_extra_fields": ({"postgres_hba_rules": [{"database": "all all 0.0.0.0/0 trust", "address": "10.0.0.0/8"}]},
                                  ["postgres_hba_rules: every database must be all, sameuser", "'all all 0.0.0.0/0 trust'"]),
    "postgres_hba_address_with_a_method": ({"postgres_hba_rules": [{"address": "0.0.0.0/0 trust"}]},
                                           ["postgres_hba_rules: every address must be a CIDR network"]),
    "postgres_init_script_path_line_break": ({"postgres_init_scripts": ["/tmp/a.sql\n/etc/passwd"]},
                                             ["postgres_init_scripts: the value of [0] holds a line break"]),
    # redis.conf, users.acl
    "redis_config_line_break": ({"redis_config": {"maxclients": "100\nrename-command GET \"\""}},
                                ["redis_config: the value of maxclients holds a line break"]),
    "redis_config_key_syntax": ({"redis_config": {"maxclients 1\nrequirepass": "x"}},
                                ["redis_config: the key 'maxclients 1\\nrequirepass' holds a line break"]),
    "redis_config_managed_by_the_role": ({"redis_config": {"requirepass": "other"}}, ["redis_config: requirepass is set by the role"]),
    "redis_config_nested_value": ({"redis_config": {"maxclients": {"a": 1}}},
                                  ["redis_config: the value of maxclients must be a string, a number or a boolean"]),
    "redis_acl_rules_line_break": ({"redis_acl_users": [{"name": "app", "password": "app-secret-1", "rules": "~* +@all\nuser evil on nopass +@all"}]},
                                   ["redis_acl_users: the value of [0].rules holds a line break"]),
    "redis_renamed_command_name": ({"redis_renamed_commands": {"CONFIG\nuser evil": "x"}},
                                   ["redis_renamed_commands: the key 'CONFIG\\nuser evil' holds a line break"]),
    "redis_save_line_break": ({"redis_save": ["60 1\"\ninclude /tmp/x\"", "300 10"]}, ["redis_save: the value of [0] holds a line break"]),
    "redis_password_line_break": ({"redis_password": "pw\nuser evil on nopass"}, ["redis_password: the value holds a line break"]),
    # server.properties, the JAAS file, the kafka tools' command lines
    "kafka_config_line_break": ({**KAFKA, "kafka_config": {"log.retention.ms": "1\nlisteners=EVIL://:1"}},
                                ["kafka_config: the value of log.retention.ms holds a line break"]),
    "kafka_config_key_syntax": ({**KAFKA, "kafka_config": {"a=b\nlisteners": "x"}}, ["kafka_config: the key 'a=b\\nlisteners' holds a line break"]),
    "kafka_config_key_with_equals": ({**KAFKA, "kafka_config": {"a=b": "x"}},
                                     ["kafka_config: every key must be a Kafka broker setting name", "'a=b'"]),
    "kafka_config_managed_by_the_role": ({**KAFKA, "kafka_config": {"advertised.listeners": "INTERNAL://evil:9092"}},
                                         ["kafka_config: advertised.listeners is set by the role"]),
    "kafka_topic_config_line_break": ({**KAFKA, "kafka_topics": [{"name": "orders", "configs": {"retention.ms": "1\n--delete"}}]},
                                      ["kafka_topics: the value of [0].configs.retention.ms holds a line break"]),
    "kafka_admin_password_quote": ({**KAFKA, "kafka_admin_password": 'admin-pw";\nevil'},
                                   ["kafka_admin_password: the value holds a line break"]),
    "kafka_admin_password_quote_on_one_line": ({**KAFKA, "kafka_admin_password": 'admin-pw" evil="1'},
                                               ["kafka_admin_password: must be 8 to 128 printable ASCII characters without spaces, quotes"]),
    "kafka_external_host_line_break": ({**KAFKA, "kafka_external_host": "localhost\nlisteners=EVIL://:1"},
                                       ["kafka_external_host: the value holds a line break"]),
    # elasticsearch.yml
    "elasticsearch_settings_key_line_break": ({**ES, "elasticsearch_settings": {"a.b: 1\nxpack.security.enabled": False}},
                                              ["elasticsearch_settings: the key 'a.b: 1\\nxpack.security.enabled' holds a line break"]),
    "elasticsearch_settings_key_syntax": ({**ES, "elasticsearch_settings": {"a.b: x #": 1}},
                                          ["elasticsearch_settings: every key must be a dotted elasticsearch.yml setting name"]),
    "elasticsearch_settings_value_line_break": ({**ES, "elasticsearch_settings": {"indices.fielddata.cache.size": "10%\nx: y"}},
                                                ["elasticsearch_settings: the value of indices.fielddata.cache.size holds a line break"]),
    # the MinIO container's environment
    "minio_config_line_break": ({**MINIO, "minio_config": {"MINIO_BROWSER": "off\nMINIO_ROOT_USER=evil"}},
                                ["minio_config: the value of MINIO_BROWSER holds a line break"]),
    "minio_config_key_syntax": ({**MINIO, "minio_config": {"MINIO_X=1 MINIO_Y": "2"}},
                                ["minio_config: every key must be a MinIO setting", "'MINIO_X=1 MINIO_Y'"]),
    # nginx.conf, site.conf, upstreams.conf
    "nginx_header_value_quote": ({**NGINX, "nginx_headers": {"X-Team": 'a"; return 200 "owned'}},
                                 ["nginx_headers: header values (and nginx_content_security_policy) may not hold quotes"]),
    "nginx_header_value_variable": ({**NGINX, "nginx_headers": {"X-Echo": "$http_authorization"}},
                                    ["nginx_headers: header values (and nginx_content_security_policy) may not hold quotes, backslashes, '$'"]),
    "nginx_header_name_line_break": ({**NGINX, "nginx_headers": {"X-A\nreturn": "1"}}, ["nginx_headers: the key 'X-A\\nreturn' holds a line break"]),
    "nginx_upstream_name": ({**NGINX, "nginx_upstreams": {"app { } server evil:1; upstream x": {"servers": ["app:8000"]}}},
                            ["nginx_upstreams: every key must be an upstream name"]),
    "nginx_upstream_keepalive": ({**NGINX, "nginx_upstreams": {"api": {"servers": ["app:8000"], "keepalive": "16; deny all"}}},
                                 ["nginx_upstreams: keepalive is a whole number"]),
    "nginx_route_path": ({**NGINX, "nginx_upstreams": {"api": {"servers": ["app:8000"]}},
                          "nginx_routes": [{"path": "/api/ { return 200; } location /x/", "upstream": "api"}]},
                         ["nginx_routes: every path must be a path prefix"]),
    "nginx_server_name": ({**NGINX, "nginx_server_name": "example.com; return 301 https://evil"}, ["nginx_server_name: "]),
    "nginx_csp_line_break": ({**NGINX, "nginx_content_security_policy": "default-src 'self'\nadd_header X 1"},
                             ["nginx_content_security_policy: the value holds a line break"]),
    # prometheus.yml
    "prometheus_extra_target_label_line_break": (
        {**MONITORING, "prometheus_grafana_extra_targets": [{"job": "node", "targets": ["node:9100"], "labels": {"team": "a\nb"}}]},
        ["prometheus_grafana_extra_targets: the value of [0].labels.team holds a line break"]),
    # the app's environment, build arguments and commands
    "app_env_nested_map": ({**APP, "app_env": {"FEATURES": {"a": 1}}},
                           ["app_env: the value of FEATURES must be a string, a number or a boolean"]),
    "app_env_line_break": ({**APP, "app_env": {"FEATURE": "on\nDATABASE_URL=postgresql://evil/app"}},
                           ["app_env: the value of FEATURE holds a line break"]),
    "app_component_env_name": ({**APP, "app_components": [{**APP_COMPONENT, "env": {"A=B": "c"}}]},
                               ["app_components: every key of [].env must be an environment variable name", "'A=B'"]),
    "app_process_command_line_break": (
        {**APP, "app_components": [{**APP_COMPONENT, "processes": [{**APP_COMPONENT["processes"][0], "command": ["web\n--evil"]}]}]},
        ["app_components: the value of [0].processes[0].command[0] holds a line break"]),
    "app_secret_name": ({**APP, "app_secrets": {"API KEY": "x"}}, ["app_secrets: every key must be an environment variable name"]),
    # sysctl.conf, daemon.json, the stack's names
    "docker_host_sysctl_line_break": ({"docker_host_sysctls": {"vm.overcommit_memory": "1\nkernel.panic = 1"}},
                                      ["docker_host_sysctls: the value of vm.overcommit_memory holds a line break"]),
    "docker_host_sysctl_name": ({"docker_host_sysctls": {"vm.x = 1 #": 1}}, ["docker_host_sysctls: every key must be a kernel parameter"]),
    "docker_host_daemon_option_name": ({"docker_host_daemon_extra": {"Bad Key": 1}}, ["docker_host_daemon_extra: every key must be a daemon.json option"]),
    "image_mirror_line_break": ({"image_factory_mirror": "http://deb.debian.org/debian\n--evil"},
                                ["image_factory_mirror: the value holds a line break"]),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """PostgreSQL and Redis of a project of their own, deployed once; every case must leave them exactly as they are."""
    base = {"appstack_project": unique_project("inject"), "appstack_services": ["postgres", "redis"],
            "postgres_host_port": 38432, "redis_host_port": 38379}
    with deployed("site.yml", base, tmp_path_factory.mktemp("deploy")) as state:
        yield base, state


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_injection_is_refused_before_anything_changes(stack, case, tmp_path):
    base, before = stack
    variables, expected = CASES[case]
    result = run_playbook("site.yml", {**base, **variables}, tmp_path, timeout=300)
    assert_refused(result, expected, base["appstack_project"], before)
    assert "hijacked" not in result.stdout, "the refusal must not echo the value"
