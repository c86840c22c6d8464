#!/usr/bin/env python3
"""The suite benchmark's probes and measurements (deploy/alphapulse bench suite;
deploy/lib/bench_suite.sh).

Like the drill's account, everything is read from outside the services: CPU and RSS from
/proc, candles, analyses and signals from PostgreSQL (psql), closed-kline frames from the
replay's own WebSocket streams and signals from the gateway's WebSocket, each observed by a
client of our own (a small RFC 6455 client below: the standard library has none). Connection
details come from the environment the benchmark sets: PGHOST/PGPORT/PGUSER/PGPASSWORD/
PGDATABASE, BENCH_PSQL, BENCH_REPLAY_PORT, BENCH_GATEWAY_PORT.

  bench_suite.py now                        the replay's clock (ms)
  bench_suite.py settled BOOT_MS            exit 0 when every tracked symbol stored the minute in
                                            progress and the history older than BOOT_MS (the
                                            replay's clock at boot) stopped growing since the
                                            last call (state in $BENCH_WORK/settled)
  bench_suite.py measure SECONDS PROCS OUT  the measurement window: CPU and RSS of the processes
                                            in PROCS ("kind name pid" lines), closed-kline frames
                                            and WebSocket signals, analyses, database growth;
                                            writes OUT (JSON)
  bench_suite.py holds RESULT.json          exit 0 when a max step held (writes the verdict in)
  bench_suite.py table RESULT.json…         the summary table of one or more loads
"""
import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from psql_rows import psql_rows

MINUTE = 60_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Symbols per market whose closed-kline frames the observer follows (one connection each,
# within the futures limit of 200 streams a connection).
SAMPLE_PER_MARKET = 100
# After the window, how long analyses and signals of its last minutes may take to arrive.
GRACE_SECONDS = 75


def sql(text):
    return psql_rows(text, "BENCH_PSQL", 300)


def replay_now():
    port = os.environ["BENCH_REPLAY_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_replay/status", timeout=30) as answer:
        return int(json.load(answer)["now"])


def now_ms():
    return time.time() * 1000.0


def percentile(values, fraction):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values):
    return {"n": len(values), "p50": percentile(values, 0.5), "p99": percentile(values, 0.99),
            "max": max(values) if values else None}


# --- a WebSocket client (RFC 6455, text frames, client side) ---------------------------------

class WebSocket:
    def __init__(self, port, path, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        head, self.buffer = head.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise ConnectionError(f"handshake refused: {status.decode(errors='replace')}")

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = bytes([0x80 | opcode, 0x80 | length])
        elif length < 65536:
            header = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
        else:
            header = bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self._send(0x1, text.encode())

    def receive(self):
        """The next text message (pings answered, fragments joined)."""
        message = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = int.from_bytes(self._read(2), "big")
            elif length == 127:
                length = int.from_bytes(self._read(8), "big")
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("closed by the server")
            if opcode in (0x1, 0x0, 0x2):
                message += payload
                if first & 0x80:
                    return message.decode()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --- probes ----------------------------------------------------------------------------------

def settled(boot):
    """Every tracked symbol has the minute before the one in progress and its first backfill
    (at least 1,000 1m candles, and Binance's 5m history before the boot: more 5m candles than
    1,000 minutes make), and the stored history (candles and derivatives older than the boot) is
    what it was at the last call. Rate limits pause a backfill for up to a minute, so an
    unchanged count alone does not say it is done."""
    now = replay_now()
    rows = sql(f"""SELECT t.market, t.symbol, coalesce((SELECT (extract(epoch FROM max(c.open_time)) * 1000)::bigint
                          FROM candles_1m c WHERE c.market = t.market AND c.symbol = t.symbol), 0),
                          (SELECT count(*) FROM candles_1m c WHERE c.market = t.market AND c.symbol = t.symbol),
                          (SELECT count(*) FROM candles_5m c WHERE c.market = t.market AND c.symbol = t.symbol
                              AND c.open_time < to_timestamp({boot} / 1000.0))
                   FROM tracked_symbols t WHERE t.is_active""")
    behind = [r for r in rows if int(r[2]) < (now // MINUTE) * MINUTE - 2 * MINUTE or int(r[3]) < 1000 or int(r[4]) < 250]
    history = sql(f"""SELECT (SELECT count(*) FROM candles WHERE open_time < to_timestamp({boot} / 1000.0)),
                             (SELECT count(*) FROM derivatives WHERE time < to_timestamp({boot} / 1000.0))""")[0]
    state = os.path.join(os.environ["BENCH_WORK"], "settled")
    previous = open(state).read() if os.path.exists(state) else ""
    current = f"{history[0]} {history[1]}"
    with open(state, "w") as f:
        f.write(current)
    print(f"{len(rows)} tracked, {len(behind)} behind or not backfilled; history {history[0]} candles, {history[1]} derivatives (before: {previous or '-'})")
    return bool(rows) and not behind and current == previous


# --- the window ------------------------------------------------------------------------------

def cpu_seconds(pid, children=False):
    """utime + stime of pid (with children=True also the reaped children's), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3 of stat); utime, stime, cutime, cstime are fields 14-17.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def rss_kib(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def pss_kib(pid):
    """Proportional set size (shared pages split among their users), from smaps_rollup."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def children(pid):
    try:
        return [int(c) for c in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    except OSError:
        return []


def memory_mib(kind, pid):
    """(resident, high-water) MiB. A store's is the PSS of it and its children together: each
    PostgreSQL connection is a process sharing the server's buffers, which RSS would count
    once per process."""
    if kind == "store":
        total = 0
        for p in [pid] + children(pid):
            try:
                total += pss_kib(p)
            except OSError:
                pass
        return total / 1024, total / 1024
    rss, hwm = rss_kib(pid)
    return rss / 1024, hwm / 1024


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[19]


def process_cpu(kind, pid):
    """CPU seconds of a process. A store's (PostgreSQL, Redis) includes its live and reaped
    children: each PostgreSQL connection is a child process of the postmaster. The
    supervisor's includes its reaped children (what it runs to do its work), but not the live
    ones: those are the services, measured on their own."""
    if kind == "supervisor":
        return cpu_seconds(pid, children=True)
    if kind != "store":
        return cpu_seconds(pid)
    total = cpu_seconds(pid, children=True)
    for child in children(pid):
        try:
            total += cpu_seconds(child)
        except (OSError, IndexError):
            pass
    return total


class Observer:
    """Closed-kline frames from the replay and signals from the gateway, with arrival times."""

    def __init__(self, symbols, gateway_port, replay_port):
        self.frames = {}      # (market, SYMBOL, open_time) -> arrival ms
        self.signals = []     # (id, market, symbol, moment, arrival ms)
        self.errors = []
        self.stop = threading.Event()
        self.threads = []
        for market, names in symbols.items():
            for i in range(0, len(names), 200):
                chunk = names[i:i + 200]
                prefix = "/market" if market == "futures" else ""
                path = f"{prefix}/stream?streams=" + "/".join(f"{s.lower()}@kline_1m" for s in chunk)
                self.threads.append(threading.Thread(target=self._klines, args=(market, replay_port, path), daemon=True))
        self.threads.append(threading.Thread(target=self._signals, args=(gateway_port,), daemon=True))
        for thread in self.threads:
            thread.start()

    def _klines(self, market, port, path):
        while not self.stop.is_set():
            try:
                ws = WebSocket(port, path)
                while not self.stop.is_set():
                    text = ws.receive()
                    if '"x":true' not in text:
                        continue
                    arrived = now_ms()
                    data = json.loads(text).get("data", {})
                    kline = data.get("k", {})
                    if kline.get("x"):
                        self.frames.setdefault((market, data.get("s", "").upper(), int(kline["t"])), arrived)
            except (OSError, ConnectionError, ValueError, KeyError) as error:
                self.errors.append(f"replay {market}: {error}")
                time.sleep(1)

    def _signals(self, port):
        while not self.stop.is_set():
            try:
                ws = WebSocket(port, "/api/v1/ws")
                ws.send_text(json.dumps({"type": "subscribe", "channels": ["signals"]}))
                while not self.stop.is_set():
                    text = ws.receive()
                    arrived = now_ms()
                    message = json.loads(text)
                    if message.get("type") == "signal":
                        d = message["data"]
                        self.signals.append((int(d["id"]), d["market"], d["symbol"], int(d["moment"]), arrived))
            except (OSError, ConnectionError, ValueError, KeyError) as error:
                self.errors.append(f"gateway: {error}")
                time.sleep(1)


def database_rows():
    """{table: [rows, bytes]} of the tables that grow, bytes with indexes, TOAST and partitions."""
    tables = ["candles", "analyses", "signals", "derivatives", "alerts"]
    counts = sql("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables))[0]
    # A partitioned table's bytes are its partitions'; pg_partition_tree lists nothing for a
    # plain table.
    sizes = sql("SELECT " + ", ".join(
        f"coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('{t}')), pg_total_relation_size('{t}'))"
        for t in tables))[0]
    return {t: [int(c), int(s)] for t, c, s in zip(tables, counts, sizes)}


def measure(seconds, procs_file, out):
    procs = []
    with open(procs_file) as f:
        for line in f:
            kind, name, pid = line.split()
            procs.append((kind, name, int(pid)))
    tracked = sql("SELECT market, symbol FROM tracked_symbols WHERE is_active ORDER BY market, rank, symbol")
    by_market = {}
    for market, symbol in tracked:
        by_market.setdefault(market, []).append(symbol)
    sample = {m: names[:SAMPLE_PER_MARKET] for m, names in by_market.items()}
    observer = Observer(sample, int(os.environ["BENCH_GATEWAY_PORT"]), int(os.environ["BENCH_REPLAY_PORT"]))
    # Connections up before the window starts.
    time.sleep(5)
    rows_before = database_rows()
    exchange_start = replay_now()
    wall_start = now_ms()
    cpu_start = {(k, n, p): process_cpu(k, p) for k, n, p in procs}
    self_start = cpu_seconds(os.getpid())
    starts = {p: start_time(p) for _, _, p in procs}
    peak = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for kind, name, pid in procs:
            try:
                current, _ = memory_mib(kind, pid)
                peak[name] = max(peak.get(name, 0), current)
            except OSError:
                pass
        time.sleep(min(5, max(0, deadline - time.monotonic())))
    wall_end = now_ms()
    exchange_end = replay_now()
    cpu_end = {(k, n, p): process_cpu(k, p) for k, n, p in procs}
    self_cpu = cpu_seconds(os.getpid()) - self_start
    rows_after = database_rows()
    restarted = [n for _, n, p in procs if start_time(p) != starts[p]]
    elapsed = (wall_end - wall_start) / 1000.0
    processes = []
    for (kind, name, pid), begin in cpu_start.items():
        rss, hwm = memory_mib(kind, pid)
        processes.append({"kind": kind, "name": name, "pid": pid, "cpu_core_share": (cpu_end[(kind, name, pid)] - begin) / elapsed,
                          "rss_mib": rss, "rss_peak_window_mib": peak.get(name, rss), "rss_high_water_mib": hwm})

    # Analyses and signals of the window's minutes, once the last had time to arrive.
    time.sleep(GRACE_SECONDS)
    observer.stop.set()
    first_moment = (exchange_start // MINUTE + 1) * MINUTE
    last_moment = (exchange_end // MINUTE) * MINUTE - MINUTE
    analyses = sql(f"""SELECT a.id, a.market, a.symbol, (extract(epoch FROM a.candle_time) * 1000)::bigint,
                              extract(epoch FROM coalesce(pg_xact_commit_timestamp(a.xmin), a.analyzed_at)) * 1000,
                              pg_xact_commit_timestamp(a.xmin) IS NOT NULL, coalesce(a.signal_id, 0)
                       FROM analyses a
                       WHERE a.candle_time BETWEEN to_timestamp({first_moment} / 1000.0) AND to_timestamp({last_moment} / 1000.0)""")
    # A signal is committed with the analysis that opened it (analyses.signal_id).
    committed = {}
    frame_to_analysis = []
    commit_timestamps = True
    for aid, market, symbol, moment, commit, exact, signal in analyses:
        if int(signal):
            committed[int(signal)] = float(commit)
        commit_timestamps = commit_timestamps and exact == "t"
        frame = observer.frames.get((market, symbol, int(moment)))
        if frame is not None:
            frame_to_analysis.append(float(commit) - frame)
    analysis_to_ws, frame_to_ws = [], []
    for sid, market, symbol, moment, arrived in observer.signals:
        if not first_moment <= moment <= last_moment:
            continue
        commit = committed.get(sid)
        if commit is not None:
            analysis_to_ws.append(arrived - commit)
        frame = observer.frames.get((market, symbol, moment))
        if frame is not None:
            frame_to_ws.append(arrived - frame)
    moments = max(0, (last_moment - first_moment) // MINUTE + 1)
    per_moment = {}
    for _, market, symbol, moment, _, _, _ in analyses:
        per_moment[int(moment)] = per_moment.get(int(moment), 0) + 1
    # Every analysis committed in the window, whatever its moment.
    in_window = int(sql(f"""SELECT count(*) FROM analyses
        WHERE coalesce(pg_xact_commit_timestamp(xmin), analyzed_at) BETWEEN to_timestamp({wall_start} / 1000.0) AND to_timestamp({wall_end} / 1000.0)
          AND candle_time >= to_timestamp({exchange_start - 3_600_000} / 1000.0)""")[0][0])

    growth = {}
    for table, (rows, size) in rows_after.items():
        added = rows - rows_before[table][0]
        grown = size - rows_before[table][1]
        # Bytes per row: what the window's rows took when there are enough of them to outweigh
        # page granularity; else the table's average, which for a small table includes the
        # fixed size of its partitions and indexes (an overestimate, marked).
        marginal = added >= 1000 and grown > 0
        per_row = grown / added if marginal else (size / rows if rows else 0)
        growth[table] = {"rows": rows, "bytes": size, "rows_added": added, "bytes_added": grown,
                         "bytes_per_row": per_row, "per_row_from": "window" if marginal else "average",
                         "rows_per_day": added / elapsed * 86400, "bytes_per_day": added / elapsed * 86400 * per_row}
    result = {
        "window_seconds": elapsed, "exchange_window_ms": [exchange_start, exchange_end],
        "tracked": {m: len(n) for m, n in by_market.items()}, "sampled": {m: len(n) for m, n in sample.items()},
        "processes": processes, "restarted": restarted, "observer_cpu_core_share": self_cpu / elapsed,
        "moments": moments, "analyses": len(analyses), "analyses_in_window": in_window,
        "analyses_per_hour": in_window / elapsed * 3600,
        "analyses_per_moment": [per_moment.get(first_moment + i * MINUTE, 0) for i in range(moments)],
        "closed_frames_observed": len([k for k in observer.frames if first_moment <= k[2] <= last_moment]),
        "commit_timestamps": commit_timestamps,
        "latency_ms": {"frame_to_analysis": summary(frame_to_analysis), "analysis_to_ws_signal": summary(analysis_to_ws),
                       "frame_to_ws_signal": summary(frame_to_ws)},
        "signals_on_ws": len([s for s in observer.signals if first_moment <= s[3] <= last_moment]),
        "database": {"bytes": sum(v["bytes"] for v in growth.values()), "bytes_per_day": sum(v["bytes_per_day"] for v in growth.values()),
                     "tables": growth},
        "observer_errors": observer.errors[:10],
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=1)


# --- the table -------------------------------------------------------------------------------

def mib(value):
    return f"{value:,.0f} MiB"


def fmt_ms(value):
    return "-" if value is None else (f"{value / 1000:.1f} s" if value >= 10_000 else f"{value:,.0f} ms")


def table(paths):
    for path in paths:
        with open(path) as f:
            r = json.load(f)
        m = r["window"]
        print(f"\n== load: {r['load']} — {r['title']}")
        print(f"   tracked {m['tracked']}, window {m['window_seconds']:.0f} s"
              + (f", processes restarted in the window: {m['restarted']}" if m["restarted"] else ""))
        ours = [p for p in m["processes"] if p["kind"] in ("service", "supervisor")]
        share = sum(p["cpu_core_share"] for p in ours)
        print(f"   CPU, every AlphaPulse process together: {share * 100:.1f} % of one core")
        for kind, label in (("replay", "replay (stands in for Binance)"), ("store", "PostgreSQL and Redis")):
            part = sum(p["cpu_core_share"] for p in m["processes"] if p["kind"] == kind)
            print(f"   CPU, {label}: {part * 100:.1f} % of one core")
        print(f"   CPU, this benchmark's observer: {m['observer_cpu_core_share'] * 100:.1f} % of one core")
        print("   memory per process (end of window / highest sampled in it; the stores' is PSS of all their processes):")
        for p in sorted(m["processes"], key=lambda p: (p["kind"], p["name"])):
            print(f"     {p['kind']:<10} {p['name']:<14} {p['cpu_core_share'] * 100:6.1f} % core  {mib(p['rss_mib']):>10}  /  {mib(p['rss_peak_window_mib']):>10}")
        service_rss = sum(p["rss_mib"] for p in ours)
        print(f"   RSS of every AlphaPulse process together: {mib(service_rss)}; with the stores {mib(service_rss + sum(p['rss_mib'] for p in m['processes'] if p['kind'] == 'store'))}")
        print(f"   ready after `up`: cold {r['cold_ready_s']} s, warm {r['warm_ready_s']} s; settled (backfill done) {r['settled_s']} s after the cold `up`")
        print(f"   analyses: {m['analyses_in_window']} committed in the window, {m['analyses_per_hour']:,.0f} an hour;"
              f" per closed minute {m['analyses_per_moment']}")
        lat = m["latency_ms"]
        for key, label in (("frame_to_analysis", "closed-kline frame → analysis committed"),
                           ("analysis_to_ws_signal", "analysis committed → signal on the WebSocket"),
                           ("frame_to_ws_signal", "closed-kline frame → signal on the WebSocket")):
            s = lat[key]
            print(f"   {label}: p50 {fmt_ms(s['p50'])}, p99 {fmt_ms(s['p99'])}, max {fmt_ms(s['max'])} (n={s['n']})")
        db = m["database"]
        parts = ", ".join(f"{t} {v['bytes_per_day'] / 2**20:,.1f}" for t, v in db["tables"].items())
        print(f"   database: {db['bytes'] / 2**20:,.0f} MiB now, growing {db['bytes_per_day'] / 2**20:,.0f} MiB a day"
              f" ({parts})")
        if "holds" in r:
            print(f"   every symbol analysed on every 1m close: {'yes' if r['holds'] else 'no'} ({r['holds_reason']})")
        if m["observer_errors"]:
            print(f"   observer errors: {m['observer_errors'][:3]}")


def holds(path):
    """Exit 0 when the window analysed every tracked symbol at every closed minute, each minute
    done before the next close (p99 frame → analysis under 60 s), writing the verdict in."""
    with open(path) as f:
        r = json.load(f)
    m = r["window"]
    # The symbols the ranking kept (a few synthetic ones are traps it filters out).
    expected = sum(m["tracked"].values())
    counts = m["analyses_per_moment"]
    reasons = []
    if not counts or min(counts) < expected:
        reasons.append(f"minutes with fewer than {expected} analyses: {[c for c in counts if c < expected]}")
    p99 = m["latency_ms"]["frame_to_analysis"]["p99"]
    if p99 is None or p99 >= 60_000:
        reasons.append(f"frame → analysis p99 {fmt_ms(p99)}")
    if m["restarted"]:
        reasons.append(f"restarted: {m['restarted']}")
    r["holds"] = not reasons
    r["holds_reason"] = "; ".join(reasons) or f"{len(counts)} minutes × {expected} symbols, p99 {fmt_ms(p99)}"
    with open(path, "w") as f:
        json.dump(r, f, indent=1)
    return not reasons


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "now":
        print(replay_now())
    elif command == "settled":
        return 0 if settled(int(argv[2])) else 1
    elif command == "measure":
        measure(float(argv[2]), argv[3], argv[4])
    elif command == "holds":
        return 0 if holds(argv[2]) else 1
    elif command == "table":
        table(argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
