"""Pure parts of the lab checks and the capacity model."""

from helpers import capacity, checks


def test_probe_reasons_are_reduced_to_their_cause():
    assert checks._probe_reason('Get "http://10.0.0.1:81/": dial tcp: connect: connection refused') == \
        "connection refused"
    assert checks._probe_reason("context deadline exceeded (Client.Timeout)") == "timed out"
    assert checks._probe_reason("HTTP probe failed with statuscode: 404") == "HTTP error status"


def test_pull_fix_names_latest_and_foreign_images():
    assert "`latest`" in checks._pull_fix("localhost:5001/hello:latest")
    assert "`latest`" in checks._pull_fix("localhost:5001/hello")
    assert "not in the local registry" in checks._pull_fix("docker.io/library/nginx:1.27")


def test_report_renders_pass_and_fail_in_text_and_html():
    report = checks.Report([checks.CheckResult("a", True, "fine"), checks.CheckResult("b", False, "broken", "fix it")])
    assert not report.ok
    assert str(report).splitlines() == ["[PASS] a: fine", "[FAIL] b: broken", "       fix: fix it"]
    html = report._repr_html_()
    assert "#1a7f37" in html and "#cf222e" in html and "fix it" in html


def _day(points, dedicated=(1, 1, 1)):
    """Samples of a made-up day: (t, pool ready, HPA desired, HPA's CPU %); ``dedicated`` gives
    the morning, noon and evening pods (the same at every sample unless a point carries its own)."""
    return [{"t": t, "desired": d, "hpa_cpu": c, "cpu": {},
             "ready": {"pool": r, **dict(zip(capacity.PEAKS, rest[0] if rest else dedicated))}}
            for t, r, d, c, *rest in points]


def test_capacity_counts_the_worst_moment_from_the_samples():
    samples = _day([(0, 1, 1, 10), (20, 1, 3, 150), (30, 3, 3, 70), (80, 3, 2, 20), (95, 2, 4, 140),
                    (100, 4, 4, 80), (150, 1, 1, 10)], dedicated=(3, 3, 3))
    assert capacity.worst_moment(samples, capacity.PEAKS) == (9, 0)
    assert capacity.worst_moment(samples, [capacity.POOL]) == (4, 100)
    # A Deployment that is not there counts as no pods, not as an error.
    assert capacity.worst_moment(samples, ["night"]) == (0, 0)
    # The day's worst moment is within the day: a sample before the load started does not count.
    day = capacity.Day(_day([(-5, 7, 7, 10), (10, 2, 2, 80)]), {"morning": (5, 20)}, 30)
    count = day.count()
    assert (count.shared, count.when) == (2, 10) and day.load(10) == "morning" and day.load(25) == "-"


def test_capacity_dedicated_is_the_sum_of_each_peaks_most_pods_held_all_day():
    # Each dedicated Deployment grows for its own peak only; the pool for each in turn.
    samples = _day([(-5, 5, 5, 10, (4, 4, 4)),  # before the day: not counted
                    (0, 1, 1, 10, (1, 1, 1)), (30, 3, 3, 90, (3, 1, 1)), (60, 1, 1, 10, (1, 1, 1)),
                    (90, 4, 4, 120, (1, 4, 1)), (120, 2, 2, 20, (1, 2, 1)), (150, 3, 3, 80, (1, 1, 3)),
                    (200, 1, 1, 10, (1, 1, 1)), (260, 8, 8, 10, (8, 8, 8))])  # after the day: not counted
    day = capacity.Day(samples, {"morning": (20, 50), "noon": (80, 110), "evening": (140, 170)}, 240)
    count = day.count()
    assert count.held == {"morning": (3, 30), "noon": (4, 90), "evening": (3, 150)}
    assert (count.dedicated, count.shared, count.when) == (10, 4, 90)
    # What its own peak (up to the next peak's start) grew each Deployment to.
    assert [day.grew(n) for n in capacity.PEAKS] == [3, 4, 3]
    # A uniformly slower machine: every HPA grows its Deployment by the same factor, so
    # both counts grow and the pool still needs fewer.
    slow = capacity.Day([{**s, "ready": {n: 2 * r for n, r in s["ready"].items()}} for s in samples],
                        day.peaks, day.end).count()
    assert (slow.dedicated, slow.shared) == (20, 8) and slow.shared < slow.dedicated
    # The table gives the dedicated Deployments' ready pods one by one.
    assert "1/4/1" in day.text(every=1).splitlines()[4]


def test_capacity_lags_are_measured_from_each_peak():
    samples = _day([(0, 1, 1, 10), (10, 1, 1, 10), (25, 1, 3, 150), (35, 3, 3, 70), (75, 3, 3, 20),
                    (90, 3, 1, 10), (95, 1, 1, 10)])
    assert capacity.hpa_lags(samples, 10, 70, target=60) == {"seen": 15, "grew": 25, "shrank": 20}
    # A peak the pool already had pods for (kept from the peak before): no growth, not a made-up number.
    assert capacity.hpa_lags(samples, 40, 70, target=60, until=80)["grew"] is None
    # Growth that comes after the peak's end still counts, up to the next peak.
    late = _day([(0, 1, 1, 10), (20, 1, 1, 10), (40, 1, 3, 150), (55, 3, 3, 40), (100, 2, 2, 10)])
    assert capacity.hpa_lags(late, 10, 50, target=60, until=90) == {"seen": 30, "grew": 45, "shrank": None}
    assert capacity.hpa_lags(late, 10, 50, target=60)["shrank"] == 50
    day = capacity.Day(late, {"morning": (10, 50), "noon": (90, 120)}, 150)
    assert day.lags(60)["morning"]["grew"] == 45
    # A pool that shrank within the peak and grew back to its old size: that regrowth is the lag.
    back = _day([(0, 3, 3, 10), (10, 3, 3, 10), (20, 1, 1, 10), (40, 1, 3, 150), (60, 3, 3, 50)])
    assert capacity.hpa_lags(back, 5, 50, target=60, until=70)["grew"] == 55
    # Not shrunk before the next peak: None.
    assert capacity.hpa_lags(back, 5, 50, target=60, until=55)["shrank"] is None


def test_capacity_day_reads_the_schedule_from_the_load_pod():
    pod = {"metadata": {"name": "day"},
           "spec": {"containers": [{"env": [{"name": "PEAKS", "value": "morning:10-70 noon:100-160"},
                                            {"name": "END", "value": "200"}]}]},
           "status": {"containerStatuses": [{"state": {"terminated": {"startedAt": "2026-01-01T00:00:00Z"}}}]}}
    t0 = 1767225600.0
    day = capacity.day_of(pod, [{"at": t0 - 5, "ready": {}}, {"at": t0 + 12.34, "ready": {}}])
    assert day.peaks == {"morning": (10, 70), "noon": (100, 160)} and day.end == 200
    assert [s["t"] for s in day.samples] == [-5, 12.3]


def test_pod_table_views_render_every_row():
    from helpers import widgets

    rows = [{"name": "web-1", "ready": "1/1", "status": "Running", "restarts": 0, "node": "n1"},
            {"name": "web-2", "ready": "0/1", "status": "CrashLoopBackOff", "restarts": 3, "node": "n1"}]
    html = widgets.pod_rows_html(rows)
    assert html.count("<tr>") == 3 and "#1a7f37" in html and "#cf222e" in html
    text = widgets.pod_rows_text(rows).splitlines()
    assert text[0].startswith("NAME") and text[2].startswith("web-2") and "CrashLoopBackOff" in text[2]
