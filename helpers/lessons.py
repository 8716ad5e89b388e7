"""Building blocks the notebooks share: the sample app's image at a version, a
learner's git repository, a client pod, request spreading, recovery timing,
an HPA's first measurement."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import config, images, kube, manifests, waiting
from .errors import LabError
from .i18n import _

HELLO = config.REPO_ROOT / "apps" / "hello"
LESSON_MANIFESTS = config.K8S_DIR / "lessons"
GIT_ENV = {"GIT_AUTHOR_NAME": "learner", "GIT_AUTHOR_EMAIL": "learner@kubelab.local",
           "GIT_COMMITTER_NAME": "learner", "GIT_COMMITTER_EMAIL": "learner@kubelab.local"}


def hello_image(version: str = "v1", *, echo: bool = False, plain: bool = False) -> str:
    """The sample app built at ``version`` and pushed as ``localhost:5001/hello:<version>-<source hash>``,
    or with ``plain`` as ``localhost:5001/hello:<version>``.

    The hashed tag is for code that applies it: nodes keep images by tag, so a tag
    reused for different code would keep serving the old build. The plain tag is
    for the lessons' manifest files, which name it and pull it with
    ``imagePullPolicy: Always`` as Krampoline's Deployments do.
    """
    from .pipeline import _tree_hash  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "hello"
        shutil.copytree(HELLO, src, ignore=shutil.ignore_patterns("__pycache__", "k8s"))
        (src / "VERSION").write_text(version + "\n")
        tag = f"{config.REGISTRY_HOST}/hello:{version}" + ("" if plain else f"-{_tree_hash(src)[:6]}")
        images.build(src, tag, echo=echo)
    images.push(tag, echo=echo)
    return tag


def begin(lesson: str, *, images: tuple[str, ...] = ("v1",), namespace: bool = True) -> str | None:
    """A lesson's setup: kubectl pointed at the lab cluster, the sample app's
    ``localhost:5001/hello:<version>`` images in the registry, and (unless
    ``namespace=False``) an empty namespace ``lesson-<NN>``; prints what it did.
    Returns the namespace's name.
    """
    from .shell import run  # noqa: PLC0415

    current = run(["kubectl", "config", "current-context"], check=False).stdout.strip()
    if current != config.KIND_CONTEXT:
        run(["kubectl", "config", "use-context", config.KIND_CONTEXT])
    done = [_("kubectl context {context}").format(context=config.KIND_CONTEXT)]
    for version in images:
        done.append(_("image {image} in the registry").format(image=hello_image(version, plain=True)))
    ns = None
    if namespace:
        ns = fresh_namespace(f"lesson-{lesson}", lab=lesson)
        done.append(_("namespace {namespace} (empty)").format(namespace=ns))
    print(_("Ready: {done}").format(done="; ".join(done)))
    return ns


def learner_repo(where: str | Path | None = None) -> Path:
    """A git repository holding a copy of the sample app, as a learner's GitHub repo would."""
    base = Path(where) if where else Path(tempfile.mkdtemp(prefix="kubelab-repo-"))
    repo = base / "hello"
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(HELLO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "hello v1")
    return repo


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``. Twin: ``git -C REPO ...``"""
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def lesson_docs(name: str, image: str | None = None, namespace: str | None = None) -> list[dict]:
    """A lesson's manifest file from ``k8s/lessons/``, with the image path filled in."""
    docs = manifests.load_dir(LESSON_MANIFESTS / name)
    return manifests.render(docs, image, namespace) if image else docs


def client_pod(namespace: str, image: str, name: str = "client") -> str:
    """A pod that only waits, from an image with Python, to send requests from inside the cluster."""
    kube.apply([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                 "spec": {"terminationGracePeriodSeconds": 1,
                          "containers": [{"name": name, "image": image,
                                          "command": ["/bin/python", "-c", "import time; time.sleep(86400)"]}]}}],
               namespace)
    kube.wait(f"pod/{name}", "condition=Ready", namespace=namespace, timeout=90)
    return name


def spread(namespace: str, url: str, count: int = 60, client: str = "client") -> collections.Counter:
    """Send ``count`` requests to ``url`` from the client pod; how many each pod answered.

    Twin: ``kubectl exec client -- python -c '...urlopen(url)...'`` in a loop.
    """
    script = ("import json, urllib.request\n"
              f"print(json.dumps([json.load(urllib.request.urlopen({url!r}, timeout=5))['pod'] "
              f"for _ in range({count})]))")
    out = kube.exec_(client, ["/bin/python", "-c", script], namespace)
    return collections.Counter(json.loads(out.strip().splitlines()[-1]))


def time_pod_recovery(namespace: str, selector: str, replicas: int, timeout: float = 90) -> tuple[str, float]:
    """Delete one pod and time until ``replicas`` pods are Ready again without it.

    Twin: ``kubectl delete pod NAME; kubectl get pods -w``
    """
    victim = sorted(r["name"] for r in kube.pod_table(namespace, selector))[0]
    dyn = kube.dynamic()
    started = time.monotonic()
    kube.core().delete_namespaced_pod(victim, namespace, grace_period_seconds=0)

    def ready_names(view: dict) -> list[str]:
        return sorted(name for name, pod in view["pods"].items() if _pod_ready(pod))

    def recovered(view: dict) -> float | None:
        names = ready_names(view)
        return time.monotonic() - started if len(names) == replicas and victim not in names else None

    seconds = waiting.watch(
        waiting.Source("pods", dyn.resources.get(api_version="v1", kind="Pod"), dyn, namespace, selector=selector),
        recovered, timeout=timeout,
        what=_("{replicas} pods Ready again after deleting {pod}").format(replicas=replicas, pod=victim),
        seen=lambda view: _("Ready: {pods}").format(pods=", ".join(ready_names(view)) or _("none")),
        hint=_("`kubectl get pods -n {namespace} -l {selector}` and `kubectl describe` the one that is not Ready")
        .format(namespace=namespace, selector=selector))
    return victim, seconds


def _pod_ready(pod: dict) -> bool:
    status = pod.get("status") or {}
    return (status.get("phase") == "Running" and not (pod.get("metadata") or {}).get("deletionTimestamp")
            and any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []))


def fresh_namespace(name: str, lab: str | None = None) -> str:
    """Delete the namespace if a previous run left it, then create it empty.

    Twin: ``kubectl delete namespace NAME --ignore-not-found --wait && kubectl create namespace NAME``
    """
    kube.delete_namespace(name, wait=True, timeout=120)
    kube.ensure_namespace(name, lab=lab)
    return name


def ask(namespace: str, url: str, client: str = "client") -> dict:
    """One request from the client pod to the sample app's ``/api``; its JSON answer.

    Twin: ``kubectl exec client -- python -c 'print(urlopen(URL).read())'``
    """
    script = f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=5).read().decode())"
    return json.loads(kube.exec_(client, ["/bin/python", "-c", script], namespace).strip().splitlines()[-1])


def wait_routed(namespace: str, service: str, via: str, timeout: float = 60) -> None:
    """Wait until a request from a Ready pod of Deployment ``via`` to ``http://SERVICE/api``
    reaches the Service's pods (:func:`checks.service_answers` from that pod).

    A Service's address works only once kube-proxy has written it into the node's
    packet rules, a moment after its endpoints are Ready. Before that a request to
    the address leaves the node for the default gateway: it times out, or a proxy
    on the way answers it (a 404 from a server that is not the app).

    Twin: ``kubectl exec deploy/VIA -- python -c 'urlopen("http://SERVICE/api")'`` until it answers 200
    """
    from .checks import service_answers  # noqa: PLC0415

    selector = kube.label_selector(kube.get("deployment", via, namespace)["spec"]["selector"]["matchLabels"])
    answers: list[str] = []

    def answered() -> bool | None:
        ready = [pod["metadata"]["name"] for pod in
                 kube.get("pod", namespace=namespace, selector=selector) if _pod_ready(pod)]
        if not ready:
            answers.append(_("no Ready pod of {via}").format(via=via))
            return None
        result = service_answers(service, namespace, client=ready[0])
        answers.append(result.seen)
        return True if result.ok else None

    waiting.poll(answered, timeout=timeout, interval=1,
                 what=_("http://{service}{path} to answer from inside the cluster").format(service=service, path="/api"),
                 seen=lambda: _("last answer: {answer}").format(answer=answers[-1] if answers else "-"),
                 hint=_("`kubectl get endpointslices -n {namespace}`: does Service {service} have Ready endpoints?")
                 .format(namespace=namespace, service=service))


def hpa_sample(namespace: str, name: str = "web") -> dict:
    """One look at a HorizontalPodAutoscaler: CPU use (% of request), desired and ready replicas.

    Twin: ``kubectl get hpa NAME`` (TARGETS, REPLICAS) and ``kubectl get deploy NAME`` (READY)
    """
    hpa = kube.get("hpa", name, namespace)
    if hpa is None:
        raise LabError(_("there is no HorizontalPodAutoscaler {name} in {namespace}").format(name=name, namespace=namespace),
                       hint=_("apply its file first: kubectl apply -f <hpa.yaml> -n {namespace}").format(namespace=namespace))
    dep = kube.apps().read_namespaced_deployment(name, namespace)
    return {"cpu_percent": kube.hpa_cpu(hpa), "desired": (hpa.get("status") or {}).get("desiredReplicas") or 0,
            "ready": dep.status.ready_replicas or 0,
            "target_percent": hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"]}


def wait_hpa_measuring(namespace: str, name: str = "web", timeout: float = 120) -> dict:
    """Wait until the HPA has its first CPU measurement (metrics-server scrapes every 15 s).

    Twin: ``kubectl get hpa NAME -w`` until TARGETS shows a number, not ``<unknown>``
    """
    dyn = kube.dynamic()
    hpas = dyn.resources.get(api_version="autoscaling/v2", kind="HorizontalPodAutoscaler")

    def measured(view: dict) -> dict | None:
        hpa = view["hpa"].get(name)
        return hpa_sample(namespace, name) if hpa and kube.hpa_cpu(hpa) is not None else None

    return waiting.watch(waiting.Source("hpa", hpas, dyn, namespace, name=name), measured, timeout=timeout,
                         what=_("HPA {name}'s first CPU measurement").format(name=name),
                         seen=lambda view: _("TARGETS still <unknown>") if view["hpa"]
                         else _("no HPA {name}").format(name=name),
                         hint=_("is metrics-server up? `kubectl top pods -n {namespace}`").format(namespace=namespace))


# --- lesson 01: a VM beside a container, both measured on this machine --------

#: Where tools/vm/setup.sh (run by ./lab.sh) puts the VM's kernel and initramfs.
VM_DIR = Path(os.environ.get("KUBELAB_CACHE", "/var/cache/kubelab")) / "vm"


def vm_command(accel: str = "kvm", memory_mib: int = 256) -> list[str]:
    """The QEMU command that boots lesson 01's VM: Debian's cloud kernel and a busybox
    initramfs whose /init prints its uptime and memory, then powers off."""
    return ["qemu-system-x86_64", "-accel", accel, "-m", str(memory_mib), "-smp", "1", "-nodefaults",
            "-display", "none", "-no-reboot", "-serial", "stdio", "-kernel", str(VM_DIR / "vmlinuz"),
            "-initrd", str(VM_DIR / "initramfs.cpio.gz"), "-append", "console=ttyS0 quiet panic=-1"]


def vm_ready() -> bool:
    """QEMU is installed and tools/vm/setup.sh has made the kernel and initramfs."""
    return bool(shutil.which("qemu-system-x86_64")) and all(
        (VM_DIR / f).is_file() for f in ("vmlinuz", "initramfs.cpio.gz"))


def vm_boot(accel: str = "kvm", timeout: float = 90, memory_mib: int = 256) -> dict | None:
    """Boot the VM once and measure it: ``seconds`` from launch to power-off, QEMU's
    peak memory (``rss_mib``, its max resident set), the guest's own uptime and
    memory as its kernel saw them, and the console lines. None when it did not
    power off within ``timeout`` (a /dev/kvm that cannot run a guest hangs)."""
    started = time.monotonic()
    proc = subprocess.Popen(vm_command(accel, memory_mib), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    # wait4, not wait: it returns the child's resource use, its peak memory among them
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() - started > timeout:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            return None
        time.sleep(0.005)
    seconds = time.monotonic() - started
    console = proc.stdout.read().decode(errors="replace").splitlines()
    proc.stdout.close()
    lines = [ln.strip() for ln in console if ln.startswith("kubelab-vm:")]
    up = next((ln.split()[3] for ln in lines if " up after " in ln), None)
    mem = next((int(ln.split()[2]) for ln in lines if "MemTotal:" in ln), None)
    if up is None:
        return None
    return {"accel": accel, "seconds": seconds, "rss_mib": usage.ru_maxrss / 1024, "guest_uptime": float(up),
            "guest_mem_mib": (mem or 0) / 1024, "console": lines}


def vm_measure() -> dict | None:
    """Boot the VM on KVM if this machine has a working one, else with QEMU's software
    emulation; None when QEMU or the VM's files are not here (then only cited figures)."""
    if not vm_ready():
        return None
    # tools/vm/setup.sh records which one boots a guest here (a /dev/kvm inside
    # another VM can exist and still hang every guest); without its record, try KVM.
    found = VM_DIR / "accel"
    accel = found.read_text().strip() if found.is_file() else "kvm"
    if accel == "kvm" and os.access("/dev/kvm", os.R_OK | os.W_OK):
        on_kvm = vm_boot("kvm", timeout=15)  # a guest on KVM powers off in about a second
        if on_kvm:
            return on_kvm
    return vm_boot("tcg", timeout=120)


def container_start_seconds(image: str, runs: int = 3) -> float:
    """Median seconds of ``docker run --rm`` of ``image`` running ``python -c pass``:
    create, start, run, stop and remove, as the VM's launch-to-power-off."""
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run(["docker", "run", "--rm", "--entrypoint", "/bin/python", image, "-c", "pass"],
                       check=True, capture_output=True)
        times.append(time.monotonic() - started)
    return sorted(times)[len(times) // 2]


def container_memory_mib(name: str) -> float:
    """A running container's memory use as ``docker stats`` counts it (cgroup usage
    less the page cache it could give back)."""
    from .docker_client import client  # noqa: PLC0415

    stats = client().containers.get(name).stats(stream=False)["memory_stats"]
    inactive = (stats.get("stats") or {}).get("inactive_file", 0)
    return (stats.get("usage", 0) - inactive) / 2**20


def plot_vm_vs_container(container: dict, vm: dict | None):
    """Start time and memory, container beside VM, both measured here (no VM bar when
    none could boot). Cited figures are never drawn here. Returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = ["container\n(docker run --rm)"]
    starts, mems = [container["seconds"]], [container["memory_mib"]]
    if vm:
        how = "KVM" if vm["accel"] == "kvm" else "software emulation"
        names.append(f"VM\n(QEMU, {how})")
        starts.append(vm["seconds"])
        mems.append(vm["rss_mib"])
    colours = ["tab:blue", "tab:gray"][:len(names)]
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3))
    a.bar(names, starts, color=colours)
    a.set_ylabel("seconds")
    a.set_title("start to finish, measured here")
    b.bar(names, mems, color=colours)
    b.set_ylabel("MiB")
    b.set_title("memory, measured here")
    for ax, values, unit in ((a, starts, "s"), (b, mems, "MiB")):
        for i, v in enumerate(values):
            ax.text(i, v, f"{v:.1f} {unit}", ha="center", va="bottom")
    fig.tight_layout()
    return fig
