"""``labctl``: every notebook step from a shell, for scripts and instructor demos.

Failures print ``ERROR:`` with the state seen and a ``Hint:``; ``-v`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import traceback

from . import config
from .errors import LabError
from .i18n import _
from .lock import exclusive


def _cmd_doctor(args) -> int:
    from .doctor import doctor  # noqa: PLC0415

    checks = doctor(require_cluster=args.cluster)
    return 0 if all(c.ok for c in checks) else 1


def _cmd_up(args) -> int:
    from . import cluster  # noqa: PLC0415

    with exclusive(args.command_line):
        cluster.up(offline=True if args.offline else None, workers=args.workers, retain=args.retain,
                   recreate=args.recreate, metrics_server=args.metrics_server)
    return 0


def _cmd_down(args) -> int:
    from . import cluster  # noqa: PLC0415

    with exclusive(args.command_line):
        cluster.down(keep_registry=args.keep_registry)
    return 0


def _cmd_tools(args) -> int:
    from . import tools  # noqa: PLC0415

    tools.ensure(offline=config.detect_mode(True if args.offline else None).offline)
    return 0


def _cmd_mode(args) -> int:
    print("offline" if config.detect_mode().offline else "online")
    return 0


def _cmd_kit(args) -> int:
    script = config.KIT_DIR / "build.sh"
    return subprocess.call(["bash", str(script), *(["--force"] if args.force else [])])


def _cmd_pipeline(args) -> int:
    from . import pipeline  # noqa: PLC0415

    with exclusive(args.command_line):
        result = pipeline.run(args.repo, name=args.name, namespace=args.namespace, tag=args.tag,
                              offline=True if args.offline else None, context=args.context)
    print(result.url)
    return 0


def _cmd_validate(args) -> int:
    from . import manifests  # noqa: PLC0415

    # The placeholder only: any other image stays, for the 🔥 rule to judge.
    docs = manifests.fill_placeholder(args.path, args.image) if args.image else manifests.load_dir(args.path)
    manifests.validate(docs, expected_image=args.image)
    print(_("✓ {count} object(s) in {path} are valid").format(count=len(docs), path=args.path))
    return 0


def _cmd_check(args) -> int:
    from . import labs  # noqa: PLC0415

    report = labs.check(args.lab)
    print(report)
    return 0 if report.ok else 1


def _cmd_hint(args) -> int:
    from . import labs  # noqa: PLC0415

    print(labs.hint(args.lab, args.exercise, args.level))
    return 0


def _cmd_progress(args) -> int:
    from . import labs  # noqa: PLC0415

    table = labs.progress(args.lab or None)
    print(table)
    return 0


def _cmd_reset(args) -> int:
    from . import labs  # noqa: PLC0415

    with exclusive(args.command_line):
        labs.reset(args.lab)
    return 0


def _cmd_quiz(args) -> int:
    from . import show  # noqa: PLC0415

    questions = show.load_quiz(args.lesson)
    print(show.answers_text(questions) if args.answers else show.quiz_text(questions))
    return 0


def _cmd_turn(args) -> int:
    from . import turns  # noqa: PLC0415

    result = turns.check(args.lesson, args.task)
    print(result)
    return 0 if result.ok else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="labctl", description=_("kubelab: containers and Kubernetes, for real."))
    p.add_argument("-v", "--verbose", action="store_true", help=_("show tracebacks"))
    p.add_argument("--context", help=_("kubeconfig context (default: kind-kubelab)"))
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("doctor", help=_("check prerequisites: [OK]/[FAIL] per line, each FAIL with its fix"))
    d.add_argument("--cluster", action="store_true", help=_("also require the lab cluster to answer"))
    d.set_defaults(func=_cmd_doctor)

    u = sub.add_parser("up", help=_("create the kind cluster, registry, Ingress controller, metrics-server"))
    u.add_argument("--offline", action="store_true", help=_("use the offline kit's images (no registry access)"))
    u.add_argument("--workers", type=int, default=0, help=_("worker nodes besides the control plane"))
    u.add_argument("--retain", action="store_true", help=_("keep a half-made cluster for debugging"))
    u.add_argument("--recreate", action="store_true",
                   help=_("delete and remake an existing cluster that differs or does not come back "
                          "(its workloads are lost)"))
    u.add_argument("--no-metrics-server", dest="metrics_server", action="store_false",
                   help=_("skip metrics-server (kubectl top and the HorizontalPodAutoscaler need it)"))
    u.set_defaults(func=_cmd_up)

    dn = sub.add_parser("down", help=_("delete the cluster and the registry"))
    dn.add_argument("--keep-registry", action="store_true")
    dn.set_defaults(func=_cmd_down)

    t = sub.add_parser("tools", help=_("install the pinned kind and kubectl into ~/.cache/kubelab/bin when missing"))
    t.add_argument("--offline", action="store_true", help=_("copy them from the offline kit instead of downloading"))
    t.set_defaults(func=_cmd_tools)

    m = sub.add_parser("mode", help=_("print online or offline: the cluster's recorded mode, else KUBELAB_OFFLINE, "
                                       "else a probe of Docker Hub"))
    m.set_defaults(func=_cmd_mode)

    k = sub.add_parser("kit", help=_("build the offline kit (offline-kit/build.sh)"))
    k.add_argument("--force", action="store_true", help=_("rebuild every step"))
    k.set_defaults(func=_cmd_kit)

    pl = sub.add_parser("pipeline", help=_("build -> push -> validate -> deploy -> Ingress -> URL"))
    pl.add_argument("--repo", required=True, help=_("a repository with a Dockerfile and k8s/ at its root"))
    pl.add_argument("--name", help=_("app name (default: the repository folder's name)"))
    pl.add_argument("--namespace", default="default")
    pl.add_argument("--tag", help=_("image tag (default: the git commit)"))
    pl.add_argument("--offline", action="store_true")
    pl.set_defaults(func=_cmd_pipeline)

    v = sub.add_parser("validate", help=_("validate a k8s/ folder (schema and lab rules)"))
    v.add_argument("path")
    v.add_argument("--image", help=_("the image every container must use (the 🔥 rule)"))
    v.set_defaults(func=_cmd_validate)
    c = sub.add_parser("check", help=_("run a lab's checks on the cluster: [PASS]/[FAIL] with what is seen"))
    c.add_argument("lab")
    c.set_defaults(func=_cmd_check)
    r = sub.add_parser("reset", help=_("return a lab to its starting state"))
    r.add_argument("lab")
    r.set_defaults(func=_cmd_reset)
    h = sub.add_parser("hint", help=_("a lab exercise's hint: 1 where to look, 2 what is wrong, 3 the fix "
                                       "(without LEVEL: the next one)"))
    h.add_argument("lab")
    h.add_argument("exercise")
    h.add_argument("level", nargs="?", type=int, choices=(1, 2, 3))
    h.set_defaults(func=_cmd_hint)
    pr = sub.add_parser("progress", help=_("every lab's exercises, PASS/FAIL from the live cluster"))
    pr.add_argument("lab", nargs="*", help=_("only these labs"))
    pr.set_defaults(func=_cmd_progress)
    q = sub.add_parser("quiz", help=_("a lesson's self-check quiz as text (--answers: with answers and why)"))
    q.add_argument("lesson", help=_("the lesson's number, e.g. 03"))
    q.add_argument("--answers", action="store_true")
    q.set_defaults(func=_cmd_quiz)
    tu = sub.add_parser("turn", help=_("check a lesson's 'Your turn' task on the cluster: [PASS]/[FAIL] "
                                       "with what is seen"))
    tu.add_argument("lesson", help=_("the lesson's number, e.g. 03"))
    tu.add_argument("task", help=_("the task's name, as the lesson's check cell gives it"))
    tu.set_defaults(func=_cmd_turn)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.command_line = "labctl " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.context:
        os.environ["KUBELAB_CONTEXT"] = args.context
    try:
        return args.func(args)
    except LabError as err:
        if args.verbose:
            traceback.print_exc()
        print(_("ERROR: {message}").format(message=err.render()), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
