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


def test_capacity_model_matches_the_lecture_and_overlapping_peaks():
    assert capacity.servers_needed({"m": 3, "n": 3, "e": 3})["shared"] == 4
    # One big peak: sharing saves only what the small ones would have cost.
    assert capacity.servers_needed({"m": 8, "n": 1, "e": 1}, spare=0) == {
        "dedicated": 10, "shared": 8, "backup_dedicated": 3, "backup_shared": 0}
    assert capacity.predict(6, 2, 3) == {"running": 6, "pending": 0, "nodes_used": 2}
    assert capacity.pods_per_node(2000, 10, 616) == 3


def test_pod_table_views_render_every_row():
    from helpers import widgets

    rows = [{"name": "web-1", "ready": "1/1", "status": "Running", "restarts": 0, "node": "n1"},
            {"name": "web-2", "ready": "0/1", "status": "CrashLoopBackOff", "restarts": 3, "node": "n1"}]
    html = widgets.pod_rows_html(rows)
    assert html.count("<tr>") == 3 and "#1a7f37" in html and "#cf222e" in html
    text = widgets.pod_rows_text(rows).splitlines()
    assert text[0].startswith("NAME") and text[2].startswith("web-2") and "CrashLoopBackOff" in text[2]

