"""A loopback stand-in for Twilio's REST API: records messages, answers as told."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    def __init__(self):
        self.messages: list[dict] = []
        self.answers: list[tuple[int, dict]] = []  # queued special answers; then 201
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                status, body = fake.answers.pop(0) if fake.answers else (201, None)
                if status == 201:
                    fake.messages.append(form)
                    body = {"sid": f"SM{len(fake.messages):032d}", "status": "queued", "to": form.get("To"),
                            "body": form.get("Body"), "account_sid": self.path.split("/")[3]}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer_next(self, status: int, code: int | None = None) -> None:
        self.answers.append((status, {"status": status, "code": code, "message": "fake error", "more_info": ""}))

    def stop(self) -> None:
        self.server.shutdown()
