"""The app's tests: the CI/CD loop runs them on every push to main."""
import threading
import unittest
import urllib.request
from http.server import ThreadingHTTPServer

import app


class AppTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        app.Handler.log_message = lambda *args: None  # quiet: only the test report
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), app.Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.base = f"http://127.0.0.1:{cls.server.server_port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=5) as resp:
            return resp.status, resp.read().decode()

    def test_healthz_answers_ok(self):
        # The Deployment's readinessProbe asks /healthz: no "ok", no traffic.
        self.assertEqual(self.get("/healthz"), (200, "ok\n"))

    def test_home_page_shows_the_version(self):
        status, body = self.get("/")
        self.assertEqual(status, 200)
        self.assertIn(f"version={app.VERSION}", body)
