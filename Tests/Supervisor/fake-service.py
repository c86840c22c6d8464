#!/usr/bin/env python3
"""Test double of an AlphaPulse service executable, for the supervisor tests.

Installed (as a copy) under the names alphapulse-<service> and alphapulse-replay in a
temporary ALPHAPULSE_BIN_DIR. It takes its service name from its file name and appends one
line per event to $FAKE_LOG:  <epoch seconds> <event> <name> <pid> [detail]

  serve --help           exit 0 always, as ArgumentParser does (the root's --help wins)
  migrate                event "migrate", detail = ALPHAPULSE_DATABASE_URL, or
                         file:<ALPHAPULSE_DATABASE_URL_FILE> when that is set
  config                 exit 0
  serve                  event "start"; serve /healthz at once and /readyz (200) after
                         FAKE_READY_DELAY seconds (never for names in FAKE_NEVER_READY);
                         event "ready" when /readyz first answers 200; "env" events with the
                         Binance URLs it was given; on SIGTERM/SIGINT event "stop" and exit 0
  --help                 lists the subcommands (serve only without FAKE_NO_SERVE)
  serve --port P --futures D [OPTIONS]
                         (replay) like serve, readiness on /api/v3/ping
Faults, by name lists in the environment: FAKE_HANG (the first process of that name answers
/healthz 503 once it has run FAKE_HANG_AFTER seconds: a hung process),
FAKE_CRASH_STARTS=name:N (the first N starts of name exit 3 at once), FAKE_SPAM (write a
1 KiB log line every 10 ms).
"""

import http.server
import os
import signal
import sys
import threading
import time

NAME = os.path.basename(sys.argv[0]).removeprefix("alphapulse-")
LOG = os.environ.get("FAKE_LOG", os.devnull)
LOCK = threading.Lock()


def listed(variable):
    return NAME in os.environ.get(variable, "").replace(",", " ").split()


def database():
    """How the database was given: the URL, or file:<path> for ALPHAPULSE_DATABASE_URL_FILE."""
    if "ALPHAPULSE_DATABASE_URL_FILE" in os.environ:
        return "file:" + os.environ["ALPHAPULSE_DATABASE_URL_FILE"]
    return os.environ.get("ALPHAPULSE_DATABASE_URL", "-")


def redis():
    if "ALPHAPULSE_REDIS_URL_FILE" in os.environ:
        return "file:" + os.environ["ALPHAPULSE_REDIS_URL_FILE"]
    return os.environ.get("ALPHAPULSE_REDIS_URL", "-")


def record(event, detail=""):
    line = f"{time.time():.6f} {event} {NAME} {os.getpid()} {detail}".rstrip() + "\n"
    with LOCK:
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def serve(port, ready_path):
    started = time.monotonic()
    delay = float(os.environ.get("FAKE_READY_DELAY", "0.4"))
    never_ready = listed("FAKE_NEVER_READY")
    announced = threading.Event()

    def stop(signum, _frame):
        record("stop", signal.Signals(signum).name)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    hang_after = float(os.environ.get("FAKE_HANG_AFTER", "1"))
    # Only the first process of the name hangs; the one restarted in its place is healthy.
    with LOCK:
        first = not os.path.exists(LOG) or not any(f" start {NAME} " in line for line in open(LOG))
    hangs = listed("FAKE_HANG") and first

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/healthz":
                code = 503 if hangs and time.monotonic() - started >= hang_after else 200
            elif self.path == ready_path:
                ready = not never_ready and time.monotonic() - started >= delay
                code = 200 if ready else 503
                if ready:
                    with LOCK:
                        first = not announced.is_set()
                        announced.set()
                    if first:
                        record("ready")
            else:
                code = 404
            body = b"{}" if code == 200 else b'{"status":"not ready"}'
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    crash = os.environ.get("FAKE_CRASH_STARTS", "")
    if crash.startswith(NAME + ":"):
        with LOCK:
            earlier = sum(1 for line in open(LOG) if f" crash {NAME} " in line) if os.path.exists(LOG) else 0
        if earlier < int(crash.split(":", 1)[1]):
            record("crash")
            os._exit(3)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    record("start", f"port={port}")
    if listed("FAKE_SPAM"):
        def spam():
            line = "x" * 1023
            while True:
                print(line, flush=True)
                time.sleep(0.01)
        threading.Thread(target=spam, daemon=True).start()
    record("env", "db=" + database())
    record("env", "redis=" + redis())
    record("env", "instance=" + os.environ.get("ALPHAPULSE_INSTANCE_ID", "-"))
    for key in ("SPOT_REST", "FUTURES_REST", "SPOT_WS", "FUTURES_WS"):
        value = os.environ.get(f"ALPHAPULSE_BINANCE_{key}_URL")
        if value:
            record("env", f"{key}={value}")
    print(f"fake {NAME} serving on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


def main(args):
    if args in (["--help"], ["serve", "--help"]):
        # Lists its subcommands as ArgumentParser does; `serve` only when it has a serve mode.
        serve_line = "" if NAME != "replay" and listed("FAKE_NO_SERVE") else "  serve" + (" (default)" if NAME == "replay" else "") + "\n"
        print(f"USAGE: alphapulse-{NAME} <subcommand>\n\nSUBCOMMANDS:\n{serve_line}  migrate\n  config\n")
        return 0
    if NAME == "replay":
        if len(args) >= 5 and args[:2] == ["serve", "--port"] and args[3] == "--futures":
            record("replay-args", " ".join(args[4:]))
            serve(int(args[2]), "/api/v3/ping")
        print(f"usage: alphapulse-replay serve --port P --futures DIR [OPTIONS] (got {args})", file=sys.stderr)
        return 64
    if args == ["migrate"]:
        record("migrate", database())
        return 0
    if args == ["config"]:
        return 0
    if args == ["serve"]:
        if listed("FAKE_NO_SERVE"):
            return 64
        port = int(os.environ[f"ALPHAPULSE_PORTS_{NAME.upper()}"])
        serve(port, "/readyz")
    print(f"alphapulse-{NAME} (fake): unknown arguments {args}", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
