"""A stand-in for the city's 12345 platform: an HTTP server on a free port on 127.0.0.1
that checks our signature, remembers every report it received, dedupes them by
message_id as the real platform does, and can be told to fail or to lose its answers."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from community.upstream import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_of


class FakeUpstream:
    def __init__(self, secret: str):
        self.secret = secret
        self.received: list[dict] = []  # every delivery, repeats included
        self.accepted: dict[str, dict] = {}  # by message_id: what the platform keeps
        self.bad_signatures = 0
        self.fail_next = 0  # answer this many deliveries with 500
        self.lose_next = 0  # take this many, then close the connection without answering
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stamp = self.headers.get(TIMESTAMP_HEADER, "")
                good = signature_of(body=body, timestamp=stamp, secret=fake.secret)
                with fake.lock:
                    if self.headers.get(SIGNATURE_HEADER) != good or abs(time.time() - int(stamp or 0)) > 300:
                        fake.bad_signatures += 1
                        return self._answer(401)
                    message = json.loads(body)
                    fake.received.append(message)
                    if fake.fail_next:
                        fake.fail_next -= 1
                        return self._answer(500)
                    fake.accepted.setdefault(message["message_id"], message)
                    if fake.lose_next:
                        fake.lose_next -= 1
                        self.close_connection = True
                        return  # taken, but the answer never reaches the sender
                self._answer(200)

            def _answer(self, code: int):
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: a free one
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/reports"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def statuses(self) -> list[str]:
        """What the platform holds, in the order it first accepted each message."""
        return [m["status"] for m in self.accepted.values()]
