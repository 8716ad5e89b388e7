"""Exercise checks: each reads the real cluster state and, when it fails, says what
it sees (the symptom). A ``fix`` may be given by older callers; the labs drop it
and give hints on request instead (:func:`helpers.labs.hint`). Results render green/red in JupyterLab and as
``[PASS]``/``[FAIL]`` text in a terminal or pytest.
"""

from __future__ import annotations

import difflib
import html
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml
from docker.errors import NotFound
from docker.utils import parse_bytes

from . import config, images, kube, manifests, registry
from .docker_client import client
from .errors import LabError
from .i18n import N_, _


@dataclass
class CheckResult:
    """One check: its name, whether it passed, what was seen, and the fix."""

    name: str
    ok: bool
    seen: str = ""
    fix: str = ""
    ok_word: str = N_("PASS")
    pending: bool = False  # a failure that may pass on its own in seconds ("so far", "yet")

    def __str__(self) -> str:
        text = f"[{self._word()}] {self.name}"
        if self.seen:
            text += f": {self.seen}"
        if not self.ok and self.fix:
            text += "\n       " + _("fix: {fix}").format(fix=self.fix)
        return text

    def _word(self) -> str:
        return _(self.ok_word) if self.ok else _("FAIL")

    # The text a notebook saves and a terminal prints: the same line as str().
    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.ok else "#cf222e"
        label = _("fix:")
        fix = f"<br><b>{html.escape(label)}</b> {html.escape(self.fix)}" if not self.ok and self.fix else ""
        return (f'<div style="border-left:4px solid {color};padding:2px 8px;margin:2px 0">'
                f'<b style="color:{color}">{self._word()}</b> {html.escape(self.name)}: '
                f"{html.escape(self.seen)}{fix}</div>")


class Report(list):
    """A list of results that shows as one block and knows whether all passed."""

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self)

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self)

    def _repr_html_(self) -> str:
        return "".join(r._repr_html_() for r in self)

    def __repr__(self) -> str:
        return str(self)


def _container_state(pods: list[dict]) -> dict:
    """What the pods' containers are doing: how many, Ready, restarts, waiting reasons.

    >>> st = _container_state([{"status": {"containerStatuses": [
    ...     {"ready": False, "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}])
    >>> st["containers"], st["ready"], st["restarts"], sorted(st["waiting"])
    (1, 0, 3, ['CrashLoopBackOff'])
    """
    state = {"pods": len(pods), "containers": 0, "ready": 0, "waiting": set(), "restarts": 0,
             "terminated": set(), "messages": []}
    for p in pods:
        for s in (p.get("status") or {}).get("containerStatuses") or []:
            state["containers"] += 1
            state["ready"] += int(bool(s.get("ready")))
            state["restarts"] += s.get("restartCount") or 0
            reason = ((s.get("state") or {}).get("waiting") or {}).get("reason")
            if reason:
                state["waiting"].add(reason)
                message = ((s.get("state") or {}).get("waiting") or {}).get("message")
                if message:
                    state["messages"].append(message)
            for key in ("state", "lastState"):  # OOMKilled shows in one or the other as the kubelet restarts it
                last = ((s.get(key) or {}).get("terminated") or {}).get("reason")
                if last:
                    state["terminated"].add(last)
    return state


PULL_FAILURES = {"ImagePullBackOff", "ErrImagePull"}  # the two alternate while the kubelet retries


def deployment_serves(name: str, namespace: str) -> CheckResult:
    """The Deployment's pods are all Ready; if not, why (crash, probe, image pull)."""
    dep = kube.get("deployment", name, namespace)
    title = _("deployment/{name} is Ready").format(name=name)
    if dep is None:
        return CheckResult(title, False, _("it does not exist"), f"apply its file: kube.apply('{name}.yaml', '{namespace}')")
    want = dep["spec"].get("replicas", 1)
    selector = kube.label_selector(dep["spec"]["selector"]["matchLabels"])
    pods = kube.get("pod", namespace=namespace, selector=selector)
    st = _container_state(pods)
    if st["ready"] >= want and st["pods"] == want:
        return CheckResult(title, True, _("{ready}/{want} pods Ready").format(ready=st["ready"], want=want))
    image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    if st["waiting"] & PULL_FAILURES:
        return CheckResult(title, False, _("ImagePullBackOff for {image}").format(image=image), _pull_fix(image))
    if "CreateContainerConfigError" in st["waiting"]:
        message = st["messages"][0] if st["messages"] else _("no message")
        return CheckResult(title, False, _("0/{want} pods Ready: CreateContainerConfigError ({message})")
                           .format(want=want, message=message))
    if "OOMKilled" in st["terminated"]:
        limit = ((dep["spec"]["template"]["spec"]["containers"][0].get("resources") or {}).get("limits") or {})
        return CheckResult(title, False, _("{ready}/{want} pods Ready: the container was killed, last state "
                                           "OOMKilled, exit 137 (memory limit {limit})")
                           .format(ready=st["ready"], want=want, limit=limit.get("memory", _("none"))))
    if "CrashLoopBackOff" in st["waiting"] or st["restarts"]:
        last = _crash_log(pods[0]["metadata"]["name"], namespace)
        if not last:
            return CheckResult(title, False, _("the container keeps exiting; its log is not readable yet"),
                               pending=True)
        return CheckResult(title, False, _("the container keeps exiting; last log: {line}").format(line=last[-1]),
                           "read `kubectl logs` and fix the command or the app it runs")
    probe_events = [e for e in kube.events(namespace, name) if "Readiness probe failed" in e]
    if probe_events:
        message = _probe_reason(probe_events[-1].split("Readiness probe failed:", 1)[1].strip())
        probe = dep["spec"]["template"]["spec"]["containers"][0].get("readinessProbe", {}).get("httpGet", {})
        return CheckResult(title, False, _("running but not Ready: readiness probe on port {port} failed ({reason})")
                           .format(port=probe.get("port"), reason=message),
                           "point the readiness probe at the port and path the app serves (8080, /healthz)")
    return CheckResult(title, False, _("{ready}/{want} pods Ready so far").format(ready=st["ready"], want=want),
                       "wait a few seconds and check again",
                       pending=True)


def _crash_log(pod: str, namespace: str) -> list[str]:
    """The last lines the crashed container wrote (``kubectl logs --previous``): the
    current one may be restarting, and its log not there yet."""
    from kubernetes.client.rest import ApiException  # noqa: PLC0415

    for previous in (True, False):
        try:
            text = kube.core().read_namespaced_pod_log(pod, namespace, tail_lines=3, previous=previous)
        except ApiException:
            continue
        # The kubelet answers this as the log's text when the runtime has none to give (yet).
        if text.strip() and not text.startswith("unable to retrieve container logs"):
            return text.strip().splitlines()
    return []


def _probe_reason(message: str) -> str:
    """The kubelet's probe message, reduced to its cause.

    >>> _probe_reason('Get "http://10.244.0.7:8081/healthz": dial tcp 10.244.0.7:8081: connect: connection refused')
    'connection refused'
    """
    for needle, reason in (("connection refused", "connection refused"), ("deadline exceeded", "timed out"),
                           ("statuscode:", "HTTP error status")):
        if needle in message:
            return reason
    return message[:80]


def _pull_fix(image: str) -> str:
    repo, _sep, tag = image.rpartition(":")
    if tag == "latest" or ":" not in image.rsplit("/", 1)[-1]:
        return (f"{image} uses `latest`, which is never pushed or deployed here: put the exact pushed "
                "path and tag in the manifest (the 🔥 rule)")
    if repo.startswith(config.REGISTRY_HOST + "/"):
        name = repo.split("/", 1)[1]
        pushed = registry.tags(name)
        if not pushed:
            close = difflib.get_close_matches(name, registry.repositories(), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            return (f"the registry has no repository {name!r}{guess}: check the spelling of the path, "
                    "or build and push it")
        return (f"tag {tag} was never pushed to {config.REGISTRY_HOST} (it has: {', '.join(pushed) or 'none'}): "
                "push it, or copy the pushed tag in")
    return f"{image} is not in the local registry: build, push to {config.REGISTRY_HOST}, and use that path"


def service_answers(name: str, namespace: str, client: str = "client") -> CheckResult:
    """A request to the Service from inside the cluster gets an answer; if not, the port mismatch."""
    title = _("service/{name} answers").format(name=name)
    svc = kube.get("service", name, namespace)
    if svc is None:
        return CheckResult(title, False, _("it does not exist"), "apply the Service")
    script = (f"import urllib.request\ntry:\n print(urllib.request.urlopen('http://{name}/api', timeout=3).status)\n"
              "except Exception as e:\n print(type(e).__name__)")
    answer = kube.exec_(client, ["/bin/python", "-c", script], namespace).strip()
    if answer == "200":
        return CheckResult(title, True, "HTTP 200")
    selector = kube.label_selector(svc["spec"].get("selector", {}))
    selected = kube.pods(namespace, selector)
    if not selected:
        labelled = sorted({f"{k}={v}" for p in kube.pods(namespace) for k, v in (p.metadata.labels or {}).items()
                           if k == "app"})
        return CheckResult(title, False, _("no answer: its selector {selector} matches no pod "
                                           "(pods here are labelled {labels})")
                           .format(selector=selector, labels=", ".join(labelled) or _("nothing")),
                           "make spec.selector equal the labels of the pods it should send to")
    ports: dict = {}
    for pod in selected:
        for c in pod.spec.containers:
            for p in c.ports or []:
                ports[p.name] = p.container_port
    target = svc["spec"]["ports"][0].get("targetPort")
    if target not in ports.values() and target not in ports:
        return CheckResult(title, False, _("no answer: the Service sends to targetPort {target}, "
                                           "the pods listen on {ports}")
                           .format(target=target, ports=sorted(set(ports.values()))),
                           "set targetPort to the container's port (or its name, http)")
    return CheckResult(title, False, _("no answer"), "check the Service selector against the pod labels")


def hpa_measures(name: str, namespace: str) -> CheckResult:
    """The HPA has a CPU measurement; if not, why (no CPU request, no metrics API, nothing to scale).

    Twin: ``kubectl describe hpa NAME`` (Conditions and Events)
    """
    title = _("hpa/{name} measures CPU").format(name=name)
    hpa = kube.get("horizontalpodautoscaler", name, namespace)
    if hpa is None:
        return CheckResult(title, False, _("it does not exist"), "apply its file: labs.apply('autoscale', 'hpa'), "
                           "or start over with `labctl reset autoscale`")
    status = hpa.get("status", {})
    cpu = kube.hpa_cpu(hpa)
    if cpu is not None:
        return CheckResult(title, True, _("CPU at {cpu}% of the request").format(cpu=cpu))
    messages = [c.get("message", "") for c in status.get("conditions") or [] if c.get("status") == "False"]
    text = " ".join(messages)  # conditions, not events: events keep a fixed cause for an hour
    if "missing request for cpu" in text:
        return CheckResult(title, False, _("TARGETS <unknown>: condition ScalingActive is False "
                                           "(FailedGetResourceMetric): no CPU percentage for its pods"),
                           "add resources.requests.cpu (for example 50m) to the Deployment's container")
    if "no metrics returned" in text:
        return CheckResult(title, False, _("no measurement of its pods yet (metrics-server scrapes every 15 s)"),
                           "wait half a minute and check again", pending=True)
    if "unable to fetch metrics" in text or "could not find the requested resource" in text:
        return CheckResult(title, False, _("the metrics API does not answer (metrics-server)"),
                           "`kubectl top pods` should work: run `labctl up` to (re)install metrics-server")
    if "the HPA controller was unable to get the target's current scale" in text or "not found" in text:
        return CheckResult(title, False, _("its scaleTargetRef names no existing Deployment"),
                           "point scaleTargetRef at the Deployment's kind and name")
    return CheckResult(title, False, _("no measurement yet (metrics-server scrapes every 15 s)"),
                       "wait half a minute and check again", pending=True)


def hpa_can_scale(name: str, namespace: str, at_least: int = 3) -> CheckResult:
    """The HPA may add pods: ``maxReplicas`` of at least ``at_least``, above ``minReplicas``."""
    title = _("hpa/{name} may grow to {at_least} pods or more").format(name=name, at_least=at_least)
    hpa = kube.get("horizontalpodautoscaler", name, namespace)
    if hpa is None:
        return CheckResult(title, False, _("it does not exist"), "apply its file: labs.apply('autoscale', 'hpa')")
    lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
    if hi >= at_least and hi > lo:
        return CheckResult(title, True, _("{min} to {max} replicas").format(min=lo, max=hi))
    return CheckResult(title, False, _("minReplicas {min}, maxReplicas {max}: it can never add a pod at a peak")
                       .format(min=lo, max=hi),
                       f"set maxReplicas to {at_least} or more")


# --- lab setup (after 00): what the learner found out about the machine ---------------------------

def answers_match(path: Path) -> CheckResult:
    """The learner's ``answers.yaml`` agrees with what the cluster really runs.

    Twin: ``kubectl version``, ``kubectl get nodes``, ``docker ps`` (the registry's port).
    """
    from . import cluster  # noqa: PLC0415 - cluster imports much; only this check needs it

    title = _("answers.yaml matches the real machine")
    try:
        answers = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        return CheckResult(title, False, _("cannot read it: {error}").format(error=str(err).splitlines()[0]),
                           "keep it valid YAML: `key: value` lines, as in the starting file")
    truth = {"kubernetes_version": cluster.k8s_version(), "nodes": len(kube.core().list_node().items),
             "registry": config.REGISTRY_HOST}
    how = {"kubernetes_version": "`kubectl version` (Server Version)", "nodes": "`kubectl get nodes`",
           "registry": "`labctl doctor` or `docker ps` (the registry's published port)"}
    wrong = []
    for key, real in truth.items():
        given = str(answers.get(key, "")).strip()
        if given.lstrip("v") != str(real).lstrip("v"):
            wrong.append((key, given or _("(empty)"), how[key]))
    if not wrong:
        return CheckResult(title, True, ", ".join(f"{k}={v}" for k, v in truth.items()))
    return CheckResult(title, False, "; ".join(_("{key} is {given}, which is not what runs here").format(key=k, given=g)
                                               for k, g, _h in wrong),
                       "find it out with " + ", ".join(h for _k, _g, h in wrong))


def namespace_labelled(name: str, key: str) -> CheckResult:
    """A namespace exists and carries the label ``key``. Twin: ``kubectl get ns NAME --show-labels``"""
    title = _("namespace {name} exists with label {key}").format(name=name, key=key)
    ns = kube.get("namespace", name, None)
    if ns is None:
        return CheckResult(title, False, _("it does not exist"),
                           f"apply your namespace file (labs.apply(...)), or `kubectl create namespace {name}`")
    labels = ns["metadata"].get("labels") or {}
    if not labels.get(key):
        shown = {k: v for k, v in labels.items() if not k.startswith("kubernetes.io/")}
        return CheckResult(title, False, _("it has no {key} label (labels: {labels})")
                           .format(key=key, labels=shown or _("none of yours")),
                           f"add metadata.labels.{key}: <your name> and apply again")
    return CheckResult(title, True, f"{key}={labels[key]}")


# --- lab containers (after 01): a container on the Docker engine ----------------------------------

def _container(name: str):
    try:
        c = client().containers.get(name)
        c.reload()
        return c
    except NotFound:
        return None


def container_serves(name: str, host_port: int, app_port: int = 8080) -> CheckResult:
    """A container answers HTTP on ``localhost:host_port``; if not: gone, exited, or the wrong port published.

    Twin: ``docker ps -a -f name=NAME`` and ``curl localhost:PORT``
    """
    title = _("container {name} answers on http://localhost:{host_port}/").format(name=name, host_port=host_port)
    c = _container(name)
    if c is None:
        return CheckResult(title, False, _("there is no such container"),
                           f"start it: docker run -d --name {name} -p {host_port}:{app_port} IMAGE")
    if c.status != "running":
        last = c.logs(tail=2).decode(errors="replace").strip().splitlines()
        return CheckResult(title, False, _("it is {status} (exit {code}); last log: {line}")
                           .format(status=c.status, code=c.attrs["State"].get("ExitCode"),
                                   line=last[-1] if last else _("(none)")),
                           "read `docker logs` and start it again")
    published = {}
    for cport, binds in (c.attrs["NetworkSettings"].get("Ports") or {}).items():
        for b in binds or []:
            published[int(b["HostPort"])] = int(cport.split("/")[0])
    if host_port not in published:
        shown = ", ".join(f"{h}->{cp}" for h, cp in published.items()) or _("nothing")
        return CheckResult(title, False, _("host port {host_port} is not published (published: {published})")
                           .format(host_port=host_port, published=shown),
                           f"recreate it with -p {host_port}:{app_port} (ports={{'{app_port}/tcp': {host_port}}})")
    if published[host_port] != app_port:
        return CheckResult(title, False, _("host port {host_port} goes to container port {container_port}, "
                                           "but the app listens on {app_port}")
                           .format(host_port=host_port, container_port=published[host_port], app_port=app_port),
                           f"recreate it with -p {host_port}:{app_port}: the right side is the app's port")
    try:
        resp = requests.get(f"http://127.0.0.1:{host_port}/", timeout=3)
    except requests.RequestException as err:
        return CheckResult(title, False, _("no answer: {error}").format(error=type(err).__name__),
                           "wait a second and check again",
                           pending=True)
    body = resp.text.strip().split(" pod=")[0]  # the hostname part is the container id: it varies
    return CheckResult(title, resp.status_code == 200, f"HTTP {resp.status_code}: {body[:60]}",
                       "the app answered with an error: read `docker logs`")


def container_memory(name: str, limit: str = "64m") -> CheckResult:
    """A container runs with exactly the memory limit ``limit``. Twin: ``docker inspect -f '{{.HostConfig.Memory}}'``"""
    want = parse_bytes(limit)  # as Docker reads --memory
    title = _("container {name} is limited to {limit} of memory").format(name=name, limit=limit)
    c = _container(name)
    if c is None:
        return CheckResult(title, False, _("there is no such container"), f"start it with --memory {limit}")
    have = c.attrs["HostConfig"].get("Memory") or 0
    if have == want:
        return CheckResult(title, True, _("limit {limit}").format(limit=images.human(have)))
    if have == 0:
        return CheckResult(title, False, _("it has no limit: it may take all the machine's memory"),
                           f"recreate it with --memory {limit} (memory='{limit}')")
    return CheckResult(title, False, _("its limit is {limit}").format(limit=images.human(have)),
                       f"recreate it with --memory {limit}")


# --- lab images (after 02): the layer cache and the push ------------------------------------------

def build_caches(folder: Path, slow: str, changed: str = "app.py") -> CheckResult:
    """After a change to ``changed`` only, the slow step (a RUN containing ``slow``) comes from the cache.

    Builds the folder twice for real: once as it is, once with ``changed`` edited.
    Twin: ``docker build .``, edit app.py, ``docker build .`` and look for ``Using cache`` under the RUN step.
    """
    title = _("a change to {changed} does not re-run the slow step").format(changed=changed)
    folder = Path(folder)
    tag = "kubelab.local/lab-images-cache:check"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / "app"
            shutil.copytree(folder, work)
            images.build(work, tag, echo=False)
            # A new edit each time: an edit made before would already be in the build cache.
            (work / changed).write_text((work / changed).read_text() + f"\n# an edit {uuid.uuid4().hex}\n")
            second = images.build(work, tag, echo=False)
    except LabError as err:
        return CheckResult(title, False, _("the Dockerfile does not build: {error}").format(error=err.what), err.hint)
    lines = second.log
    for i, line in enumerate(lines):
        if line.startswith("Step ") and "RUN" in line and slow in line:
            cached = any("Using cache" in nxt for nxt in lines[i + 1:i + 3])
            if cached:
                return CheckResult(title, True, _("second build {seconds:.1f}s, {cached}/{steps} steps from the cache")
                                   .format(seconds=second.seconds, cached=second.cached_steps, steps=second.steps))
            return CheckResult(title, False, _("after an edit of {file} the slow step ran again "
                                               "({cached}/{steps} steps from the cache)")
                               .format(file=changed, cached=second.cached_steps, steps=second.steps),
                               "copy only what the slow step needs (requirements.txt) first, run it, "
                               f"then copy {changed}")
    return CheckResult(title, False, _("no RUN step containing {slow!r} in the Dockerfile").format(slow=slow),
                       "keep the slow step (it stands for installing dependencies)")


def image_pushed(repository: str, tag: str) -> CheckResult:
    """``localhost:5001/REPOSITORY:TAG`` is in the registry; if not, what is there instead."""
    image = f"{config.REGISTRY_HOST}/{repository}:{tag}"
    title = _("{image} is in the registry").format(image=image)
    tags = registry.tags(repository)
    if tag in tags:
        return CheckResult(title, True, _("tags: {tags}").format(tags=", ".join(tags)))
    if images.exists(image):
        return CheckResult(title, False, _("it is built on this machine but was never pushed"),
                           f"docker push {image} (images.push)")
    if tags:
        seen = (_("the repository holds other tags: {tags} — `latest` is not a version: push the tag v1")
                if tags == ["latest"] else _("the repository holds other tags: {tags}"))
        return CheckResult(title, False, seen.format(tags=", ".join(tags)),
                           f"tag the image {image} and push it")
    return CheckResult(title, False, _("neither built under that name nor pushed"),
                       f"docker build -t {image} labs/work/images/app, then docker push {image}")


# --- lab pods (after 03): a pod that runs, pods found by label ------------------------------------

def pod_runs(name: str, namespace: str) -> CheckResult:
    """A pod is Running and Ready; if not, why (image pull, crash)."""
    title = _("pod/{name} runs").format(name=name)
    pod = kube.get("pod", name, namespace)
    if pod is None:
        return CheckResult(title, False, _("it does not exist"), "apply its file")
    st = _container_state([pod])
    if st["containers"] and st["ready"] == st["containers"]:
        return CheckResult(title, True, _("Running on {node}").format(node=pod["spec"].get("nodeName")))
    image = pod["spec"]["containers"][0]["image"]
    if st["waiting"] & PULL_FAILURES:
        return CheckResult(title, False, _("ImagePullBackOff for {image}").format(image=image), _pull_fix(image))
    if "CrashLoopBackOff" in st["waiting"] or st["restarts"]:
        return CheckResult(title, False, _("the container keeps exiting"), "read `kubectl logs` and fix the command")
    return CheckResult(title, False, _("not Ready so far"), "wait a few seconds and check again", pending=True)


def pods_selected(selector: str, namespace: str, expect: str) -> CheckResult:
    """``kubectl get pods -l SELECTOR`` finds pod ``expect``; if not, which labels it has."""
    title = _("`kubectl get pods -l {selector}` finds {expect}").format(selector=selector, expect=expect)
    found = [p.metadata.name for p in kube.pods(namespace, selector)]
    if expect in found:
        return CheckResult(title, True, _("found: {pods}").format(pods=", ".join(found)))
    pod = kube.get("pod", expect, namespace)
    if pod is None:
        return CheckResult(title, False, _("there is no pod {name}").format(name=expect), "apply its file")
    want = dict(part.split("=", 1) for part in selector.split(","))
    have = {k: v for k, v in (pod["metadata"].get("labels") or {}).items() if k not in config.labels("x")}
    missing = {k: v for k, v in want.items() if have.get(k) != v}
    return CheckResult(title, False, _("its labels are {labels}; the selector also needs {missing}")
                       .format(labels=have or "{}", missing=missing),
                       "add those labels under metadata.labels (keys and values are case-sensitive) and apply")


# --- lab pipeline (after 06): the 🔥 image-path rule, the Ingress URL ------------------------------

def image_rule(path: Path, pushed: str) -> CheckResult:
    """The manifest file names exactly the pushed image (the 🔥 rule the pipeline enforces)."""
    title = _("{file} names the pushed image").format(file=Path(path).name)
    try:
        docs = manifests.load_dir(path)
    except LabError as err:
        return CheckResult(title, False, err.what, err.hint)
    # The placeholder is refused here: in this lab the file itself carries the path (🔥 the copy).
    named = [c.get("image", "") for d in docs for c in manifests.containers(d)]
    if manifests.IMAGE_PLACEHOLDER in named:
        return CheckResult(title, False, _("its image is still the placeholder {placeholder}: no path written yet")
                           .format(placeholder=manifests.IMAGE_PLACEHOLDER))
    problems = [p for p in manifests.check_rules(docs, pushed) if p.startswith("🔥")]
    if problems and all(n.startswith(config.REGISTRY_HOST + "/") for n in named):
        wrong = next(n for n in named if n != pushed)
        repo, _sep, tag = wrong.rpartition(":")
        held = registry.tags(repo.split("/", 1)[1]) if repo.startswith(config.REGISTRY_HOST + "/") else []
        seen = (_("its image is {image}: tag {tag} is in the registry, but it is not the one just pushed")
                if tag in held else _("its image is {image}: the registry holds no such tag"))
        return CheckResult(title, False, seen.format(image=wrong, tag=tag))
    if problems:
        return CheckResult(title, False, problems[0], f"write the exact pushed path: {pushed}")
    return CheckResult(title, True, pushed)


def ingress_answers(name: str, namespace: str) -> CheckResult:
    """The Ingress's URL answers 200 through Traefik on port 80; if not, which link is broken."""
    from .pipeline import get  # noqa: PLC0415 - pipeline imports checks' neighbours

    title = _("ingress/{name} answers").format(name=name)
    ing = kube.get("ingress", name, namespace, api_version="networking.k8s.io/v1")
    if ing is None:
        return CheckResult(title, False, _("it does not exist"), "apply its file")
    rule = (ing["spec"].get("rules") or [{}])[0]
    host = rule.get("host")
    if not host:
        return CheckResult(title, False, _("its rule has no host"), "set rules[0].host, e.g. lab.localhost")
    url = f"http://{host}/"
    try:
        resp = get(url)
        if resp.status_code == 200:
            # The pod's name (the hostname part) varies: the version is what counts.
            return CheckResult(title, True, f"{url} → {resp.text.strip().split(' pod=')[0][:60]}")
        seen = f"{url} → HTTP {resp.status_code}"
    except requests.RequestException as err:
        seen = f"{url} → {type(err).__name__}"
    backend = ((rule.get("http") or {}).get("paths") or [{}])[0].get("backend", {}).get("service", {})
    svc = kube.get("service", backend.get("name"), namespace) if backend.get("name") else None
    if svc is None:
        names = [s.metadata.name for s in kube.core().list_namespaced_service(namespace).items]
        return CheckResult(title, False, _("{seen}: it sends to service {service!r}, which does not exist "
                                           "(services here: {services})")
                           .format(seen=seen, service=backend.get("name"), services=", ".join(names) or _("none")),
                           "name an existing Service in backend.service.name")
    port = backend.get("port", {}).get("number")
    ports = [p["port"] for p in svc["spec"].get("ports") or []]
    if port not in ports:
        return CheckResult(title, False, _("{seen}: it sends to port {port} of service {service}, which has {ports}")
                           .format(seen=seen, port=port, service=svc["metadata"]["name"], ports=ports),
                           "use the Service's port (not the container's)")
    return CheckResult(title, False, _("{seen}: the route exists; the Service has no Ready pods yet?").format(seen=seen),
                       "check the Deployment first, then wait a few seconds", pending=True)


# --- lab cicd (after 07): a red push stays out, a green one goes live ----------------------------

_TESTED: dict[tuple[str, str], object] = {}  # (origin, commit) -> its test stage: a commit's tests do not change


def _main_commits(origin: Path) -> list[tuple[str, str]]:
    """``main``'s commits in a (bare) repository, newest first: (10-character sha, subject)."""
    from .lessons import git  # noqa: PLC0415

    lines = git(origin, "log", "--abbrev=10", "--format=%h %s", "main").splitlines()
    return [tuple(line.split(" ", 1)) if " " in line else (line, "") for line in lines]


def _test_stage(origin: Path, commit: str):
    """The loop's test stage on ``commit``, run again in a scratch checkout (kept per commit)."""
    from . import cicd  # noqa: PLC0415

    key = (str(origin.resolve()), commit)
    if key not in _TESTED:
        with tempfile.TemporaryDirectory(prefix="kubelab-cicd-check-") as tmp:
            _TESTED[key] = cicd.test_stage(cicd.checkout(origin, commit, Path(tmp) / "work"))
    return _TESTED[key]


def _ran_images(deployment: str, namespace: str) -> set[str]:
    """Every image a ReplicaSet of ``deployment`` ever ran (its rollout history)."""
    found = set()
    for rs in kube.get("replicaset", namespace=namespace) or []:
        owners = [o.get("name") for o in rs["metadata"].get("ownerReferences") or []]
        if deployment in owners:
            found |= {c["image"] for c in rs["spec"]["template"]["spec"]["containers"]}
    return found


def red_stays_out(origin: Path, deployment: str, namespace: str) -> CheckResult:
    """A commit pushed to ``main`` after the first one has failing tests (the loop's test
    stage, run again on it), and it never ran: no ReplicaSet of the Deployment ever had
    its image, and the live image is another commit's."""
    from . import cicd  # noqa: PLC0415

    title = _("a push to main whose tests fail stays out of deployment/{deployment}").format(deployment=deployment)
    if not (Path(origin) / "HEAD").is_file():
        return CheckResult(title, False, _("no repository at {path}").format(path=origin))
    commits = _main_commits(Path(origin))
    live = cicd.live_image(deployment, namespace)
    if live is None:
        return CheckResult(title, False, _("{object} does not exist").format(object=f"deployment/{deployment}"))
    name = Path(origin).name.removesuffix(".git")
    if len(commits) < 2:
        sha, subject = commits[0]
        return CheckResult(title, False, _("main holds only the start commit {sha} {subject!r}: nothing pushed since")
                           .format(sha=sha, subject=subject))
    ran = _ran_images(deployment, namespace)
    red = []
    for sha, subject in commits[:-1][:10]:  # the start commit went live at reset
        stage = _test_stage(Path(origin), sha)
        if stage.ok:
            continue
        image = f"{config.REGISTRY_HOST}/{name}:{sha}"
        if image in ran or live == image:
            return CheckResult(title, False, _("commit {sha} {subject!r} has failing tests ({detail}), "
                                               "and deployment/{deployment} ran its image {image}")
                               .format(sha=sha, subject=subject, detail=stage.detail, deployment=deployment,
                                       image=image))
        red.append((sha, subject, stage.detail))
    if not red:
        pushed = ", ".join(f"{sha} {subject!r}" for sha, subject in commits[:-1][:3])
        return CheckResult(title, False, _("every commit pushed to main since the start passes its tests ({pushed})")
                           .format(pushed=pushed))
    sha, subject, detail = red[0]
    return CheckResult(title, True, _("commit {sha} {subject!r} went red ({detail}) and never ran; live: {live}")
                       .format(sha=sha, subject=subject, detail=detail, live=live))


def green_goes_live(origin: Path, deployment: str, url: str, namespace: str) -> CheckResult:
    """The Deployment runs the image of ``main``'s last commit, a commit after the start
    whose VERSION is new, rolled out, and ``url`` answers with that version."""
    from . import cicd  # noqa: PLC0415
    from .lessons import git  # noqa: PLC0415
    from .pipeline import get  # noqa: PLC0415

    title = _("main's last commit is live at {url}").format(url=url)
    if not (Path(origin) / "HEAD").is_file():
        return CheckResult(title, False, _("no repository at {path}").format(path=origin))
    commits = _main_commits(Path(origin))
    (sha, subject), (start, _subject) = commits[0], commits[-1]
    if sha == start:
        return CheckResult(title, False, _("main's last commit is the start commit {sha} {subject!r}: nothing new pushed")
                           .format(sha=sha, subject=subject))
    name = Path(origin).name.removesuffix(".git")
    want = f"{config.REGISTRY_HOST}/{name}:{sha}"
    dep = kube.get("deployment", deployment, namespace)
    if dep is None:
        return CheckResult(title, False, _("{object} does not exist").format(object=f"deployment/{deployment}"))
    live = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    if live != want:
        return CheckResult(title, False, _("main's last commit is {sha} {subject!r}; deployment/{deployment} runs {live}")
                           .format(sha=sha, subject=subject, deployment=deployment, live=live))
    status, wanted = dep.get("status") or {}, dep["spec"].get("replicas", 1)
    if (status.get("updatedReplicas") or 0) < wanted or (status.get("availableReplicas") or 0) < wanted \
            or (status.get("replicas") or 0) > wanted:
        return CheckResult(title, False, _("{image} is rolling out: {updated}/{wanted} pods updated, {available} available")
                           .format(image=want, updated=status.get("updatedReplicas") or 0, wanted=wanted,
                                   available=status.get("availableReplicas") or 0), pending=True)
    version, first = (git(Path(origin), "show", f"{c}:VERSION").strip() for c in (sha, start))
    if version == first:
        return CheckResult(title, False, _("{sha} {subject!r} runs, and its VERSION is still {version}, the start's")
                           .format(sha=sha, subject=subject, version=version))
    try:
        resp = get(url)
    except requests.RequestException as err:
        return CheckResult(title, False, _("{url} does not answer: {error}").format(url=url, error=type(err).__name__),
                           pending=True)
    body = resp.text.strip()
    if resp.status_code != 200 or f"version={version}" not in body:
        return CheckResult(title, False, _("{sha} {subject!r} runs; {url} answers HTTP {status}: {body!r}, "
                                           "not version={version}")
                           .format(sha=sha, subject=subject, url=url, status=resp.status_code, body=body[:80],
                                   version=version))
    return CheckResult(title, True, _("{sha} {subject!r} runs; {url} → {body}")
                       .format(sha=sha, subject=subject, url=url, body=body[:80]))


# --- lab services (after 08): one service calls another by DNS ------------------------------------

def upstream_reached(front: str, back: str, namespace: str, client_pod: str = "client") -> CheckResult:
    """``front``'s /api gets an answer from ``back`` through the Service DNS name; if not, why."""
    import json  # noqa: PLC0415

    title = _("{front} reaches {back} through Service DNS").format(front=front, back=back)
    script = (f"import urllib.request\ntry:\n print(urllib.request.urlopen('http://{front}/api', timeout=8).read()"
              ".decode())\nexcept Exception as e:\n print('ERROR', type(e).__name__, e)")
    out = (kube.exec_(client_pod, ["/bin/python", "-c", script], namespace).strip().splitlines() or ["ERROR  no reply"])[-1]
    if out.startswith("ERROR"):
        return CheckResult(title, False, _("{front} itself does not answer ({error})").format(front=front, error=out[6:60]),
                           f"fix service/{front} first (the check above)")
    upstream = json.loads(out).get("upstream") or {}
    if "error" not in upstream:
        return CheckResult(title, True, _("{back} said: {message}").format(back=back, message=upstream.get("message")))
    error = upstream["error"]
    names = [s.metadata.name for s in kube.core().list_namespaced_service(namespace).items]
    if "Name or service not known" in error or "name resolution" in error:
        return CheckResult(title, False, _("{front} asked {host} and DNS knows no such name (services here: {services})")
                           .format(front=front, host=error.split(": ", 1)[0], services=", ".join(names)),
                           f"a Service's name is its DNS name: name the Service {back}")
    if back not in names:
        return CheckResult(title, False, error[:120], f"create service/{back}")
    svc = kube.get("service", back, namespace)
    ports = [p["port"] for p in svc["spec"].get("ports") or []]
    return CheckResult(title, False, _("{error} (service/{back} listens on {ports})")
                       .format(error=error[:100], back=back, ports=ports),
                       "the URL's port must be a port of the Service (80 when the URL names none)")


# --- lab autoscale: the HPA really scales under a load, and back ----------------------------------

LOAD_FILE = config.REPO_ROOT / "labs" / "autoscale" / "load.yaml"


def hpa_scales(name: str, namespace: str, peak_timeout: float = 180, calm_timeout: float = 150) -> CheckResult:
    """Drive a load at the app (lesson 05's load, labs/autoscale/load.yaml) and watch the HPA: it passes
    only when the ready replicas went past one and, after the load stopped, back to the minimum.

    Twin: ``kubectl apply -f load.yaml; kubectl get hpa NAME -w``; ``kubectl delete -f load.yaml``
    """
    from .lessons import hpa_sample  # noqa: PLC0415 - lessons imports checks' neighbours
    from .waiting import poll  # noqa: PLC0415

    title = _("hpa/{name} scales past 1 pod under a load and back after it").format(name=name)
    hpa = kube.get("horizontalpodautoscaler", name, namespace)
    dep = kube.get("deployment", name, namespace)
    if hpa is None or dep is None:
        return CheckResult(title, False, _("{object} does not exist")
                           .format(object=f"{'hpa' if hpa is None else 'deployment'}/{name}"))
    lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
    if kube.hpa_cpu(hpa) is None:
        return CheckResult(title, False, _("no load sent: the HPA has no CPU measurement (TARGETS <unknown>)"))
    if hi <= 1:
        return CheckResult(title, False, _("no load sent: its replica range is {min}..{max}").format(min=lo, max=hi))
    image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    load = manifests.fill_placeholder(LOAD_FILE, image)
    peak: dict = {"ready": 0, "cpu": None}

    kube.apply(load, namespace)
    try:
        def scaled():
            s = hpa_sample(namespace, name)
            peak["cpu"] = s["cpu_percent"] if s["cpu_percent"] is not None else peak["cpu"]
            peak["ready"] = max(peak["ready"], s["ready"])
            return s if s["ready"] >= 2 else None

        try:
            poll(scaled, timeout=peak_timeout, what="the HPA to scale up", interval=5)
        except LabError:
            return CheckResult(title, False, _("under load for {seconds:.0f}s: CPU {cpu}% of the request, "
                                               "ready replicas never above {ready} (range {min}..{max})")
                               .format(seconds=peak_timeout, cpu=peak["cpu"], ready=peak["ready"], min=lo, max=hi))
    finally:
        kube.delete(load, namespace)
    last: dict = {}

    def calm():
        s = hpa_sample(namespace, name)
        last.update(s)
        return s if s["desired"] <= lo and s["ready"] <= lo else None

    try:
        poll(calm, timeout=calm_timeout, what="the HPA to scale down", interval=5)
    except LabError:
        return CheckResult(title, False, _("scaled to {peak} under load; {seconds:.0f}s after the load stopped "
                                           "it still wants {desired} replica(s)")
                           .format(peak=peak["ready"], seconds=calm_timeout, desired=last.get("desired")))
    return CheckResult(title, True, _("ready replicas went past 1 under load, and back to {min} after it stopped")
                       .format(min=lo))


# --- lab capstone: a repository through the whole flow --------------------------------------------

def dockerfile_at_root(repo: Path) -> CheckResult:
    """The repository has a ``Dockerfile`` at its root (D2Hub's rule)."""
    repo = Path(repo)
    title = _("{repo}/Dockerfile exists at the root").format(repo=repo.name)
    if (repo / "Dockerfile").is_file():
        first = next((l for l in (repo / "Dockerfile").read_text().splitlines() if l.startswith("FROM")), _("no FROM"))
        return CheckResult(title, True, first)
    found = sorted(str(p.relative_to(repo)) for p in repo.rglob("Dockerfile*") if ".git" not in p.parts)
    if found:
        return CheckResult(title, False, _("no Dockerfile at the root (found: {found})").format(found=", ".join(found)))
    files = sorted(p.name for p in repo.iterdir() if p.name != ".git")
    return CheckResult(title, False, _("no Dockerfile at the root (files: {files})").format(files=", ".join(files)))


def repository_pushed(repository: str) -> CheckResult:
    """``localhost:5001/REPOSITORY`` holds at least one tag other than ``latest``."""
    title = _("{registry}/{repository} is in the registry").format(registry=config.REGISTRY_HOST, repository=repository)
    tags = registry.tags(repository)
    versions = [t for t in tags if t != "latest"]
    if versions:
        return CheckResult(title, True, _("tags: {tags}").format(tags=", ".join(tags)))
    if tags:
        return CheckResult(title, False, _("the only tag is {tags}").format(tags=", ".join(tags)))
    local = [t for t in (i.tags for i in client().images.list()) for t in t
             if t.startswith(f"{config.REGISTRY_HOST}/{repository}:")]
    if local:
        return CheckResult(title, False, _("the registry has no such repository; built here but not pushed: {images}")
                           .format(images=", ".join(local)))
    return CheckResult(title, False, _("the registry has no such repository"))


def manifests_name_pushed(folder: Path, repository: str) -> CheckResult:
    """The ``k8s/`` folder's workloads name a pushed tag of ``REPOSITORY`` exactly, and the
    pipeline's rules hold (selector, ports, an Ingress with a host)."""
    folder = Path(folder)
    title = _("{parent}/{folder}/ names the pushed image and passes the rules").format(
        parent=folder.parent.name, folder=folder.name)
    if not folder.is_dir():
        return CheckResult(title, False, _("there is no such folder"))
    try:
        docs = manifests.load_dir(folder)
    except LabError as err:
        return CheckResult(title, False, err.what)
    named = [c.get("image", "") for d in docs for c in manifests.containers(d)]
    if not named:
        return CheckResult(title, False, _("no workload in it (kinds: {kinds})")
                           .format(kinds=", ".join(d.get("kind", "?") for d in docs)))
    tags = registry.tags(repository)
    want = f"{config.REGISTRY_HOST}/{repository}:"
    for image in named:
        if image == manifests.IMAGE_PLACEHOLDER:
            return CheckResult(title, False, _("an image is the placeholder {image}").format(image=image))
        if not image.startswith(want) or image[len(want):] not in tags or image.endswith(":latest"):
            return CheckResult(title, False, _("image {image}: not a pushed tag of {repository} (pushed: {tags})")
                               .format(image=image, repository=want[:-1], tags=", ".join(tags) or _("nothing")))
    problems = manifests.check_rules(docs, named[0])
    if problems:
        return CheckResult(title, False, problems[0].split(":")[0] + ": " + problems[0].split(":", 1)[-1][:100])
    if not any(d.get("kind") == "Ingress" for d in docs):
        return CheckResult(title, False, _("no Ingress among {kinds}")
                           .format(kinds=", ".join(sorted({d.get("kind", "?") for d in docs}))))
    return CheckResult(title, True, _("{count} objects, image {image}").format(count=len(docs), image=named[0]))


def url_says(url: str, expect: str) -> CheckResult:
    """``url`` answers 200 with ``expect`` in its body (a version going live). Twin: ``curl URL``"""
    from .pipeline import get  # noqa: PLC0415

    title = _("{url} says {expect}").format(url=url, expect=expect)
    try:
        resp = get(url)
    except requests.RequestException as err:
        return CheckResult(title, False, _("no answer: {error}").format(error=type(err).__name__))
    body = resp.text.strip().split(" pod=")[0][:80]  # the pod's name varies; the version counts
    return CheckResult(title, resp.status_code == 200 and expect in resp.text, f"HTTP {resp.status_code}: {body}")
