"""The checks of Prometheus's inputs (durations, sizes, scrape jobs, rule and dashboard files) and the scrape config."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.appstack.platform.plugins.filter import prometheus_grafana as filters
from ansible_collections.appstack.platform.plugins.module_utils import prometheus_config as pc


@pytest.mark.parametrize("value, ok", [("15d", True), ("1h30m", True), ("500ms", True), ("2w", True), ("1y2w3d4h5m6s7ms", True),
                                       ("", False), ("15", False), ("two weeks", False), ("30m1h", False), ("1.5h", False),
                                       ("d", False), (15, False)])
def test_durations_are_prometheus_durations(value, ok):
    assert pc.is_duration(value) is ok


@pytest.mark.parametrize("value, ok", [("10GB", True), ("512MB", True), ("1TB", True), ("", True), (None, True),
                                       ("10G", False), ("lots", False), ("0GB", False), ("1.5GB", False), ("10 GB", False)])
def test_retention_sizes(value, ok):
    assert pc.is_retention_size(value) is ok


def test_well_formed_jobs_pass_and_become_scrape_configs():
    jobs = [{"job": "node", "targets": ["10.0.0.5:9100", "db1.internal:9100"], "scrape_interval": "30s",
             "labels": {"site": "a"}}, {"job": "app", "targets": ["app:8000"], "metrics_path": "/internal/metrics", "scheme": "https"}]
    assert pc.job_errors(jobs) == []
    assert pc.scrape_configs(jobs) == [
        {"job_name": "node", "metrics_path": "/metrics", "scheme": "http", "scrape_interval": "30s",
         "static_configs": [{"targets": ["10.0.0.5:9100", "db1.internal:9100"], "labels": {"site": "a"}}]},
        {"job_name": "app", "metrics_path": "/internal/metrics", "scheme": "https", "static_configs": [{"targets": ["app:8000"]}]}]


@pytest.mark.parametrize("jobs, fragment", [
    ("node:9100", "must be a list of {job, targets}"),
    ([{"targets": ["a:1"]}], "every job needs a name"),
    ([{"job": "bad name", "targets": ["a:1"]}], "got 'bad name'"),
    ([{"job": "x", "targets": []}], "x needs targets, a list of host:port"),
    ([{"job": "x", "targets": ["nohost"]}], "every target of x is host:port (for example app:8000); got 'nohost'"),
    ([{"job": "x", "targets": ["http://a:1"]}], "got 'http://a:1'"),
    ([{"job": "x", "targets": ["a:1"], "metrics_path": "metrics"}], "metrics_path of x must start with /"),
    ([{"job": "x", "targets": ["a:1"], "scheme": "ftp"}], "scheme of x is http or https"),
    ([{"job": "x", "targets": ["a:1"], "scrape_interval": "often"}], "scrape_interval of x must be a duration"),
    ([{"job": "x", "targets": ["a:1"], "labels": {"bad-label": "v"}}], "labels of x map label names"),
    ([{"job": "x", "targets": ["a:1"], "relabel": []}], "x has unknown keys relabel"),
    ([{"job": "x", "targets": ["a:1"]}, {"job": "x", "targets": ["b:1"]}], "job x is scraped already"),
])
def test_malformed_jobs_are_named(jobs, fragment):
    errors = pc.job_errors(jobs)
    assert errors and all(e.startswith("prometheus_grafana_extra_targets: ") for e in errors)
    assert any(fragment in e for e in errors), errors


def test_a_job_name_the_stack_scrapes_already_is_refused():
    assert pc.job_errors([{"job": "postgres", "targets": ["a:1"]}], taken=["prometheus", "postgres"]) == [
        "prometheus_grafana_extra_targets: job postgres is scraped already (Prometheus itself, a service of the stack, "
        "the app or another extra target); give each job a name of its own"]


def test_the_scrape_config_filter_refuses_what_the_checks_refuse():
    with pytest.raises(AnsibleFilterError, match="scrape jobs: every target of x is host:port"):
        filters.prometheus_scrape_configs([{"job": "x", "targets": ["nohost"]}])


def test_rule_files_are_checked_before_promtool(tmp_path):
    good = tmp_path / "good.rules.yml"
    good.write_text("groups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: sum(up)\n")
    not_yaml = tmp_path / "broken.rules.yml"
    not_yaml.write_text("groups:\n  - name: [unclosed\n")
    not_rules = tmp_path / "list.yml"
    not_rules.write_text("- a\n- b\n")
    no_expr = tmp_path / "noexpr.yml"
    no_expr.write_text("groups:\n  - name: g\n    rules:\n      - alert: X\n")
    assert pc.rule_file_errors([str(good)]) == []
    errors = pc.rule_file_errors([str(not_yaml), str(not_rules), str(no_expr), str(tmp_path / "missing.yml"), "relative.yml"])
    assert errors[0].startswith(f"prometheus_grafana_rule_files: {not_yaml} is not YAML (line 3)")
    assert errors[1] == f"prometheus_grafana_rule_files: {not_rules} is not a Prometheus rule file (a mapping with groups: [{{name, rules}}])"
    assert errors[2] == f"prometheus_grafana_rule_files: {no_expr}: every rule of group g needs alert or record, and expr"
    assert errors[3] == f"prometheus_grafana_rule_files: {tmp_path / 'missing.yml'} does not exist on the controller"
    assert errors[4] == "prometheus_grafana_rule_files: 'relative.yml' is not an absolute path on the controller"
    assert pc.rule_file_errors("one.yml") == ["prometheus_grafana_rule_files: must be a list of controller paths of rule files; got 'one.yml'"]


def test_dashboard_files_are_json_dashboards(tmp_path):
    good = tmp_path / "team.json"
    good.write_text('{"title": "Team", "uid": "team-1", "panels": []}')
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "x", "panels": [')
    untitled = tmp_path / "untitled.json"
    untitled.write_text("[1, 2]")
    bad_uid = tmp_path / "uid.json"
    bad_uid.write_text('{"title": "x", "uid": "has spaces in it"}')
    yaml_named = tmp_path / "team.yaml"
    yaml_named.write_text('{"title": "x"}')
    assert pc.dashboard_errors([str(good)]) == []
    errors = pc.dashboard_errors([str(broken), str(untitled), str(bad_uid), str(yaml_named)])
    assert errors[0].startswith(f"prometheus_grafana_dashboards: {broken} is not JSON: ")
    assert errors[1] == f"prometheus_grafana_dashboards: {untitled} is not a Grafana dashboard (a JSON object with a title)"
    assert errors[2] == f"prometheus_grafana_dashboards: {bad_uid}: the dashboard uid is at most 40 letters, digits, '_' or '-'"
    assert errors[3] == f"prometheus_grafana_dashboards: {yaml_named} must end with .json (Grafana's file provider reads only *.json)"


def test_operator_files_become_config_files_as_written(tmp_path):
    rules = tmp_path / "team.rules.yaml"
    rules.write_text("groups: []  # {{ $labels.job }}\n")
    board = tmp_path / "board.json"
    board.write_text('{"title": "{{job}}"}')
    assert pc.controller_files([str(rules)], "rules") == [{"name": "operator-team.rules.yml", "content": rules.read_text()}]
    assert pc.controller_files([str(board)], "dashboards", "/d") == [
        {"name": "dashboard-board.json", "content": board.read_text(), "mount": "/d/board.json"}]
    with pytest.raises(AnsibleFilterError, match="does not exist on the controller"):
        filters.prometheus_grafana_files([str(tmp_path / "gone.yml")], "rules")
