"""Lesson 05's "9 servers → 4", measured: a day of three peaks (morning, noon,
evening) runs against capacity dedicated per peak and against one autoscaled
pool; a recorder samples the cluster through the day, and the counts, the HPA's
lag and the plot come from those samples.

Also a side cluster with worker nodes, for tests that need more than one node.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import threading
import time
from dataclasses import dataclass

import yaml

from . import cluster, config, kube
from .errors import LabError
from .i18n import _, language, pad, screen_width
from .shell import run

SIDE_CLUSTER = "kubelab-capacity"

#: The Deployments of lesson 05: one per peak (dedicated), and the shared pool.
PEAKS = ("morning", "noon", "evening")
POOL = "pool"


# ---------------------------------------------------------------- the day, sampled

def sample(namespace: str, pool: str = POOL, dedicated: tuple[str, ...] = PEAKS) -> dict:
    """One look at the namespace: each Deployment's ready pods, the pool HPA's
    desired replicas and last CPU measurement, and each Deployment's CPU use now
    (millicores, summed over its pods; None before metrics-server has them).

    The same numbers as ``kubectl get deploy``, ``kubectl get hpa`` and ``kubectl top pods``.
    """
    names = (pool, *dedicated)
    deps = {d.metadata.name: d for d in kube.apps().list_namespaced_deployment(namespace).items}
    hpa = kube.get("hpa", pool, namespace, api_version="autoscaling/v2") or {}
    cpu: dict[str, int | None] = dict.fromkeys(names)
    for item in _pod_metrics(namespace):
        app = (item["metadata"].get("labels") or {}).get("app")
        if app in cpu:
            cpu[app] = (cpu[app] or 0) + sum(_millicpu(c["usage"]["cpu"]) for c in item["containers"])
    return {"at": time.time(),
            "ready": {n: (deps[n].status.ready_replicas or 0) if n in deps else 0 for n in names},
            "request": {n: _request(deps[n]) for n in names if n in deps},
            "desired": (hpa.get("status") or {}).get("desiredReplicas") or 0,
            "hpa_cpu": kube.hpa_cpu(hpa) if hpa else None,
            "hpa_target": _hpa_target(hpa),
            "cpu": cpu}


def _hpa_target(hpa: dict) -> int | None:
    for m in (hpa.get("spec") or {}).get("metrics") or []:
        if m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu":
            return ((m["resource"].get("target") or {}).get("averageUtilization"))
    return None


def _request(dep) -> int | None:
    """A Deployment's per-pod CPU request, in millicores (its first container's)."""
    requests = dep.spec.template.spec.containers[0].resources.requests or {}
    return _millicpu(requests["cpu"]) if "cpu" in requests else None


def _pod_metrics(namespace: str) -> list[dict]:
    from kubernetes import client as k8s  # noqa: PLC0415

    try:
        return k8s.CustomObjectsApi(kube.api()).list_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", namespace, "pods")["items"]
    except k8s.ApiException:
        return []  # metrics-server has no numbers yet: the sample says so with None


def _millicpu(value: str) -> int:
    """``kubectl top``'s units to millicores.

    >>> [_millicpu(v) for v in ("250m", "2", "1500000n", "0.5")]
    [250, 2000, 2, 500]
    """
    if value.endswith("n"):
        return round(int(value[:-1]) / 1_000_000)
    if value.endswith("u"):
        return round(int(value[:-1]) / 1000)
    return int(value[:-1]) if value.endswith("m") else int(float(value) * 1000)


@dataclass
class Day:
    """A recorded day: ``samples`` (each with ``t``, seconds since the load pod
    started), the peaks' windows ``{name: (start, end)}`` and the day's ``end``."""

    samples: list[dict]
    peaks: dict[str, tuple[int, int]]
    end: int
    pool: str = POOL
    dedicated: tuple[str, ...] = PEAKS

    def count(self) -> Count:
        """The servers each setup needs, from the samples within the day (0 to ``end``):
        see :func:`count_servers`, the one way the lesson counts."""
        return count_servers(self._in_day(), self.dedicated, self.pool)

    def grew(self, name: str) -> int:
        """The most ready pods Deployment ``name`` had from its own peak's start until the
        next peak began (or the day ended): what its own traffic made its HPA grow it to."""
        start = self.peaks[name][0]
        until = min((a for a, _ in self.peaks.values() if a > start), default=self.end)
        return worst_moment([s for s in self.samples if start <= s["t"] <= until], [name])[0]

    def _in_day(self) -> list[dict]:
        return [s for s in self.samples if 0 <= s["t"] <= self.end]

    def lags(self, target: int | None = None) -> dict[str, dict[str, float | None]]:
        """Per peak, :func:`hpa_lags` of the pool against the HPA's target (%)."""
        starts = sorted(a for a, _ in self.peaks.values())
        return {name: hpa_lags(self.samples, start, end, self.pool, target or self.target,
                               until=next((a for a in starts if a > start), self.end))
                for name, (start, end) in self.peaks.items()}

    @property
    def target(self) -> int:
        """The pool HPA's CPU target, % of the request (as sampled)."""
        return next((s["hpa_target"] for s in self.samples if s.get("hpa_target")), 0)

    def load(self, t: float) -> str:
        """Which peak's traffic runs at ``t`` ("-" for none)."""
        return next((n for n, (a, b) in self.peaks.items() if a <= t < b), "-")

    def text(self, every: float = 10) -> str:
        """The day as a table, one row about every ``every`` seconds. The dedicated
        columns give each peak's Deployment in turn (morning/noon/evening)."""
        # Each column is as wide as the English one, or as its header if that is wider on screen
        # (a Hangul character takes two columns of a fixed-width font).
        heads = [_("load"), _("pool ready"), _("HPA wants"), _("pool CPU"), _("dedicated ready"), _("dedicated CPU")]
        wl, wp, wh, wc, wd, wdc = (max(w, screen_width(h)) for w, h in zip((8, 10, 9, 8, 15, 13), heads))
        rows = [f"{'t':>5}  {pad(heads[0], wl)} {pad(heads[1], wp, True)} {pad(heads[2], wh, True)} "
                f"{pad(heads[3], wc, True)}  {pad(heads[4], wd, True)} {pad(heads[5], wdc, True)}"]
        last = None
        for s in self.samples:
            if s["t"] < 0 or (last is not None and s["t"] - last < every - 0.5):
                continue
            last = s["t"]
            load = self.load(s["t"])
            ded_cpu = [s["cpu"].get(n) for n in self.dedicated]
            rows.append(f"{s['t']:4.0f}s  {pad(load, wl)} {s['ready'][self.pool]:>{wp}} {s['desired']:>{wh}} "
                        f"{_m(s['cpu'].get(self.pool)):>{wc}}  "
                        f"{'/'.join(str(s['ready'][n]) for n in self.dedicated):>{wd}} "
                        f"{'/'.join(_m(c) for c in ded_cpu):>{wdc}}")
        return "\n".join(rows)

def _m(value: int | None) -> str:
    return "?" if value is None else f"{value}m"


@dataclass
class Count:
    """Servers' worth of pods each setup needs, counted from a recorded day.

    ``held``: each dedicated Deployment's most ready pods and when (its own peak);
    ``dedicated``: their sum, since a dedicated server is bought for its service's peak
    and kept all day; ``shared``: the pool's most ready pods at one moment, and ``when``.
    """

    held: dict[str, tuple[int, float]]
    dedicated: int
    shared: int
    when: float


def count_servers(samples: list[dict], dedicated: tuple[str, ...] | list[str] = PEAKS,
                  pool: str = POOL) -> Count:
    """(a) dedicated = the sum over the Deployments ``dedicated`` of each one's most
    ready pods, whenever each had them; (b) shared = the ``pool``'s most ready pods
    at one moment. Both sides are measured the same way (each grown by its own HPA),
    so a slower machine makes both larger together.

    >>> s = [{"t": t, "ready": {"pool": p, "a": a, "b": b}} for t, p, a, b in
    ...      [(0, 1, 1, 1), (10, 3, 3, 1), (20, 2, 1, 1), (30, 4, 1, 4), (40, 1, 1, 2)]]
    >>> c = count_servers(s, ["a", "b"])
    >>> c.held, c.dedicated, c.shared, c.when
    ({'a': (3, 10), 'b': (4, 30)}, 7, 4, 30)
    """
    held = {n: worst_moment(samples, [n]) for n in dedicated}
    shared, when = worst_moment(samples, [pool])
    return Count(held, sum(n for n, _ in held.values()), shared, when)


def worst_moment(samples: list[dict], names: tuple[str, ...] | list[str]) -> tuple[int, float]:
    """The largest number of ready pods the Deployments ``names`` held at one
    sampled moment, with that moment's ``t`` (the first, if it recurs).

    >>> s = [{"t": 0, "ready": {"a": 1, "b": 3}}, {"t": 5, "ready": {"a": 4, "b": 3}}, {"t": 9, "ready": {"a": 4, "b": 3}}]
    >>> worst_moment(s, ["a", "b"]), worst_moment(s, ["a"])
    ((7, 5), (4, 5))
    """
    if not samples:
        raise LabError(_("no samples: the day was not recorded"), _("start the recorder before the load"))
    best = max(sum(s["ready"].get(n, 0) for n in names) for s in samples)
    return best, next(s["t"] for s in samples if sum(s["ready"].get(n, 0) for n in names) == best)


def hpa_lags(samples: list[dict], start: float, end: float, pool: str = POOL, target: int = 0,
             until: float | None = None) -> dict[str, float | None]:
    """How late the pool followed one peak, in seconds, from the samples between
    the peak's ``start`` and ``until`` (the next peak's start; default: all after):

    - ``seen``: from the start until the HPA's measured CPU first went above ``target``;
    - ``grew``: from the start until the pool, from its lowest point, first reached
      the most ready pods it had after it (None when it never grew: the pods kept
      from before were enough);
    - ``shrank``: from the peak's ``end`` until the HPA first wanted fewer pods than
      then (None: not before ``until``).

    >>> s = [{"t": t, "hpa_cpu": c, "desired": d, "ready": {"pool": r}} for t, c, d, r in
    ...      [(0, 10, 1, 1), (10, 10, 1, 1), (25, 150, 3, 1), (30, 90, 3, 2), (65, 90, 3, 3), (95, 20, 2, 3)]]
    >>> hpa_lags(s, 5, 60, target=60)
    {'seen': 20, 'grew': 60, 'shrank': 35}
    """
    last = until if until is not None else float("inf")
    window = [s for s in samples if start < s["t"] <= last]
    seen = next((s["t"] - start for s in window if (s.get("hpa_cpu") or 0) > target), None)
    grew = None
    ready = [s["ready"][pool] for s in [s for s in samples if s["t"] <= start][-1:] + window]
    if ready:
        low = ready.index(min(ready))
        high = max(ready[low:])
        if high > ready[low]:
            grew = ([s for s in samples if s["t"] <= start][-1:] + window)[ready.index(high, low)]["t"] - start
    at_end = [s for s in samples if s["t"] <= end]
    top = at_end[-1]["desired"] if at_end else None
    shrank = next((s["t"] - end for s in samples if end < s["t"] <= last and top is not None and s["desired"] < top),
                  None)
    return {"seen": _round(seen), "grew": _round(grew), "shrank": _round(shrank)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value)


class DayRecorder:
    """Samples lesson 05's namespace every ``every`` seconds in a background
    thread, from before the load pod starts until it has finished its day.

    A sampler at a fixed pace, not a wait: the samples are the lesson's data. It
    prints nothing, so the learner's commands can run while it records.
    """

    def __init__(self, namespace: str, *, load_pod: str = "day", pool: str = POOL,
                 dedicated: tuple[str, ...] = PEAKS, every: float = 5, timeout: float = 600):
        self.namespace, self.load_pod, self.pool, self.dedicated = namespace, load_pod, pool, dedicated
        self.every, self.timeout = every, timeout
        self.samples: list[dict] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="day-recorder", daemon=True)

    def start(self) -> DayRecorder:
        self._thread.start()
        return self

    def _loop(self) -> None:
        deadline = time.monotonic() + self.timeout
        try:
            while not self._stop.is_set():
                self.samples.append(sample(self.namespace, self.pool, self.dedicated))
                pod = kube.get("pod", self.load_pod, self.namespace) or {}
                if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed") or time.monotonic() > deadline:
                    return
                self._stop.wait(self.every)
        except BaseException as err:  # noqa: BLE001 - handed to the caller by result()
            self.error = err

    def result(self, timeout: float | None = None) -> Day:
        """Wait for the day to end; the samples with ``t`` from the load pod's start."""
        self._thread.join(timeout if timeout is not None else self.timeout + 60)
        if self._thread.is_alive():
            self._stop.set()
            raise LabError(_("the day in {namespace} has not ended").format(namespace=self.namespace),
                           _("`kubectl get pod {pod} -n {namespace}`: is it still running? "
                             "`kubectl logs {pod}` says where it is").format(pod=self.load_pod, namespace=self.namespace))
        if self.error is not None:
            raise self.error
        pod = kube.get("pod", self.load_pod, self.namespace)
        if pod is None:
            raise LabError(_("no pod {pod} in {namespace}: the day never started").format(
                pod=self.load_pod, namespace=self.namespace),
                _("apply the day's file: kubectl apply -f ../k8s/lessons/05/day.yaml -n {namespace}").format(
                    namespace=self.namespace))
        return day_of(pod, self.samples, self.pool, self.dedicated)


def day_of(pod: dict, samples: list[dict], pool: str = POOL, dedicated: tuple[str, ...] = PEAKS) -> Day:
    """The day's schedule as the load pod ran it (its PEAKS and END, its start),
    and the samples timed from that start."""
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e.get("value", "") for e in container.get("env") or []}
    peaks = {}
    for item in env["PEAKS"].split():
        name, span = item.split(":")
        start, end = span.split("-")
        peaks[name] = (int(start), int(end))
    state = ((pod.get("status") or {}).get("containerStatuses") or [{}])[0].get("state") or {}
    began = (state.get("terminated") or state.get("running") or {}).get("startedAt")
    if not began:
        raise LabError(_("pod {pod} has not started").format(pod=pod["metadata"]["name"]),
                       _("kubectl describe pod day: its events say why"))
    t0 = _epoch(began)
    timed = [{**s, "t": round(s["at"] - t0, 1)} for s in samples]
    return Day(timed, peaks, int(env["END"]), pool, tuple(dedicated))


def _epoch(stamp) -> float:
    from datetime import datetime  # noqa: PLC0415

    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()


def plot_day(day: Day):
    """The day in two panels over the same time: above, each Deployment's CPU per
    pod as a % of its request (the HPA's own measure, its target dashed); below,
    the ready pods of the pool and of each dedicated Deployment, each one's most
    marked, and the dedicated total that is held all day. The peaks are shaded.
    Returns the figure.

    In Korean the texts are Korean, drawn with a Hangul font where the machine has one
    (see :func:`_hangul_fonts`); without one they stay English rather than empty boxes."""
    families = _hangul_fonts() if language() == "ko" else []
    tr = _ if families or language() != "ko" else str
    if not families:
        return _plot_day(day, tr)
    import matplotlib  # noqa: PLC0415

    # A Text keeps the family list it was made with, so drawing it later (the notebook's
    # display) still falls back per glyph; matplotlib's global settings stay untouched.
    with matplotlib.rc_context({"font.family": ["DejaVu Sans", *families]}):
        return _plot_day(day, tr)


#: Fonts with Hangul on common machines (Linux, macOS, Windows), tried in this order.
HANGUL_FONTS = ("Noto Sans CJK KR", "Noto Sans CJK JP", "Noto Sans KR", "NanumGothic", "AppleGothic",
                "Apple SD Gothic Neo", "Malgun Gothic")


@functools.lru_cache(maxsize=1)
def _hangul_fonts() -> tuple[str, ...]:
    """The :data:`HANGUL_FONTS` matplotlib can use here. Only fonts it knows are named,
    so it logs no "findfont: Font family ... not found" for the others. A font cache
    written before a CJK font was installed misses it: the system's are then added."""
    from matplotlib import font_manager as fm  # noqa: PLC0415

    def known() -> tuple[str, ...]:
        names = {f.name for f in fm.fontManager.ttflist}
        return tuple(n for n in HANGUL_FONTS if n in names)

    if not known():
        for path in fm.findSystemFonts():
            if any(k in path for k in ("CJK", "Nanum", "Gothic", "malgun", "NotoSansKR")):
                with contextlib.suppress(Exception):  # a font file matplotlib cannot read: skip it
                    fm.fontManager.addfont(path)
    return known()


def _plot_day(day: Day, _):
    # ``_`` is the translation to draw with (the str builtin keeps the English): named so
    # that Babel extracts the texts below.
    import matplotlib.pyplot as plt  # noqa: PLC0415

    s = [x for x in day.samples if 0 <= x["t"] <= day.end + 30]
    t = [x["t"] for x in s]
    fig, (cpu, pods) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True, height_ratios=(1, 1.3))
    colours = dict(zip(day.dedicated, ("tab:orange", "tab:green", "tab:purple")))
    for ax in (cpu, pods):
        for name, (a, b) in day.peaks.items():
            ax.axvspan(a, b, color=colours.get(name, "grey"), alpha=0.10, lw=0)
    for name, (a, b) in day.peaks.items():
        cpu.text((a + b) / 2, 1.03, _("{name} peak").format(name=name), transform=cpu.get_xaxis_transform(),
                 ha="center", fontsize=9)

    def per_pod(x: dict, name: str) -> float:
        used, ready, request = x["cpu"].get(name), x["ready"].get(name), (x.get("request") or {}).get(name)
        return float("nan") if not (used is not None and ready and request) else 100 * used / ready / request

    for name in day.dedicated:
        cpu.plot(t, [per_pod(x, name) for x in s], color=colours[name], lw=1,
                 label=_("{name} (dedicated)").format(name=name))
    cpu.plot(t, [_nan(x.get("hpa_cpu")) for x in s], color="tab:blue", lw=2.2, label=_("pool, as the HPA measured it"))
    if day.target:
        cpu.axhline(day.target, color="tab:blue", ls="--", lw=0.8)
        cpu.text(t[-1] if t else 0, day.target, _(" target {target}%").format(target=day.target), va="bottom",
                 ha="right", color="tab:blue", fontsize=8)
    cpu.set_ylabel(_("CPU per pod, % of request"))
    cpu.set_ylim(bottom=0)
    cpu.legend(loc="upper right", fontsize=7.5, ncol=2)

    # Each dedicated Deployment's pods over the day, and what that setup must hold all day:
    # the sum of each one's most, since a dedicated server is bought for its own peak.
    count = day.count()
    end = t[-1] if t else day.end
    pods.fill_between([0, end], count.dedicated, color="grey", alpha=0.15, lw=0,
                      label=_("(a) dedicated: each peak's most pods, summed, held all day"))
    pods.axhline(count.dedicated, color="black", lw=1.2, ls="--")
    pods.annotate(_("(a) held all day: {count} pods").format(count=count.dedicated), (0, count.dedicated),
                  xytext=(4, 4), textcoords="offset points", color="black", fontsize=9, fontweight="bold")
    for name in day.dedicated:
        # Drawn over the pool's fill (zorder), so a dedicated line is seen where they meet.
        pods.step(t, [x["ready"].get(name, 0) for x in s], where="post", color=colours[name], lw=1.3, zorder=3,
                  label=_("{name} (dedicated): ready pods").format(name=name))
        n, when = count.held[name]
        pods.plot([when], [n], "o", color=colours[name], ms=4, zorder=3)
    pool = [x["ready"][day.pool] for x in s]
    pods.fill_between(t, pool, step="post", color="tab:blue", alpha=0.30, label=_("(b) shared pool: ready pods"))
    pods.step(t, pool, where="post", color="tab:blue", lw=2)
    pods.step(t, [x["desired"] for x in s], where="post", color="tab:blue", ls=":", lw=1.5,
              label=_("(b) what the HPA wants"))
    pods.plot([count.when], [count.shared], "o", color="tab:blue", ms=5)
    pods.annotate(_("{label}: {count} pods").format(label=_("(b) worst"), count=count.shared),
                  (count.when, count.shared), xytext=(6, 5), textcoords="offset points", color="tab:blue",
                  fontsize=9, fontweight="bold")
    pods.set_ylim(0, count.dedicated + 5)
    pods.set_ylabel(_("ready pods (servers' worth)"))
    pods.set_xlabel(_("seconds into the day (the load pod's clock)"))
    pods.legend(loc="upper right", fontsize=7.5, ncol=2)
    fig.suptitle(_("One day, three peaks: (a) capacity dedicated per peak vs (b) one autoscaled pool"))
    fig.tight_layout()
    return fig


def _nan(value: int | None) -> float:
    return float("nan") if value is None else value


# ---------------------------------------------------------------- side cluster (tests)

def create_side_cluster(workers: int = 2, offline: bool | None = None) -> str:
    """A second kind cluster with worker nodes and no host ports; returns its context.
    (``kind create cluster --name kubelab-capacity --config <workers config>``)"""
    mode = config.detect_mode(offline)
    cfg = cluster.kind_config(mode, workers)
    cfg["name"] = SIDE_CLUSTER
    for node in cfg["nodes"]:
        node.pop("extraPortMappings", None)
    delete_side_cluster()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(cfg, f)
        f.flush()
        run(["kind", "create", "cluster", "--name", SIDE_CLUSTER, "--config", f.name,
             "--image", mode.image(config.NODE_IMAGE_ONLINE), "--wait", "0s"], timeout=600)
    context = f"kind-{SIDE_CLUSTER}"
    kube.forget_clients()
    # kind installs no pod network (disableDefaultCNI): the nodes wait for the lab's own.
    cluster.install_network(mode, context=context)
    cluster.wait_nodes_ready(timeout=180, context=context)
    _restore_current_context()
    return context


def _restore_current_context() -> None:
    # kind makes a new cluster the current context, and deleting it leaves none:
    # point kubectl back at the lab cluster so typed commands keep working.
    run(["kubectl", "config", "use-context", config.KIND_CONTEXT], check=False)


def delete_side_cluster() -> None:
    """(``kind delete cluster --name kubelab-capacity``)"""
    run(["kind", "delete", "cluster", "--name", SIDE_CLUSTER], check=False)
    _restore_current_context()
    kube.forget_clients()
