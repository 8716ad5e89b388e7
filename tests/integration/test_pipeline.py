"""The full pipeline on the sample app, for real: first deploy, an update after a
code change, and the failures that must leave nothing half-done: whatever fails,
the cluster is put back as the run found it (the README's promise)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from helpers import config, images, kube, lessons, pipeline, waiting
from helpers.errors import BuildFailed, DeployFailed, ManifestInvalid

from ..conftest import commit

pytestmark = pytest.mark.cluster
LABCTL = str(Path(sys.executable).with_name("labctl"))
CRASH = ["/bin/python", "-c", "raise SystemExit('v2 crashes at start: missing config')"]


def own_host(repo, namespace):
    """Give the copy its own Ingress host so tests never share a route."""
    ing = repo / "k8s" / "ingress.yaml"
    ing.write_text(ing.read_text().replace("host: hello.localhost", f"host: {namespace}.localhost"))
    commit(repo, "own host")


def edit(repo: Path, file: str, change) -> None:
    """Change one k8s/ file as a learner would (``change`` edits the loaded object in place)."""
    path = repo / "k8s" / file
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def container(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]["containers"][0]


def live_template(namespace: str, name: str = "hello") -> dict:
    return kube.get("deployment", name, namespace)["spec"]["template"]


def revision(namespace: str) -> str:
    return kube.get("deployment", "hello", namespace)["metadata"]["annotations"][kube.REVISION]


def serves(url: str, version: str, timeout: float = 30) -> str:
    return pipeline.wait_url(url, f"version={version}", timeout=timeout)


def test_first_deploy_then_code_change_rolls_out_v2(sample_repo, namespace):
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert first.first_deploy and first.url == f"http://{namespace}.localhost/"
    assert "version=v1" in first.body and first.image.startswith("localhost:5001/hello:")
    assert [s.ok for s in first.steps] == [True] * 7
    assert pipeline.get(first.url).status_code == 200

    (sample_repo / "VERSION").write_text("v2\n")
    commit(sample_repo, "hello v2")
    second = pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert not second.first_deploy and second.image != first.image
    assert second.steps[5].detail == "rolling update"
    assert revision(namespace) == "2"
    # Live means every answer from now on comes from v2, not only the first one.
    answers = [pipeline.get(second.url).text for _ in range(20)]
    assert all("version=v2" in a for a in answers), answers


def test_rerun_of_the_live_commit_is_a_noop_and_its_failure_rolls_nothing_back(sample_repo, namespace):
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    before = kube.get("deployment", "hello", namespace)["metadata"]
    sets = sorted(rs["metadata"]["name"] for rs in kube.get("replicaset", namespace=namespace))

    again = pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert again.steps[5].detail == "unchanged: already live" and again.image == first.image
    after = kube.get("deployment", "hello", namespace)["metadata"]
    assert (after["generation"], after["annotations"][kube.REVISION]) == (before["generation"], "1")

    # The same commit again, but its last step fails (the answer never has the marker):
    # nothing was changed, so nothing may be rolled back (there is no revision 0 to go to).
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False, expect_in_body="never-there", url_timeout=3)
    assert "never-there" in err.value.what and "rolled back" not in err.value.hint
    after = kube.get("deployment", "hello", namespace)["metadata"]
    assert (after["generation"], after["annotations"][kube.REVISION]) == (before["generation"], "1")
    assert sorted(rs["metadata"]["name"] for rs in kube.get("replicaset", namespace=namespace)) == sets
    assert "version=v1" in pipeline.get(first.url).text


def test_v2_adding_a_crashing_command_fails_fast_and_the_undo_removes_the_command(sample_repo, namespace):
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    v1 = live_template(namespace)
    edit(sample_repo, "deployment.yaml", lambda d: container(d).update(command=CRASH))
    (sample_repo / "VERSION").write_text("v2-crashes\n")
    commit(sample_repo, "v2 starts with a command that crashes")

    started = time.monotonic()
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)  # the default timeout: 300 s
    failed_after = time.monotonic() - started
    # Fail fast: CrashLoopBackOff is seen within seconds (build, push, first crash, back-off 10 s),
    # not after the rollout's timeout; measured before this change: about 9 minutes.
    assert failed_after < 90, failed_after
    assert "CrashLoopBackOff" in err.value.state and "v2 crashes at start" in err.value.state, err.value.state
    assert "rolled back" in err.value.hint and "cleanup: deployment/hello rolled back to revision 1" in err.value.state

    now = live_template(namespace)
    assert "command" not in now["spec"]["containers"][0]
    assert now == v1
    serves(first.url, "v1")
    kube.rollout_status("hello", namespace, timeout=60)
    rows = kube.pod_table(namespace, "app=hello")
    assert len(rows) == 2 and all(r["status"] == "Running" and r["ready"] == "1/1" for r in rows), rows


def test_failed_run_that_changed_the_service_selector_puts_the_selector_back(sample_repo, namespace):
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    v1 = live_template(namespace)

    def v2_only(d):
        d["spec"]["template"]["metadata"]["labels"]["track"] = "v2"
        container(d)["command"] = CRASH
    edit(sample_repo, "deployment.yaml", v2_only)
    edit(sample_repo, "service.yaml", lambda d: d["spec"]["selector"].update(track="v2"))
    commit(sample_repo, "the Service sends to v2 only, and v2 crashes")
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert "service/hello put back as it was" in err.value.state, err.value.state
    assert kube.get("service", "hello", namespace)["spec"]["selector"] == {"app": "hello"}
    assert live_template(namespace) == v1
    serves(first.url, "v1")


def test_url_that_never_answers_is_rolled_back_too(sample_repo, namespace):
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    v1 = live_template(namespace)
    edit(sample_repo, "ingress.yaml", lambda d: d["spec"]["rules"][0]["http"]["paths"][0].update(path="/nothing"))
    (sample_repo / "VERSION").write_text("v2\n")
    commit(sample_repo, "v2 behind a path nobody asks for")
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False, url_timeout=8)
    assert "answering 200" in err.value.what and "rolled back" in err.value.hint
    ingress = kube.get("ingress", "hello", namespace)
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/"
    assert live_template(namespace) == v1
    serves(first.url, "v1")


def test_failed_run_deletes_only_what_it_created(sample_repo, namespace):
    """Renaming the Deployment: the new one goes, the Service and Ingress that serve v1 stay."""
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)

    def renamed(d):
        d["metadata"]["name"] = "hello-two"
        container(d)["command"] = CRASH
    edit(sample_repo, "deployment.yaml", renamed)
    commit(sample_repo, "renamed and broken")
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert "deployment/hello-two deleted (this run created it)" in err.value.state, err.value.state
    assert kube.get("deployment", "hello-two", namespace) is None
    for kind in ("deployment", "service", "ingress"):
        assert kube.get(kind, "hello", namespace) is not None, kind
    serves(first.url, "v1")


def test_failed_first_deploy_leaves_nothing(sample_repo, namespace):
    own_host(sample_repo, namespace)
    dep = sample_repo / "k8s" / "deployment.yaml"
    # Readiness probe on a port the app does not serve: never Ready (this heals by
    # nothing, but it is not a state the kubelet names: the rollout's timeout ends it).
    dep.write_text(dep.read_text().replace("port: http\n            periodSeconds: 2",
                                           "port: 9999\n            periodSeconds: 2"))
    # The namespace itself is in k8s/ too: it existed before the run, so it stays.
    (sample_repo / "k8s" / "namespace.yaml").write_text(yaml.safe_dump(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}))
    commit(sample_repo, "probe on the wrong port")
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False, timeout=20)
    assert "removed" in err.value.hint and "not done within 20s" in err.value.what
    for kind in ("deployment", "service", "ingress"):
        assert kube.get(kind, "hello", namespace) is None
    assert kube.get("namespace", namespace, None)["status"]["phase"] == "Active"


def test_failed_first_deploy_into_a_new_namespace_removes_the_namespace(sample_repo, namespace):
    fresh = f"{namespace}-new"
    own_host(sample_repo, fresh)
    edit(sample_repo, "deployment.yaml", lambda d: container(d).update(command=CRASH))
    commit(sample_repo, "crashes")
    try:
        with pytest.raises(DeployFailed) as err:
            pipeline.run(sample_repo, namespace=fresh, echo=False)
        assert f"namespace/{fresh} deleted (this run created it)" in err.value.state, err.value.state
        assert kube.get("namespace", fresh, None) is None
    finally:
        kube.delete_namespace(fresh, wait=False)


def test_a_new_namespace_gets_the_server_dry_run_and_is_not_left_behind(sample_repo, namespace):
    fresh = f"{namespace}-dry"
    own_host(sample_repo, fresh)
    edit(sample_repo, "deployment.yaml", lambda d: d["spec"].update(replicas="two"))
    commit(sample_repo, "replicas is not a number (no lab rule reads it: only the API server's schema)")
    try:
        with pytest.raises(ManifestInvalid) as err:
            pipeline.run(sample_repo, namespace=fresh, echo=False)
        assert any(p.startswith("Deployment/hello:") and "replicas" in p for p in err.value.problems), \
            err.value.problems
        assert kube.get("namespace", fresh, None) is None
    finally:
        kube.delete_namespace(fresh, wait=False)


def test_ctrl_c_during_the_rollout_puts_the_previous_version_back(sample_repo, namespace):
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    v1 = live_template(namespace)
    # v2 becomes Ready only after 120 s: the rollout is under way for that long.
    edit(sample_repo, "deployment.yaml", lambda d: container(d)["readinessProbe"].update(initialDelaySeconds=120))
    (sample_repo / "VERSION").write_text("v2-slow\n")
    commit(sample_repo, "v2 is slow to become ready")
    proc = subprocess.Popen([LABCTL, "pipeline", "--repo", str(sample_repo), "--namespace", namespace],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.REPO_ROOT,
                            env=os.environ.copy(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal
    try:
        waiting.poll(lambda: True if len(kube.get("replicaset", namespace=namespace)) >= 2 or proc.poll() is not None
                     else None, timeout=300, what="the v2 rollout starting")
        assert proc.poll() is None, proc.communicate()
        time.sleep(1)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "KeyboardInterrupt: cleanup: deployment/hello rolled back to revision 1" in err, err
    assert live_template(namespace) == v1
    serves(first.url, "v1")


def test_stray_and_failed_pods_matching_the_selector_do_not_hold_up_a_rollout(sample_repo, namespace, hello_image):
    own_host(sample_repo, namespace)
    pipeline.run(sample_repo, namespace=namespace, echo=False)
    stray = {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"app": "hello"}},
             "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": hello_image}]}}
    failed = yaml.safe_load(yaml.safe_dump(stray))
    failed["metadata"]["name"] = "failed-stray"
    failed["spec"]["containers"][0]["command"] = ["/bin/python", "-c", "raise SystemExit(1)"]
    running = yaml.safe_load(yaml.safe_dump(stray))
    running["metadata"]["name"] = "running-stray"
    running["spec"]["containers"][0]["command"] = ["/bin/python", "-c", "import time; time.sleep(3600)"]
    running["spec"]["containers"][0]["readinessProbe"] = {"exec": {"command": ["/bin/python", "-c", "exit(1)"]}}
    kube.apply([failed, running], namespace)
    waiting.poll(lambda: True if (kube.get("pod", "failed-stray", namespace)["status"].get("phase") == "Failed")
                 else None, timeout=60, what="the stray pod failing")
    (sample_repo / "VERSION").write_text("v2\n")
    commit(sample_repo, "v2")
    second = pipeline.run(sample_repo, namespace=namespace, echo=False, timeout=60)
    assert "version=v2" in second.body
    assert kube.rollout_status("hello", namespace, timeout=30)["revision"] == "2"  # settled, strays ignored


@pytest.mark.parametrize("image,named", [
    ("localhost:5001/hello-typo:v1", "hello-typo"),  # another repository
    ("localhost:5001/hello:latest", "'localhost:5001/hello:latest'"),  # the pushed repository, another tag
])
def test_an_image_that_is_not_the_pushed_one_is_refused_before_deploy(sample_repo, namespace, image, named):
    own_host(sample_repo, namespace)
    dep = sample_repo / "k8s" / "deployment.yaml"
    dep.write_text(dep.read_text().replace("image: IMAGE", f"image: {image}"))
    commit(sample_repo, f"image {image}")
    with pytest.raises(ManifestInvalid) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert any(p.startswith("🔥") and named in p for p in err.value.problems)
    assert "🔥" in err.value.hint
    assert kube.get("deployment", "hello", namespace) is None


def test_schema_error_is_caught_by_the_api_server_dry_run(sample_repo, namespace):
    own_host(sample_repo, namespace)
    svc = sample_repo / "k8s" / "service.yaml"
    svc.write_text(svc.read_text().replace("port: 80", "port: eighty"))
    commit(sample_repo, "port is not a number")
    with pytest.raises(ManifestInvalid) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert any("Service/hello" in p for p in err.value.problems), err.value.problems
    assert kube.get("service", "hello", namespace) is None


def test_ingress_host_served_by_another_namespace_is_refused(sample_repo, namespace):
    own_host(sample_repo, namespace)
    pipeline.run(sample_repo, namespace=namespace, echo=False)
    other = f"{namespace}-b"
    try:
        with pytest.raises(ManifestInvalid) as err:
            pipeline.run(sample_repo, namespace=other, echo=False)
        assert err.value.problems == [f"Ingress/hello: host {namespace}.localhost is already served by "
                                      f"ingress/hello in namespace {namespace}"]
        assert "its own host" in err.value.hint
        assert kube.get("namespace", other, None) is None  # this run made it, and removed it
    finally:
        kube.delete_namespace(other, wait=False)


@pytest.mark.parametrize("change, words", [
    (lambda d: container(d).__setitem__("securityContext", {"privileged": True}), "privileged"),
    (lambda d: (d["spec"]["template"]["spec"].__setitem__("volumes", [{"name": "host", "hostPath": {"path": "/"}}]),
                container(d).__setitem__("volumeMounts", [{"name": "host", "mountPath": "/host"}])), "hostPath"),
])
def test_pod_security_refuses_a_repository_that_wants_root_on_the_host(sample_repo, namespace, change, words):
    own_host(sample_repo, namespace)
    edit(sample_repo, "deployment.yaml", change)
    commit(sample_repo, "root on the host")
    with pytest.raises(ManifestInvalid) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    problem = err.value.problems[0]
    assert "refused by Pod Security" in problem and words in problem, err.value.problems
    assert "baseline" in err.value.hint
    assert kube.get("deployment", "hello", namespace) is None


def test_pipeline_namespaces_enforce_pod_security_baseline(namespace, hello_image):
    labels = kube.get("namespace", namespace, None)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root"},
           "spec": {"containers": [{"name": "c", "image": hello_image, "securityContext": {"privileged": True}}]}}
    with pytest.raises(ManifestInvalid) as err:
        kube.apply([pod], namespace)
    assert "violates PodSecurity" in err.value.problems[0]


def test_missing_dockerfile_fails_first_step(sample_repo):
    (sample_repo / "Dockerfile").unlink()
    with pytest.raises(BuildFailed, match="no Dockerfile"):
        pipeline.run(sample_repo, echo=False)


def test_a_silent_build_step_is_a_build_failure_naming_the_step(tmp_path, mode):
    (tmp_path / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN sleep 30\n")
    started = time.monotonic()
    with pytest.raises(BuildFailed) as err:
        images.build(tmp_path, "localhost:5001/silent:t1", mode=mode, echo=False, silence=5, nocache=True)
    assert time.monotonic() - started < 25
    assert "printed nothing for 5s" in err.value.what
    assert re.search(r"silent at: Step 3/\d+ : RUN sleep 30", err.value.state), err.value.state


def test_a_list_with_two_deployments_is_rolled_out_and_undone_as_one(sample_repo, namespace):
    own_host(sample_repo, namespace)
    k8s = sample_repo / "k8s"
    docs = [yaml.safe_load((k8s / f).read_text()) for f in ("deployment.yaml", "service.yaml", "ingress.yaml")]
    worker = yaml.safe_load(yaml.safe_dump(docs[0]))
    worker["metadata"] = {"name": "worker", "labels": {"app": "worker"}}
    worker["spec"]["selector"]["matchLabels"] = worker["spec"]["template"]["metadata"]["labels"] = {"app": "worker"}
    container(worker)["command"] = ["/bin/python", "-c", "import time; print('working', flush=True); time.sleep(3600)"]
    container(worker).pop("readinessProbe")
    for f in ("deployment.yaml", "service.yaml", "ingress.yaml"):
        (k8s / f).unlink()
    (k8s / "all.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": docs + [worker]},
                                                 sort_keys=False))
    commit(sample_repo, "one List file, two Deployments")
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    v1 = {name: live_template(namespace, name) for name in ("hello", "worker")}

    def worker_crashes(doc):
        container(doc["items"][-1])["command"] = CRASH
    path = k8s / "all.yaml"
    doc = yaml.safe_load(path.read_text())
    worker_crashes(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    (sample_repo / "VERSION").write_text("v2\n")
    commit(sample_repo, "v2: the worker crashes")
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert "deployment/worker" in err.value.what and "CrashLoopBackOff" in err.value.state
    assert "deployment/hello rolled back to revision 1" in err.value.state, err.value.state
    assert "deployment/worker rolled back to revision 1" in err.value.state
    assert {name: live_template(namespace, name) for name in ("hello", "worker")} == v1
    serves(first.url, "v1")


@pytest.mark.parametrize("file, content, words", [
    ("db.yaml", b"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n", "StatefulSet/db: the pipeline"),
    ("cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n", "cm.yaml:4 is not UTF-8"),
    ("values.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
     "values.yaml:4 is a Helm/Go template"),
    ("other.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: kube-system\n",
     "metadata.namespace is 'kube-system'"),
])
def test_inputs_the_pipeline_refuses_deploy_nothing(sample_repo, namespace, file, content, words):
    own_host(sample_repo, namespace)
    (sample_repo / "k8s" / file).write_bytes(content)
    lessons.git(sample_repo, "add", ".")
    commit(sample_repo, f"add {file}")
    with pytest.raises(ManifestInvalid) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert words in err.value.render(), err.value.render()
    assert "Hint:" in err.value.render()
    assert kube.get("deployment", "hello", namespace) is None
    assert images.exists(f"localhost:5001/hello:{pipeline.source_tag(sample_repo)}") is False  # nothing was built


# ---- the CI/CD loop: a push to main through the bare repository's hook --------

CI_TEST = '''
import threading, unittest, urllib.request
from http.server import ThreadingHTTPServer
import app

class AppTest(unittest.TestCase):
    def test_healthz(self):
        app.Handler.log_message = lambda *a: None
        server = ThreadingHTTPServer(("127.0.0.1", 0), app.Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/healthz", timeout=5) as resp:
                self.assertEqual(resp.read(), b"ok\\n")
        finally:
            server.shutdown()
'''


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, **lessons.GIT_ENV})


def test_a_push_to_main_is_tested_then_deployed_and_a_red_commit_is_not(tmp_path, namespace):
    from helpers import cicd

    bare, work = tmp_path / "github" / "hello.git", tmp_path / "hello"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True, capture_output=True)
    for name in ("Dockerfile", "app.py", "VERSION", "collect_runtime.py"):
        (work / name).write_bytes((lessons.HELLO / name).read_bytes())
    (work / "k8s").mkdir()
    (work / "tests").mkdir()
    (work / "tests" / "test_app.py").write_text(CI_TEST)
    lesson = config.K8S_DIR / "lessons" / "07"
    (work / "k8s" / "deployment.yaml").write_text((lesson / "deployment.yaml").read_text())
    (work / "k8s" / "ingress.yaml").write_text((lesson / "ingress.yaml").read_text()
                                               .replace("hello-07.localhost", f"{namespace}.localhost"))
    (work / "k8s" / "service.yaml").write_text((lessons.HELLO / "k8s" / "service.yaml").read_text())
    hook = cicd.install_push_hook(bare, namespace)
    assert hook.name == "post-receive" and os.access(hook, os.X_OK)
    url = f"http://{namespace}.localhost/"

    def push(message: str) -> tuple[str, str]:
        _git(work, "add", ".")
        _git(work, "commit", "-qm", message)
        out = _git(work, "push", "-q", "origin", "main")
        return _git(work, "rev-parse", "--short=10", "HEAD").stdout.strip(), out.stdout + out.stderr

    v1, out = push("hello v1")
    assert "[test] ✓ 1 test(s) passed" in out and f"✓ green: commit {v1}" in out, out
    assert cicd.live_image("hello", namespace) == f"{config.REGISTRY_HOST}/hello:{v1}"
    serves(url, "v1")
    assert revision(namespace) == "1"

    app = work / "app.py"
    app.write_text(app.read_text().replace('"/healthz"', '"/health"'))
    red, out = push("rename /healthz")
    assert "[test] ✗ 1 of 1 test(s) failed: test_healthz" in out and f"✗ red: commit {red}" in out, out
    assert "[build+deploy] - skipped" in out, out
    assert cicd.live_image("hello", namespace) == f"{config.REGISTRY_HOST}/hello:{v1}"
    assert revision(namespace) == "1" and "version=v1" in pipeline.get(url).text
    tags = requests.get(f"http://{config.REGISTRY_HOST}/v2/hello/tags/list", timeout=5).json()["tags"]
    assert red not in tags, "a red commit is never built nor pushed"

    app.write_text(app.read_text().replace('"/health"', '"/healthz"'))
    (work / "VERSION").write_text("v2\n")
    v2, out = push("hello v2")
    assert f"✓ green: commit {v2}" in out, out
    assert cicd.live_image("hello", namespace) == f"{config.REGISTRY_HOST}/hello:{v2}"
    assert revision(namespace) == "2" and "version=v2" in pipeline.get(url).text
    # A push to another branch is not main: the loop leaves it alone.
    _git(work, "checkout", "-qb", "topic")
    (work / "VERSION").write_text("v3\n")
    _git(work, "commit", "-qam", "v3 on a branch")
    out = _git(work, "push", "-q", "origin", "topic")
    assert "checkout" not in out.stdout + out.stderr and revision(namespace) == "2"
