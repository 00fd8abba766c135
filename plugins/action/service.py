# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Action appstack.platform.service: deploy the containers of one or more service roles (see plugins/modules/service.py)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.appstack.platform.plugins.module_utils import containers
from ansible_collections.appstack.platform.plugins.plugin_utils.deploy import (
    SUPPORT_ROLES, check_stack, configure_steps, file_layout, host_layout, plan, settings)
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack, short_message

#: Keys of a module result that may carry option values (secrets); never passed on.
_PRIVATE = ("invocation", "container", "_ansible_no_log")


class ActionModule(ActionBase):
    """Render and write every file, create network and volumes, run each container, then wait for all of them."""

    TRANSFERS_FILES = False

    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        self._timings: dict[str, float] = {}
        services = list(self._task.args.get("services") or [])
        result.update(changed=False, containers={})
        try:
            stack = Stack(self, task_vars, SUPPORT_ROLES + services)
            if self._task.args.get("validate", True):
                errors, _planned = check_stack(stack, services)
                if errors:
                    return self._fail(result, f"{len(errors)} problem(s) in the settings; nothing was changed:\n"
                                      + "\n".join(f"- {e}" for e in errors))
            conf = settings(stack)
            planned = plan(stack, services)
            steps = [step for role in services for step in configure_steps(stack, role)]
        except AnsibleError as exc:
            return self._fail(result, short_message(exc))

        diffs: list[dict] = []
        self._notes: list[str] = []
        self._saved: dict[str, list[dict]] = {}
        try:
            failure = (self._prepare(planned, steps, conf, task_vars, result, diffs)
                       or self._test_and_promote(planned, conf, task_vars, result)
                       or self._start(planned, conf, task_vars, result, diffs)
                       or self._wait(conf, task_vars, result)
                       or self._reload(task_vars, result)
                       or self._configure(planned, steps, conf, task_vars, result))
        except Exception as exc:  # noqa: BLE001 - whatever broke, what was set aside must come back
            failure = f"the deploy stopped: {exc.__class__.__name__}: {exc}"
            for name in getattr(self, "_aside", {}):
                getattr(self, "_failed", {}).setdefault(name, "")
        failure = self._settle(conf, task_vars, failure)
        if self._notes:
            result["warnings"] = list(self._notes)
        if failure:
            return self._fail(result, failure)
        if diffs and self._task.diff:
            result["diff"] = diffs
        result["timings"] = self._timings
        result["msg"] = "; ".join(f"{name}: {'changed' if c['changed'] else 'unchanged'}, {c['health'] or 'running'}"
                                  for name, c in result["containers"].items())
        return result

    def _prepare(self, planned: list[dict], steps: list[dict], conf: dict, task_vars: dict, result: dict,
                 diffs: list) -> str | None:
        """Files, network and volumes in one round trip, which also reports containers, images and step records."""
        first_dir: dict[str, str] = {}
        for item in planned:
            first_dir.setdefault(item["spec"]["role"], containers.directory(item["spec"], conf["config_root"]))
        for step in steps:
            step["record"] = f"{first_dir[step['role']]}/{step['record']}"
        layout = host_layout(planned, conf)
        layout.update(containers=[item["spec"]["name"] for item in planned],
                      images=sorted({item["image_ref"] for item in planned}),
                      records=[{"path": step["record"], "content": step["digest"]} for step in steps])
        prepared = self._module("appstack.platform.prepare_host", layout, task_vars, timing="prepare")
        if prepared.get("failed"):
            return prepared.get("msg", "could not prepare the Docker host")
        self._prepared = prepared
        # Staged files are no change yet: that comes when they go live (after their test, where there is one).
        result["changed"] = bool(prepared.get("created")) or any(
            ".next/" not in path and not path.endswith(".next") for path in prepared.get("changed_paths") or [])
        diffs.extend(_as_list(prepared.get("diff")))
        return None

    def _test_and_promote(self, planned: list[dict], conf: dict, task_vars: dict, result: dict) -> str | None:
        """Every container's files were staged: where they differ from the live ones, test them in a one-off container
        of the new image (when the engine has a test and the service runs), then put them live, keeping the live ones
        of a running container until its new one is healthy. A failed test leaves the running service untouched."""
        self._to_reload: list[dict] = []
        self._promoted: set[str] = set()
        differ = set(self._prepared.get("dirs_differ") or [])
        states = self._prepared.get("containers") or {}
        promote: dict[str, list] = {"files": [], "secret_files": [], "prune": [], "snapshots": []}
        for item in planned:
            spec = item["spec"]
            live = containers.staged(spec, conf["config_root"])
            if not differ & set(live):
                continue
            result["changed"] = True
            if self._task.check_mode:
                continue
            # Without a running container there is nothing to protect: it reads the files at its start and the
            # health gate judges them (with the container's own error lines), which spares a one-off container.
            running = (states.get(spec["name"]) or {}).get("running")
            if running and containers.config_test(spec):
                failure = self._test(item, conf, task_vars)
                if failure:
                    return failure
            # The files the running container (or a copy an earlier run left of it) was started with; a copy's own
            # saved files, where that run got to save them, are older than the live ones and stay.
            leftover = spec["name"] in (self._prepared.get("previous") or [])
            if running or leftover:
                saved = containers.saved(spec, conf["config_root"])
                promote["snapshots"] += [{"source": path, "target": copy, "keep_existing": leftover and not running}
                                         for path, copy in saved.items()]
                self._saved[spec["name"]] = [{"saved": copy, "live": path} for path, copy in saved.items()]
            uid, gid = spec.get("uid", 0), spec.get("gid", spec.get("uid", 0))
            layout = file_layout(item, {kind: f"{containers.directory(spec, conf['config_root'])}/{kind}"
                                        for kind in ("config", "secrets")}, uid, gid)
            promote["files"] += layout["files"]
            promote["secret_files"] += layout["secret_files"]
            promote["prune"] += list(live)
            self._promoted.add(spec["name"])
            if spec.get("reload"):
                self._to_reload.append(item)
        if promote["prune"]:
            promoted = self._module("appstack.platform.prepare_host", promote, task_vars, timing="promote")
            if promoted.get("failed"):
                return promoted.get("msg", "could not put the tested configuration in place")
        return None

    def _test(self, item: dict, conf: dict, task_vars: dict) -> str | None:
        """Run the container's configuration test on the staged files in a one-off container of the new image."""
        spec = item["spec"]
        test = containers.config_test_args(spec, conf, item["image_ref"])
        start = time.monotonic()
        # Straight, not through _module: the failure message needs the test container's output.
        outcome = self._execute_module(module_name="community.docker.docker_container", module_args=test, task_vars=task_vars)
        self._timings[f"test {spec['name']}"] = round(time.monotonic() - start, 2)
        if not outcome.get("failed"):
            return None
        output = (outcome.get("container") or {}).get("Output") or outcome.get("msg", "")
        return (f"{spec['role']}: {spec['name']}: the new configuration failed its test "
                f"({' '.join(containers.config_test(spec)['test'])}); the running service and its files are unchanged:\n"
                f"{output.strip()}")

    def _reload(self, task_vars: dict, result: dict) -> str | None:
        """Reload each running container whose tested files went live (a recreated one read them at its start)."""
        for item in self._to_reload:
            name = item["spec"]["name"]
            if result["containers"].get(name, {}).get("changed"):
                continue
            outcome = self._module("community.docker.docker_container_exec",
                                   {"container": name, "argv": item["spec"]["reload"]["command"]}, task_vars,
                                   timing=f"reload {name}")
            if outcome.get("failed") or outcome.get("rc", 0) != 0:
                return f"{name}: reloading failed: {outcome.get('stderr') or outcome.get('msg', '')}"
            result["containers"][name]["reloaded"] = True
        return None

    def _start(self, planned: list[dict], conf: dict, task_vars: dict, result: dict, diffs: list) -> str | None:
        """docker_container for every container not already exactly as described; a running, healthy one it will
        replace is set aside first, to come back if its replacement fails. A described container whose health is
        stale gets its checks re-armed, an unhealthy one is restarted once. What fails is kept for the wait."""
        self._to_wait: list[dict] = []
        self._aside: dict[str, dict] = {}
        self._leftovers: dict[str, list[dict]] = {}
        self._heals: dict[str, dict] = {}
        self._failed: dict[str, str] = {}
        self._timeouts = {item["spec"]["name"]: int(item["spec"]["healthy_timeout"]) for item in planned}
        self._roles = {item["spec"]["name"]: item["spec"]["role"] for item in planned}
        states, images = self._prepared.get("containers") or {}, self._prepared.get("images") or {}
        pending = []
        for item in planned:
            name = item["spec"]["name"]
            state, image_id = states.get(name), images.get(item["image_ref"])
            # A copy set aside by a run that stopped half-way: the last good container while this one is missing or
            # broken and its replacement fails; dropped once the container is healthy.
            if name in (self._prepared.get("previous") or []):
                saved = containers.saved(item["spec"], conf["config_root"])
                self._leftovers[name] = [{"saved": copy, "live": path} for path, copy in saved.items()]
            described = containers.is_described(item["args"], state, image_id)
            runs = bool(state and state.get("running") and not state.get("restarting"))
            health = (state or {}).get("health")
            if described and runs and name in self._promoted and not item["spec"].get("reload"):
                # Its live files differed from what it was deployed with (changed by hand): it reads them at its start.
                self._heals[name] = {"op": "restart", "said": "", "why": "had live files other than those it was deployed with; wrote them back"}
                result["containers"][name] = {"changed": False, "id": state["id"], "health": health}
                if not conf["full_compare"]:
                    continue
            elif described and runs and health in ("stale", "unhealthy", "starting"):
                # starting: no verdict yet (Docker 23+ starts over after a daemon restart); it gets Docker's own.
                op = {"stale": "rearm", "unhealthy": "restart", "starting": "watch"}[health]
                self._heals[name] = {"op": op, "said": state.get("health_output") or ""}
                result["containers"][name] = {"changed": False, "id": state["id"], "health": health}
                if not conf["full_compare"]:
                    continue
            elif described and runs and health in ("healthy", None) and not conf["full_compare"]:
                result["containers"][name] = {"changed": False, "id": state["id"], "health": health}
                continue
            elif not described and runs and health in ("healthy", "starting", None):
                self._aside[name] = {"change": "the change of " + containers.what_changed(item["args"], state, image_id),
                                     "replace": True}
            elif name in self._leftovers:
                self._aside[name] = {"change": "an earlier run that stopped half-way"}
            if name in self._aside:
                saved = containers.saved(item["spec"], conf["config_root"])
                self._aside[name]["files"] = [{"saved": copy, "live": path} for path, copy in saved.items()]
            pending.append(item)
        if self._task.check_mode:
            result["changed"] |= bool(self._heals)
            if f"network/{conf['network']}" in (self._prepared.get("created") or []):
                # No network yet, so nothing of the stack exists: every container would be created.
                for item in pending:
                    result["containers"][item["spec"]["name"]] = {"changed": True, "id": None, "health": None}
                result["changed"] |= bool(pending)
                return None
        failure = self._set_aside(conf, task_vars)
        if failure:
            return failure
        for item, outcome in self._run_containers(pending, task_vars):
            name = item["spec"]["name"]
            if outcome.get("failed"):
                self._failed[name] = f"{name}: {outcome.get('msg', 'could not run the container')}"
                continue
            container = outcome.get("container") or {}
            health = ((container.get("State") or {}).get("Health") or {}).get("Status")
            result["containers"][name] = {"changed": bool(outcome.get("changed")), "id": container.get("Id"), "health": health}
            result["changed"] |= bool(outcome.get("changed"))
            diffs.extend(_as_list(outcome.get("diff")))
            if (outcome.get("changed") or health not in (None, "healthy")) and name not in self._heals:
                self._to_wait.append({"name": name, "timeout": self._timeouts[name]})
        self._heal(self._heals, conf, task_vars, result)
        return None

    def _set_aside(self, conf: dict, task_vars: dict) -> str | None:
        """Stop each running container about to be replaced and keep it as <name>-previous."""
        running = [name for name, aside in self._aside.items() if aside.get("replace")]
        if not running or self._task.check_mode:
            return None
        outcome = self._lifecycle([{"op": "set_aside", "container": name, "stop_timeout": int(conf["stop_timeout"])}
                                   for name in running], task_vars, "set aside")
        for entry in outcome.get("results") or []:
            if entry.get("ok"):
                self._aside[entry["container"]]["at"] = entry["at"]
            else:
                self._aside.pop(entry["container"], None)
        return outcome.get("msg") if outcome.get("failed") else None

    def _heal(self, heals: dict[str, dict], conf: dict, task_vars: dict, result: dict) -> None:
        """Re-arm stale health checks and restart unhealthy containers once; the wait then judges them, and a container
        still starting gets Docker's own verdict (only probes after a re-arm count; Docker's status for the others)."""
        if not heals or self._task.check_mode:
            return
        operations = [{"op": heal["op"], "container": name, "stop_timeout": int(conf["stop_timeout"])}
                      for name, heal in sorted(heals.items()) if heal["op"] != "watch"]
        results = [{"op": "watch", "container": name, "ok": True, "at": 0.0} for name, heal in sorted(heals.items())
                   if heal["op"] == "watch"]
        if operations:
            outcome = self._lifecycle(operations, task_vars, "heal")
            results += outcome.get("results") or []
            result["changed"] = True
        rearmed = []
        for entry in results:
            name = entry["container"]
            if not entry.get("ok"):
                self._failed[name] = f"{name}: {entry['msg']} (its last health check said: {heals[name]['said'] or 'nothing'})"
                continue
            heals[name]["done"] = entry["op"]
            wait = {"name": name, "timeout": self._timeouts[name]}
            if entry["op"] == "restart":
                result["containers"][name]["changed"] = True
                why = heals[name].get("why") or f"was unhealthy (its last health check said: {heals[name]['said'] or 'nothing'})"
                self._notes.append(f"{name} {why}; restarted it once")
            else:
                wait["fresh_since"] = entry["at"]
                if entry["op"] == "rearm":
                    rearmed.append(name)
            self._to_wait.append(wait)
        if rearmed:
            self._notes.append(f"Docker had stopped running the health checks of {', '.join(rearmed)} (a stale status, as "
                               "after a daemon restart on Docker 20.10); re-armed them (pause and unpause) and waited for "
                               "Docker's new verdict")

    def _wait(self, conf: dict, task_vars: dict, result: dict) -> str | None:
        """One wait for every container started, restarted or re-armed (nothing is started in check mode). One left as it
        was (re-armed, or still starting) that Docker then judges unhealthy is restarted once and waited for again.
        Fails with everything that failed since the start."""
        if self._to_wait and not self._task.check_mode:
            waited = self._wait_for(self._to_wait, conf, task_vars, result)
            failed = set(waited.get("unhealthy") or [])
            again = {name: {"op": "restart", "said": (waited.get("said") or {}).get(name, "")}
                     for name in failed if self._heals.get(name, {}).get("done") in ("rearm", "watch")}
            if failed - set(again):
                self._failed.update({name: "" for name in failed - set(again)})
                self._failed["_wait"] = waited.get("msg", "containers did not become healthy")
            if again:
                self._to_wait = []
                self._heal(again, conf, task_vars, result)
                if self._to_wait:
                    retried = self._wait_for(self._to_wait, conf, task_vars, result)
                    if retried.get("unhealthy"):
                        self._failed.update({name: "" for name in retried["unhealthy"]})
                        self._failed["_retry"] = retried.get("msg", "")
        if not self._failed:
            return None
        return "\n".join(msg for _name, msg in sorted(self._failed.items()) if msg)

    def _wait_for(self, wanted: list[dict], conf: dict, task_vars: dict, result: dict) -> dict:
        waited = self._module("appstack.platform.wait_healthy", {"containers": wanted, "log_lines": int(conf["log_lines"])},
                              task_vars, timing="wait")
        for name, status in (waited.get("containers") or {}).items():
            if name in result["containers"]:
                result["containers"][name]["health"] = status
        result["waited"] = round(result.get("waited", 0) + (waited.get("waited") or 0), 2)
        return waited

    def _settle(self, conf: dict, task_vars: dict, failure: str | None) -> str | None:
        """Bring back, with its files, every container set aside whose replacement failed, and wait until it is
        healthy; drop the copies no longer needed (set-aside containers whose replacement is healthy, saved files)."""
        if self._task.check_mode:
            return failure
        aside, failed = getattr(self, "_aside", {}), getattr(self, "_failed", {})
        undone = sorted(name for name in aside if name in failed)
        operations = [{"op": "restore", "container": name, "files": aside[name]["files"]} for name in undone]
        for name in undone:
            self._saved.pop(name, None)
        # A copy an earlier run left goes only once this run succeeded: until then it may be the last good one.
        leftovers = {} if failure else getattr(self, "_leftovers", {})
        kept = {name for name in aside if failure and not aside[name].get("replace")}
        files = {**leftovers, **self._saved, **{name: entry["files"] for name, entry in aside.items()}}
        operations += [{"op": "discard", "container": name, "files": files[name]}
                       for name in sorted(set(aside) | set(self._saved) | set(leftovers)) if name not in set(undone) | kept]
        if not operations:
            return failure
        outcome = self._lifecycle(operations, task_vars, "settle")
        if not undone:
            return failure or (outcome.get("msg") if outcome.get("failed") else None)
        restored = {entry["container"]: entry for entry in outcome.get("results") or [] if entry["op"] == "restore"}
        back = [name for name in undone if restored.get(name, {}).get("ok")]
        waited = self._module("appstack.platform.wait_healthy", {
            "containers": [{"name": name, "timeout": self._timeouts.get(name, 180)} for name in back],
            "log_lines": int(conf["log_lines"])}, task_vars, timing="rollback wait") if back else {}
        lines = []
        for name in undone:
            said = f"{self._roles.get(name, name)}: {name} did not become healthy after {aside[name]['change']}"
            if name not in back:
                lines.append(f"{said}, and its previous container could not be brought back: "
                             f"{restored.get(name, {}).get('msg') or outcome.get('msg', '')}")
            elif name in (waited.get("unhealthy") or []):
                lines.append(f"{said}; its previous container and files are back but did not become healthy either")
            else:
                ready = restored[name]["at"] + (waited.get("waited") or 0)
                down = f" (the service was down for {ready - aside[name]['at']:.0f} s)" if "at" in aside[name] else ""
                lines.append(f"{said}, so the change was undone: its previous container and files are back and "
                             f"healthy{down}; data volumes were not touched")
        tail = [waited["msg"]] if waited.get("failed") else []
        return "\n".join(lines + ["What failed:", failure or ""] + tail).strip()

    def _lifecycle(self, operations: list[dict], task_vars: dict, timing: str) -> dict:
        return self._module("appstack.platform.lifecycle", {"operations": operations}, task_vars, timing=timing)

    def _configure(self, planned: list[dict], steps: list[dict], conf: dict, task_vars: dict, result: dict) -> str | None:
        """Post-start steps; one whose inputs match its last success, on untouched containers, is not run again."""
        done = []
        untouched = {name for name, c in result["containers"].items() if not c["changed"]}
        differ = self._prepared.get("records_differ") or []
        due = []
        for step in steps:
            role_untouched = all(item["spec"]["name"] in untouched for item in planned if item["spec"]["role"] == step["role"])
            if not conf["full_compare"] and role_untouched and step["record"] not in differ:
                result.setdefault("configured", {})[step["name"]] = False
                continue
            args = dict(step["args"])
            # The collection's own step modules write their record themselves once they succeeded.
            if step["record"] in differ and step["module"].startswith("appstack.platform."):
                args["record"] = {"path": step["record"], "content": step["digest"]}
            due.append((step, args))
        outcomes = self._run_steps(due, task_vars)
        for index, (step, _args) in enumerate(due):
            outcome = outcomes.get(index)
            if outcome is None or outcome.get("skipped"):
                continue
            if outcome.get("failed"):
                return f"{step['role']}: {step['name']} failed: {outcome.get('msg', '')}"
            result["changed"] |= bool(outcome.get("changed"))
            result.setdefault("configured", {})[step["name"]] = bool(outcome.get("changed"))
            if step["record"] in differ and not step["module"].startswith("appstack.platform."):
                done.append({"path": step["record"], "content": step["digest"], "mode": "0600"})
        if done:
            recorded = self._module("appstack.platform.prepare_host", {"files": done}, task_vars, timing="record")
            if recorded.get("failed"):
                return recorded.get("msg", "could not record the post-start steps")
        return None

    def _run_steps(self, due: list[tuple[dict, dict]], task_vars: dict) -> dict[int, dict]:
        """Outcome per index in DUE. A role's steps run in order and stop at its first failure; the chains of
        different roles run side by side where that is safe (PostgreSQL's provisioning beside MinIO's)."""
        chains: dict[str, list[int]] = {}
        for index, (step, _args) in enumerate(due):
            chains.setdefault(step["role"], []).append(index)

        def chain(indexes: list[int]) -> dict[int, dict]:
            outcomes = {}
            for index in indexes:
                step, args = due[index]
                outcomes[index] = self._module(step["module"], args, task_vars, timing=f"step {step['name']}")
                if outcomes[index].get("failed"):
                    break
            return outcomes

        if len(chains) < 2 or not self._can_run_side_by_side():
            outcomes: dict[int, dict] = {}
            for indexes in chains.values():
                outcomes.update(chain(indexes))
                if any(o.get("failed") for o in outcomes.values()):
                    break
            return outcomes
        # Build each module's payload once (AnsiballZ cache) before the threads read it.
        for module, args in {step["module"]: args for step, args in due}.items():
            self._configure_module(module, dict(args), task_vars)
        with ThreadPoolExecutor(max_workers=min(4, len(chains))) as pool:
            return {index: outcome for part in pool.map(chain, chains.values()) for index, outcome in part.items()}

    def _run_containers(self, items: list[dict], task_vars: dict) -> list[tuple[dict, dict]]:
        """docker_container for each item: side by side where that is safe, else one after another."""
        def run(item: dict) -> tuple[dict, dict]:
            return item, self._module("community.docker.docker_container", item["args"], task_vars, keep_container=True,
                                      timing=f"container {item['spec']['name']}")

        if len(items) < 2 or not self._can_run_side_by_side():
            return [run(item) for item in items]
        # Build the module payload once (AnsiballZ cache) before the threads read it.
        self._configure_module("community.docker.docker_container", dict(items[0]["args"]), task_vars)
        with ThreadPoolExecutor(max_workers=min(4, len(items))) as pool:
            return list(pool.map(run, items))

    def _can_run_side_by_side(self) -> bool:
        """Module runs may overlap only without a remote temp dir (pipelining) and without become wrapping,
        whose plugin keeps per-command state on the connection."""
        if not self._connection.is_pipelining_enabled():
            return False
        become = self._connection.become
        if not become:
            return True
        remote_user, become_user = self._get_remote_user(), self.get_become_option("become_user")
        return not C.BECOME_ALLOW_SAME_USER and remote_user == become_user and bool(remote_user)

    def _module(self, name: str, args: dict, task_vars: dict, keep_container: bool = False, timing: str | None = None) -> dict:
        start = time.monotonic()
        outcome = self._execute_module(module_name=name, module_args=args, task_vars=task_vars)
        if timing:
            self._timings[timing] = round(self._timings.get(timing, 0) + time.monotonic() - start, 2)
        container = outcome.get("container")
        outcome = {k: v for k, v in outcome.items() if k not in _PRIVATE}
        if keep_container and isinstance(container, dict):
            outcome["container"] = {"Id": container.get("Id"), "State": container.get("State")}
        return outcome

    @staticmethod
    def _fail(result: dict, msg: str) -> dict:
        result.update(failed=True, msg=msg)
        return result


def _as_list(diff: Any) -> list:
    if not diff:
        return []
    return diff if isinstance(diff, list) else [diff]
