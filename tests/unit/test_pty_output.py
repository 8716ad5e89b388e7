"""helpers.pty_output: a notebook's `!command` through a real pty, in a real kernel."""

from __future__ import annotations

import pexpect
from jupyter_client.manager import start_new_kernel

from helpers import config, pty_output


def _read_all(spawn, command: str) -> bytes:
    child = spawn("/bin/sh", args=["-c", command])
    child.expect(pexpect.EOF, timeout=30)
    child.isalive()
    return child.before


def test_the_draining_spawn_reads_a_command_to_its_end():
    spawn = pty_output._draining_spawn()
    assert _read_all(spawn, "printf 'one\\ntwo\\n'") == b"one\r\ntwo\r\n"


def test_it_ends_when_a_background_process_keeps_the_pty_open():
    # the shell exits; `sleep` still holds the pty and prints nothing: the output ends anyway
    assert _read_all(pty_output._draining_spawn(), "sleep 5 & echo started") == b"started\r\n"


def test_outside_a_kernel_nothing_is_installed():
    before = pexpect.spawn
    assert pty_output.install() is False
    assert pexpect.spawn is before


def test_a_kernel_that_imports_helpers_runs_bang_commands_through_it():
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(config.REPO_ROOT))
    try:
        reply = kc.execute_interactive(
            "import helpers, pexpect\nprint(pexpect.spawn.__name__)\n!echo from-the-pty",
            timeout=60, output_hook=(out := []).append)
        assert reply["content"]["status"] == "ok"
        text = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
        assert "DrainingSpawn" in text and "from-the-pty" in text, text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
