#!/usr/bin/env python3
"""The drill's probes and its final account (deploy/alphapulse drill; deploy/lib/drill.sh).

Everything here reads the stores and the source data directly, never the services' own
counters: PostgreSQL through psql, Redis through redis-cli, the replay's REST API and the
bundled archive. Connection details come from the environment the drill sets:
PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, DRILL_REDIS_PORT and REDISCLI_AUTH,
DRILL_REPLAY (http://127.0.0.1:PORT), DRILL_ARCHIVE (the futures archive folder), DRILL_PSQL.

  drill.py caught-up [SINCE_MS]            exit 0 when every tracked symbol stored the minute in
                                           progress at SINCE_MS on the replay's clock (default:
                                           is within two minutes of it)
  drill.py alert SINCE_MS RULE SUBJECT     exit 0 when such an alert was raised at or after SINCE_MS
  drill.py now                             the replay's clock (ms)
  drill.py analysing                       exit 0 once an analysis is stored
  drill.py quiet                           exit 0 when no job is waiting or pending and no alert
                                           is unresolved; prints the jobs' last delivered id
  drill.py account FAULTS.jsonl REPORT.json
                                           the final checks; prints a table, writes the report,
                                           exit 1 when anything was lost or left wrong
"""
import csv
import io
import json
import os
import subprocess
import sys
import urllib.request
import zipfile
from decimal import Decimal

from psql_rows import psql_rows

MINUTE = 60_000
INTERVALS = {"5m": 5 * MINUTE, "15m": 15 * MINUTE, "1h": 60 * MINUTE, "4h": 240 * MINUTE, "1d": 1440 * MINUTE}


def sql(text):
    return psql_rows(text, "DRILL_PSQL", 120)


def redis(*args):
    out = subprocess.run(["redis-cli", "-p", os.environ["DRILL_REDIS_PORT"], "--raw", *args], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"redis-cli {args[0]}: {out.stderr.strip()[:300]}")
    return out.stdout.splitlines()


def replay(path):
    with urllib.request.urlopen(os.environ["DRILL_REPLAY"] + path, timeout=30) as answer:
        return json.load(answer)


def replay_now():
    return int(replay("/_replay/status")["now"])


def stream_entries(key):
    """XRANGE KEY - + as (id, {field: value}); redis-cli --raw prints the id, then fields and values."""
    entries, start = [], "-"
    while True:
        # --raw flattens each entry to its id, then field and value lines: an id (\d+-\d+, which
        # none of our values is) after an even number of lines starts the next entry.
        lines = redis("XRANGE", key, start, "+", "COUNT", "1000")
        # An empty reply prints one empty line.
        if not lines or lines == [""]:
            return entries
        page, current = [], None
        for line in lines:
            if current is None or (len(current[1]) % 2 == 0 and _is_id(line)):
                current = (line, [])
                page.append(current)
            else:
                current[1].append(line)
        for entry_id, flat in page:
            entries.append((entry_id, dict(zip(flat[0::2], flat[1::2]))))
        if len(page) < 1000:
            return entries
        ms, seq = page[-1][0].split("-")
        start = f"{ms}-{int(seq) + 1}"


def _is_id(text):
    parts = text.split("-")
    return len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit() and len(parts[0]) >= 10


# --- probes ----------------------------------------------------------------------------------

def caught_up(since):
    """Every tracked symbol stored the minute in progress at SINCE (exchange ms; the replay's
    clock when a fault was lifted), or, with none given, is within two minutes of the replay."""
    now = replay_now()
    floor = (since // MINUTE) * MINUTE if since else now - 2 * MINUTE
    rows = sql("""SELECT t.market, t.symbol, coalesce((extract(epoch FROM max(c.open_time)) * 1000)::bigint, 0)
                  FROM tracked_symbols t LEFT JOIN candles_1m c ON c.market = t.market AND c.symbol = t.symbol
                  WHERE t.is_active GROUP BY 1, 2""")
    if not rows:
        return False
    behind = [(m, s, (now - int(t)) // MINUTE) for m, s, t in rows if int(t) < floor]
    if behind:
        print(f"{len(behind)} of {len(rows)} symbols behind, e.g. {behind[:3]}")
    return not behind


def alert_raised(since, rule, subject):
    # A subject given must match exactly (`crashed ingest/h-ingest` is not `…-ingest-2`); none
    # matches any.
    match = f"subject = '{subject}'" if subject else "true"
    rows = sql(f"""SELECT count(*) FROM alerts WHERE rule = '{rule}' AND {match}
                   AND created_at >= to_timestamp({int(since)} / 1000.0)""")
    return int(rows[0][0]) > 0


def quiet():
    """True when no job waits or is pending and no alert is unresolved; prints the group's
    last delivered id (every job up to it was analysed or dead-lettered)."""
    pending = int(redis("XPENDING", "ap:jobs", "inference")[0] or 0)
    groups = redis("XINFO", "GROUPS", "ap:jobs")
    info = dict(zip(groups[0::2], groups[1::2]))
    lag = info.get("lag", "0")
    unresolved = int(sql("SELECT count(*) FROM alerts WHERE resolved_at IS NULL")[0][0])
    if pending or (lag not in ("0", "")) or unresolved:
        print(f"jobs pending {pending}, group lag {lag}, unresolved alerts {unresolved}")
        return False
    print(info.get("last-delivered-id", ""))
    return True


# --- the account -----------------------------------------------------------------------------

def source_minutes(market, symbol, start, end):
    """The source's 1m klines in [start, end] as {open_time: row}; row = the 10 values stored."""
    rows = {}
    if market == "futures":
        path = os.path.join(os.environ["DRILL_ARCHIVE"], f"{symbol}-1m-2026-02.zip")
        with zipfile.ZipFile(path) as archive:
            name = archive.namelist()[0]
            reader = csv.reader(io.TextIOWrapper(archive.open(name), encoding="ascii"))
            for line in reader:
                if not line or not line[0].isdigit():
                    continue
                t = int(line[0])
                if start <= t <= end:
                    # open high low close volume quote trades takerBase takerQuote
                    rows[t] = tuple(Decimal(v) for v in (line[1], line[2], line[3], line[4], line[5], line[7])) + (int(line[8]),) + \
                        (Decimal(line[9]), Decimal(line[10]))
        return rows
    cursor = start
    while cursor <= end:
        page = replay(f"/api/v3/klines?symbol={symbol}&interval=1m&startTime={cursor}&endTime={end}&limit=1000")
        if not page:
            break
        for k in page:
            rows[int(k[0])] = tuple(Decimal(v) for v in (k[1], k[2], k[3], k[4], k[5], k[7])) + (int(k[8]),) + (Decimal(k[9]), Decimal(k[10]))
        cursor = int(page[-1][0]) + MINUTE
    return rows


def stored(market, symbol, interval, start, end):
    rows = sql(f"""SELECT (extract(epoch FROM open_time) * 1000)::bigint, open, high, low, close, volume, quote_volume, trades,
                          taker_buy_volume, taker_buy_quote_volume
                   FROM candles WHERE market = '{market}' AND symbol = '{symbol}' AND interval = '{interval}'
                     AND open_time BETWEEN to_timestamp({start} / 1000.0) AND to_timestamp({end} / 1000.0) ORDER BY 1""")
    result, twice = {}, 0
    for r in rows:
        t = int(r[0])
        if t in result:
            twice += 1
        result[t] = tuple(Decimal(v) for v in r[1:7]) + (int(r[7]),) + (Decimal(r[8]), Decimal(r[9]))
    return result, twice


def aggregate(minutes):
    first, last = minutes[0], minutes[-1]
    return (first[0], max(m[1] for m in minutes), min(m[2] for m in minutes), last[3], sum(m[4] for m in minutes),
            sum(m[5] for m in minutes), sum(m[6] for m in minutes), sum(m[7] for m in minutes), sum(m[8] for m in minutes))


def check_candles(end):
    """Every stored 1m candle up to END equals the source, none missing or doubled after the first;
    every complete derived bucket the source covers equals the aggregation of the source."""
    symbols = sql("SELECT DISTINCT market, symbol FROM candles_1m ORDER BY 1, 2")
    problems, minutes_checked, buckets_checked = [], 0, 0
    for market, symbol in symbols:
        first = int(sql(f"""SELECT (extract(epoch FROM min(open_time)) * 1000)::bigint FROM candles_1m
                            WHERE market = '{market}' AND symbol = '{symbol}'""")[0][0])
        got, twice = stored(market, symbol, "1m", first, end)
        # Derived buckets reach back before the first stored minute (Binance's own klines fill
        # the older history): read the source a day earlier, which covers every complete bucket
        # whose end lies after it but the 1d one that may begin before.
        source = source_minutes(market, symbol, first - 1440 * MINUTE, end)
        want = {t: v for t, v in source.items() if first <= t <= end}
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        wrong = sorted(t for t in want if t in got and got[t] != want[t])
        minutes_checked += len(want)
        if missing or extra or wrong or twice:
            problems.append(f"{market} {symbol} 1m: {len(missing)} missing {missing[:3]}, {len(extra)} not in the source {extra[:3]}, "
                            f"{len(wrong)} differ {wrong[:3]}, {twice} twice")
        for interval, length in INTERVALS.items():
            derived, twice = stored(market, symbol, interval, first - 1440 * MINUTE, end)
            wrong, absent = [], []
            bucket = (first // length) * length
            # Every complete bucket within the stored minutes must exist; every stored complete
            # bucket the source covers must equal the source's aggregation.
            candidates = set(derived) | set(range(bucket + length if bucket < first else bucket, end - length + 2 * MINUTE, length))
            for start in sorted(candidates):
                if start + length - MINUTE > end:
                    continue
                parts = [source.get(start + i * MINUTE) for i in range(length // MINUTE)]
                if any(p is None for p in parts):
                    continue
                buckets_checked += 1
                if start not in derived:
                    absent.append(start)
                elif derived[start] != aggregate(parts):
                    wrong.append(start)
            if wrong or absent or twice:
                problems.append(f"{market} {symbol} {interval}: {len(absent)} missing {absent[:3]}, {len(wrong)} differ from the "
                                f"source's aggregation {wrong[:3]}, {twice} twice")
    return {"symbols": len(symbols), "minutes": minutes_checked, "derived_buckets": buckets_checked, "problems": problems}


def entry_key(entry_id):
    ms, _, seq = entry_id.partition("-")
    return (int(ms), int(seq or 0))


def check_jobs(cutoff, rolled_back):
    """Every moment enqueued up to CUTOFF (an entry id) has exactly one analysis, but those
    enqueued while a restored backup was being taken and restored (ROLLED_BACK: [from, until]
    in ms), whose analyses may have gone with the restore."""
    moments, exempt = set(), set()
    entries = [e for e in stream_entries("ap:jobs") if not cutoff or entry_key(e[0]) <= entry_key(cutoff)]
    for entry_id, fields in entries:
        if {"m", "s", "at"} <= fields.keys():
            moment = (fields["m"], fields["s"], int(fields["at"]))
            if rolled_back[0] <= entry_key(entry_id)[0] <= rolled_back[1]:
                exempt.add(moment)
            else:
                moments.add(moment)
    analysed = {}
    for market, symbol, moment, count in sql("""SELECT market, symbol, (extract(epoch FROM candle_time) * 1000)::bigint, count(*)
                                                FROM analyses GROUP BY 1, 2, 3"""):
        analysed[(market, symbol, int(moment))] = int(count)
    missing = sorted(m for m in moments if m not in analysed)
    twice = sorted(m for m, c in analysed.items() if c != 1)
    problems = []
    if missing:
        problems.append(f"{len(missing)} moments enqueued but never analysed, e.g. {missing[:3]}")
    if twice:
        problems.append(f"{len(twice)} moments analysed more than once, e.g. {twice[:3]}")
    if not moments:
        problems.append("no job was enqueued")
    lost = sorted(m for m in exempt - moments if m not in analysed)
    return {"entries": len(entries), "moments": len(moments), "analyses": sum(analysed.values()),
            "rolled_back_by_restore": len(lost), "problems": problems}


def check_signals():
    problems = []
    duplicated = int(sql("SELECT count(*) - count(DISTINCT (market, symbol, candle_time)) FROM signals")[0][0])
    unpublished = int(sql("""SELECT count(*) FROM signals
                             WHERE published_at IS NULL OR (status <> 'open' AND outcome_published_at IS NULL)""")[0][0])
    ids = {int(r[0]) for r in sql("SELECT id FROM signals")}
    resolved = {int(r[0]) for r in sql("SELECT id FROM signals WHERE status <> 'open'")}
    events = stream_entries("ap:signals")
    opened = {int(f["id"]) for _, f in events if f.get("event") == "opened" and f.get("id", "").isdigit()}
    closed = {int(f["id"]) for _, f in events if f.get("event") == "resolved" and f.get("id", "").isdigit()}
    if duplicated:
        problems.append(f"{duplicated} signals duplicate a (market, symbol, moment)")
    if unpublished:
        problems.append(f"{unpublished} signals or outcomes committed but not published")
    if ids - opened:
        problems.append(f"{len(ids - opened)} signals never on ap:signals, e.g. {sorted(ids - opened)[:3]}")
    if resolved - closed:
        problems.append(f"{len(resolved - closed)} outcomes never on ap:signals, e.g. {sorted(resolved - closed)[:3]}")
    return {"signals": len(ids), "resolved": len(resolved), "events": len(events), "problems": problems}


def check_dead_letters(injected):
    problems, counts = [], {}
    for stream, expected in injected.items():
        entries = stream_entries(stream)
        counts[stream] = len(entries)
        if len(entries) != expected:
            reasons = [f.get("reason", "?")[:80] for _, f in entries[:3]]
            problems.append(f"{stream}: {len(entries)} entries, the drill injected {expected} ({reasons})")
    return {"entries": counts, "problems": problems}


def check_alerts(faults):
    rows = sql("""SELECT rule, subject, (extract(epoch FROM created_at) * 1000)::bigint,
                         coalesce((extract(epoch FROM resolved_at) * 1000)::bigint, 0) FROM alerts ORDER BY created_at""")
    alerts = [(r[0], r[1], int(r[2]), int(r[3])) for r in rows]
    problems = []
    for fault in faults:
        seen = []
        for rule, subject in fault.get("alerts", []):
            match = [a for a in alerts if a[0] == rule and (a[1] == subject or not subject)
                     and fault["started_ms"] <= a[2] <= fault["settled_ms"]]
            if not match:
                problems.append(f"{fault['name']}: no {rule}:{subject} alert raised")
                fault["ok"] = False
            elif not all(a[3] for a in match):
                problems.append(f"{fault['name']}: {rule}:{subject} raised but never resolved")
                fault["ok"] = False
            seen += [f"{a[0]}:{a[1]}" for a in match]
        # What else the monitor raised meanwhile (not required; shown in the report).
        fault["alerts_raised"] = sorted({f"{a[0]}:{a[1]}" for a in alerts if fault["started_ms"] <= a[2] <= fault["settled_ms"]})
    unresolved = [f"{a[0]}:{a[1]}" for a in alerts if not a[3]]
    if unresolved:
        problems.append(f"{len(unresolved)} alerts still unresolved: {unresolved[:5]}")
    return {"raised": len(alerts), "unresolved": len(unresolved), "problems": problems}


def check_audit(path):
    """What `alphapulse-inference audit` found (live signals against the backtest)."""
    try:
        with open(path) as answer:
            audit = json.load(answer)
    except (OSError, ValueError):
        log = path[:-len(".json")] + ".log"
        tail = open(log).read()[-600:] if os.path.exists(log) else "no log"
        return {"problems": [f"the audit did not run: {tail}"]}
    return {"symbols": audit.get("symbols"), "moments": audit.get("moments"), "live_signals": audit.get("liveSignals"),
            "backtest_signals": audit.get("backtestSignals"), "live_resolved": audit.get("liveResolved"),
            "inputs_changed_since": audit.get("inputsChangedSince", 0), "not_comparable": audit.get("signalsNotComparable", 0),
            "changed_examples": audit.get("changedExamples", []), "problems": audit.get("problems", [])}


def account(faults_path, report_path):
    faults = [json.loads(line) for line in open(faults_path) if line.strip()]
    meta = faults.pop(0) if faults and faults[0].get("kind") == "meta" else {}
    # Minutes up to five before the replay's clock: every tracked symbol was within three of it.
    end = (replay_now() // MINUTE) * MINUTE - 5 * MINUTE
    checks = {
        "candles": check_candles(end),
        "jobs": check_jobs(meta.get("jobs_cutoff", ""), meta.get("rolled_back", [0, 0])),
        "signals": check_signals(),
        "live_equals_backtest": check_audit(meta.get("audit", "")),
        "dead_letters": check_dead_letters(meta.get("injected", {})),
        "alerts": check_alerts(faults),
        "services": {"problems": [] if meta.get("ready") else [f"not every process is ready again: {meta.get('status', '')}"]},
    }
    passed = all(not c["problems"] for c in checks.values()) and all(f.get("ok", True) for f in faults)
    report = {"passed": passed, "mode": meta.get("mode"), "speed": meta.get("speed"), "wall_seconds": meta.get("wall_seconds"),
              "window_end_ms": end, "faults": faults, "checks": checks}
    with open(report_path, "w") as out:
        json.dump(report, out, indent=2)
    width = max([len("fault")] + [len(f["name"]) for f in faults])
    print(f"{'fault':<{width}} {'recovered':>10}  {'lost':<8} alerts")
    for f in faults:
        recovered = f"{f['recovered_s']:.1f} s" if f.get("recovered_s") is not None else "never"
        lost = "nothing" if passed else "-"
        raised = f.get("alerts_raised", [])
        expected = [f"{r}:{s}" for r, s in f.get("alerts", [])]
        def meets(alert, wanted):
            return alert == wanted or (wanted.endswith(":") and alert.startswith(wanted))
        marks = [f"{e} {'raised' if any(meets(a, e) for a in raised) else 'MISSING'}" for e in expected]
        others = [a for a in raised if not any(meets(a, e) for e in expected)]
        kinds = sorted({a.split(":", 1)[0] for a in others})
        extra = f"; {len(others)} others ({', '.join(kinds)})" if others else ""
        print(f"{f['name']:<{width}} {recovered:>10}  {lost:<8} {', '.join(marks) or 'none expected'}{extra}")
    c = checks
    print(f"candles: {c['candles']['minutes']} 1m candles of {c['candles']['symbols']} symbols equal the source; "
          f"{c['candles']['derived_buckets']} derived candles equal its aggregation")
    print(f"jobs: {c['jobs']['moments']} moments enqueued ({c['jobs']['entries']} entries), {c['jobs']['analyses']} analyses; "
          f"{c['jobs']['rolled_back_by_restore']} analyses made between the backup and its restore went with the restore")
    print(f"signals: {c['signals']['signals']} ({c['signals']['resolved']} resolved), {c['signals']['events']} events on ap:signals")
    a = c["live_equals_backtest"]
    if "moments" in a:
        print(f"live equals backtest: {a['live_signals']} signals ({a['live_resolved']} resolved) at {a['moments']} moments of "
              f"{a['symbols']} symbols; the backtest at those moments: {a['backtest_signals']}")
        if a["inputs_changed_since"]:
            print(f"  {a['inputs_changed_since']} analyses read windows that changed after they ran (history or a gap filled "
                  f"later), so {a['not_comparable']} live signals were not compared; e.g. {a['changed_examples'][:2]}")
    print(f"dead letters: {c['dead_letters']['entries']}; alerts: {c['alerts']['raised']} raised, {c['alerts']['unresolved']} unresolved")
    for name, check in checks.items():
        for problem in check["problems"]:
            print(f"PROBLEM {name}: {problem}")
    print("drill: passed" if passed else "drill: failed")
    return passed


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    command = argv[1]
    if command == "caught-up":
        return 0 if caught_up(int(argv[2]) if len(argv) > 2 else 0) else 1
    if command == "alert":
        return 0 if alert_raised(argv[2], argv[3], argv[4]) else 1
    if command == "monitor-epoch":
        rows = sql("SELECT epoch FROM lease_fences WHERE name = 'monitor'")
        print(rows[0][0] if rows else 0)
        return 0
    if command == "now":
        print(replay_now())
        return 0
    if command == "analysing":
        return 0 if int(sql("SELECT count(*) FROM analyses")[0][0]) > 0 else 1
    if command == "quiet":
        return 0 if quiet() else 1
    if command == "account":
        return 0 if account(argv[2], argv[3]) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (RuntimeError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as error:
        print(f"drill.py {' '.join(sys.argv[1:2])}: {error}", file=sys.stderr)
        sys.exit(1)
