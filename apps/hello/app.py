"""hello: the lab's sample web app. It answers with its version and the pod it runs
in, so a learner sees which pod served a request and which version is live."""

import json
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSION = (HERE / "VERSION").read_text().strip()
MESSAGE = os.environ.get("MESSAGE", "Hello from kubelab!")
PORT = int(os.environ.get("PORT", "8080"))
# Set UPSTREAM (e.g. http://back/api) and /api also asks that service: two
# microservices talking through a Service's DNS name.
UPSTREAM = os.environ.get("UPSTREAM", "")


class Handler(BaseHTTPRequestHandler):
    def _send(self, code: int, body: str, content_type: str = "text/plain; charset=utf-8") -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        pod = socket.gethostname()
        if self.path == "/healthz":
            self._send(200, "ok\n")
        elif self.path == "/api":
            answer = {"message": MESSAGE, "version": VERSION, "pod": pod}
            if UPSTREAM:
                answer["upstream"] = self._ask_upstream()
            self._send(200, json.dumps(answer) + "\n", "application/json")
        else:
            self._send(200, f"{MESSAGE} version={VERSION} pod={pod}\n")

    def _ask_upstream(self) -> dict:
        from urllib.request import urlopen  # only the calling service needs it

        try:
            with urlopen(UPSTREAM, timeout=3) as resp:
                return json.load(resp)
        except OSError as err:
            return {"error": f"{UPSTREAM}: {err}"}

    def log_message(self, fmt: str, *args) -> None:
        sys.stdout.write(f"{self.address_string()} {fmt % args}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    # As PID 1 a process gets no default SIGTERM action: without this handler the
    # pod would wait out its whole 30 s grace period on every delete or update.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"hello {VERSION} listening on :{PORT}", flush=True)
    ThreadingHTTPServer(("", PORT), Handler).serve_forever()
