# shellcheck shell=bash
# deploy/alphapulse drill: the whole suite under fire, then an exact account.
#
# `drill` picks free ports and a private state folder, then runs `_drill` with them in its
# environment, so every helper of deploy/alphapulse (status, the private servers) acts on the
# drill's own stack and never on the operator's. `_drill` boots the suite as `up --replay`
# does, with two ingest and two inference instances, runs the faults one after another with
# the suite under load between them, and hands the account to deploy/lib/drill.py, which reads
# the stores and the source data directly.

DRILL_USAGE="usage: deploy/alphapulse drill [--short] [--report FILE.json]"

# Runs `"$SELF" $1` with its own stack: state folder $2/state, binaries from $3, and ten
# consecutive free ports (stores, replay, services, second instances at +10), so every helper
# of deploy/alphapulse (status, the private servers) acts on that stack and never on the
# operator's. Further arguments are VAR=value assignments for its environment.
run_private_stack() {
    local inner=$1 work=$2 bin=$3 base
    shift 3
    base=$(free_port_block 0 1 2 3 4 5 6 7 16 17) || return 1
    env -u ALPHAPULSE_DATABASE_URL -u ALPHAPULSE_REDIS_URL -u ALPHAPULSE_DATABASE_URL_FILE -u ALPHAPULSE_REDIS_URL_FILE \
        -u ALPHAPULSE_SCALE \
        ALPHAPULSE_STATE_DIR="$work/state" ALPHAPULSE_BIN_DIR="$bin" ALPHAPULSE_SKIP_SETUP=1 \
        ALPHAPULSE_PG_PORT=$base ALPHAPULSE_REDIS_PORT=$((base + 1)) ALPHAPULSE_REPLAY_PORT=$((base + 2)) \
        ALPHAPULSE_PORTS_SYMBOLS=$((base + 3)) ALPHAPULSE_PORTS_SCHEDULER=$((base + 4)) ALPHAPULSE_PORTS_GATEWAY=$((base + 5)) \
        ALPHAPULSE_PORTS_INGEST=$((base + 6)) ALPHAPULSE_PORTS_INFERENCE=$((base + 7)) \
        "$@" "$SELF" "$inner"
}

cmd_drill() {
    local short=0 report="" arg
    while (($#)); do
        case $1 in
        --short) short=1 ;;
        --report) (($# >= 2)) || die "drill: --report needs a file"; report=$2; shift ;;
        --report=*) report=${1#--report=} ;;
        -h | --help) printf '%s\n' "$DRILL_USAGE"; return 0 ;;
        *) die "drill: unknown argument '$1' ($DRILL_USAGE)" ;;
        esac
        shift
    done
    command -v python3 >/dev/null || die "drill needs python3"
    ensure_packages
    local bin=${ALPHAPULSE_BIN_DIR:-}
    if [[ -z $bin ]]; then
        if ((short)); then
            # The binaries the test command has already built.
            bin="$ROOT/.build/debug"
        else
            bin=$DEFAULT_BIN_DIR
            local name
            for name in "${SERVICES[@]}" replay; do
                [[ -x $bin/alphapulse-$name ]] || { ensure_swift; build_release; break; }
            done
        fi
    fi
    for arg in "${SERVICES[@]}" replay; do
        [[ -x $bin/alphapulse-$arg ]] || die "drill: $bin/alphapulse-$arg is not built"
    done
    local work
    # /tmp, not $TMPDIR: the private PostgreSQL's folder inside must be reachable by its user.
    work=$(mktemp -d /tmp/alphapulse-drill.XXXXXX)
    ((EUID == 0)) && chmod 711 -- "$work"
    [[ -z $report ]] || report=$(absolute "$report")
    local rc=0
    run_private_stack _drill "$work" "$bin" \
        DRILL_WORK="$work" DRILL_SHORT=$short DRILL_REPORT="${report:-$work/report.json}" || rc=$?
    if [[ -n ${ALPHAPULSE_DRILL_KEEP:-} ]]; then
        note "drill: kept $work"
    else
        rm -rf -- "$work"
    fi
    return "$rc"
}

# --- inside the drill's environment ----------------------------------------------------------

drill_say() { printf '%(%T)T drill: %s\n' -1 "$*"; }
now_ms() { date +%s%3N; }

# Runs drill.py with the drill's stores in its environment.
drill_py() {
    PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=alphapulse PGDATABASE=alphapulse PGCONNECT_TIMEOUT=5 \
        PGPASSWORD=$(secret_get alphapulse.password) REDISCLI_AUTH=$(secret_get redis.password) \
        DRILL_REDIS_PORT=$REDIS_PORT DRILL_REPLAY="http://127.0.0.1:$REPLAY_PORT" DRILL_ARCHIVE="$ROOT/deploy/replay-data/futures" \
        DRILL_PSQL="$(pg_bindir)/psql" python3 "$ROOT/deploy/lib/drill.py" "$@"
}

drill_redis() { REDISCLI_AUTH=$(secret_get redis.password) redis-cli -p "$REDIS_PORT" "$@"; }

# POSTs JSON $2 to the replay's control path $1.
replay_control() {
    python3 - "http://127.0.0.1:$REPLAY_PORT$1" "${2:-}" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST", headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=10) as answer:
    answer.read()
PY
}

# Waits up to $1 seconds until the command succeeds (polled every half second).
drill_wait() {
    local timeout=$1 deadline
    shift
    deadline=$((EPOCHSECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        ((EPOCHSECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# Every process ready, and every tracked symbol stored the minute that was in progress on the
# replay's clock when the fault was lifted (at boot: within two minutes of the replay).
suite_recovered() { "$SELF" status >/dev/null 2>&1 && drill_py caught-up "${FAULT_LIFT_EXCHANGE:-0}"; }

DRILL_FAULTS=""
DRILL_FAILED=0
FAULT_NAME=""
FAULT_START=0
FAULT_END=0
FAULT_LIFT_EXCHANGE=0

fault_begin() {
    FAULT_NAME=$1
    FAULT_START=$(now_ms)
    FAULT_END=$FAULT_START
    drill_say "fault: $FAULT_NAME"
}
# The fault is over (for faults that last a while: the moment it was lifted).
fault_lifted() {
    FAULT_END=$(now_ms)
    FAULT_LIFT_EXCHANGE=$(drill_py now) || FAULT_LIFT_EXCHANGE=0
}

# Waits for the suite to recover and for the alerts the fault must raise ("rule subject" pairs
# in $@), then records the fault. Recovery is timed from the moment the fault was lifted to
# the moment every process is ready and every symbol has stored the minute then in progress.
fault_settle() {
    local recovered="null" ok=true pair rule subject alerts="" settle_timeout=$((DRILL_SHORT ? 120 : 300))
    if drill_wait "$settle_timeout" suite_recovered; then
        recovered=$(awk -v a="$(now_ms)" -v b="$FAULT_END" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
    else
        ok=false
        DRILL_FAILED=1
        drill_say "the suite did not recover from $FAULT_NAME within ${settle_timeout}s: $("$SELF" status 2>&1 | paste -sd ' ')"
    fi
    for pair in "$@"; do
        rule=${pair%% *}
        subject=${pair#* }
        [[ $subject == "$pair" ]] && subject=""
        alerts+="${alerts:+,}[\"$rule\",\"$subject\"]"
        # The monitor writes an alert raised while PostgreSQL was down once it is back.
        drill_wait 60 drill_py alert "$FAULT_START" "$rule" "$subject" ||
            drill_say "no $rule:$subject alert raised for $FAULT_NAME"
    done
    printf '{"name":"%s","started_ms":%s,"lifted_ms":%s,"settled_ms":%s,"recovered_s":%s,"alerts":[%s],"ok":%s}\n' \
        "$FAULT_NAME" "$FAULT_START" "$FAULT_END" "$(now_ms)" "$recovered" "$alerts" "$ok" >>"$DRILL_FAULTS"
    drill_say "recovered from $FAULT_NAME after ${recovered}s"
}

# kill -9 of process $1. With an alert ("rule subject") in $2 the supervisor is paused until
# the monitor has raised it, so the outage lasts long enough to be noticed; then it restarts
# the process as usual. Every kill raises `crashed` for the instance once it has started again.
kill_process() {
    local name=$1 alert=${2:-} pid sup
    pid=$(own_pid "$name" "$(proc_binary "$name")") || { drill_say "$name is not running"; DRILL_FAILED=1; return 0; }
    fault_begin "kill -9 $name"
    if [[ -n $alert ]]; then
        sup=$(supervisor_pid)
        DRILL_PAUSED=$sup
        kill -STOP "$sup"
    fi
    local epoch
    [[ $name == gateway ]] && epoch=$(drill_py monitor-epoch)
    kill -KILL "$pid"
    if [[ -n $alert ]]; then
        drill_wait 60 drill_py alert "$FAULT_START" "${alert%% *}" "${alert#* }" || drill_say "no ${alert/ /:} alert while $name was down"
        kill -CONT "$sup"
        DRILL_PAUSED=""
    fi
    fault_lifted
    # The gateway runs the monitor: it is back once the new one has taken the monitor lease
    # (after the dead one's lapsed), so the next fault is watched.
    if [[ $name == gateway ]]; then
        monitor_took_over() { (($(drill_py monitor-epoch) > epoch)); }
        drill_wait 120 monitor_took_over || drill_say "no monitor took over after the gateway was killed"
    fi
    local instance
    instance=$(proc_service "$name")/$(proc_instance_id "$name")
    if [[ -n $alert ]]; then fault_settle "$alert" "crashed $instance"; else fault_settle "crashed $instance"; fi
}

DRILL_PAUSED=""
drill_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n $DRILL_PAUSED ]] && kill -CONT "$DRILL_PAUSED" 2>/dev/null
    drill_say "taking the suite down"
    "$SELF" down >"$DRILL_WORK/down.log" 2>&1 || warn "drill: down failed; see $DRILL_WORK/down.log"
    exit "$rc"
}

cmd_drill_inside() {
    local started=$EPOCHSECONDS short=$DRILL_SHORT speed outage drop_every drops rest_seconds stall restore_after
    DRILL_FAULTS="$DRILL_WORK/faults.jsonl"
    : >"$DRILL_FAULTS"
    if ((short)); then
        speed=10 outage=5 drop_every=10 drops=3 rest_seconds=8 stall=40 restore_after=20
        export ALPHAPULSE_SYMBOLS_FUTURES=7 ALPHAPULSE_SYMBOLS_SPOT=5
    else
        speed=10 outage=30 drop_every=30 drops=4 rest_seconds=30 stall=120 restore_after=120
    fi
    # The replay on the bundled archive (and synthetic spot markets) at $speed× real time.
    export ALPHAPULSE_REPLAY_ARGS="--speed $speed" ALPHAPULSE_READY_TIMEOUT=180 ALPHAPULSE_LOG_LEVEL=info
    # Short silences and TTLs, so each fault is noticed, alerted and recovered within seconds.
    export ALPHAPULSE_HEARTBEAT_INTERVAL_SECONDS=1 ALPHAPULSE_HEARTBEAT_TTL_SECONDS=3 ALPHAPULSE_METRICS_INTERVAL_SECONDS=1
    export ALPHAPULSE_ALERTS_WINDOW_SECONDS=15 ALPHAPULSE_ALERTS_HEARTBEAT_MISSING_FOR_SECONDS=2
    export ALPHAPULSE_ALERTS_STORE_UNREACHABLE_FOR_SECONDS=0 ALPHAPULSE_ALERTS_CONNECTION_DOWN_FOR_SECONDS=0
    export ALPHAPULSE_ALERTS_STALE_DATA_RAISE_SECONDS=20 ALPHAPULSE_ALERTS_STALE_DATA_CLEAR_SECONDS=10
    export ALPHAPULSE_ALERTS_BINANCE_UNAVAILABLE_RAISE=1
    # A dropped connection stays down 2–4 s (the jittered first wait), long enough for its
    # heartbeat and the monitor (1 s each) to see it: the drops raise connection_down.
    export ALPHAPULSE_INGEST_RECONNECT_MIN_SECONDS=4
    export ALPHAPULSE_INGEST_LEASE_TTL_SECONDS=5 ALPHAPULSE_INGEST_CLAIM_IDLE_SECONDS=10 ALPHAPULSE_INGEST_CONSISTENCY_INTERVAL_SECONDS=10
    export ALPHAPULSE_SCHEDULER_LEASE_TTL_SECONDS=5 ALPHAPULSE_INFERENCE_CLAIM_IDLE_SECONDS=10 ALPHAPULSE_INFERENCE_JOB_GRACE_SECONDS=3600
    export ALPHAPULSE_ANALYSIS_MODE=both ALPHAPULSE_ANALYSIS_CLOSE_INTERVALS=5m
    # A lenient consensus and short-lived signals, so signals open and resolve within the drill
    # and their publication and outcomes are checked too.
    export ALPHAPULSE_CONSENSUS_MIN_HEADS=2 ALPHAPULSE_CONSENSUS_PROBABILITY_FLOOR=0.55 ALPHAPULSE_CONSENSUS_CONFIDENCE_FLOOR=0.3
    export ALPHAPULSE_SIGNALS_ATR_INTERVAL=1m ALPHAPULSE_SIGNALS_STOP_ATR_MULTIPLE=1 ALPHAPULSE_SIGNALS_TARGET1_R=1
    export ALPHAPULSE_SIGNALS_EXPIRY_MINUTES=30 ALPHAPULSE_SIGNALS_COOLDOWN_MINUTES=10
    trap drill_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    drill_say "booting the suite (replay at ${speed}×, 2 ingest and 2 inference instances; state $STATE)"
    if ! "$SELF" up --replay --scale ingest=2,inference=2 >"$DRILL_WORK/up.log" 2>&1; then
        tail -n 40 "$DRILL_WORK/up.log"
        drill_say "the suite did not boot"
        return 1
    fi
    drill_wait 180 suite_recovered || { drill_say "the suite never caught up: $(drill_py caught-up 2>&1)"; return 1; }
    # Under load: analyses being made before the first fault.
    drill_wait 180 drill_py analysing || { drill_say "no analysis was made"; return 1; }
    drill_say "suite up after $((EPOCHSECONDS - started))s; faults follow"

    kill_process symbols "heartbeat_missing symbols"
    kill_process ingest
    kill_process scheduler "heartbeat_missing scheduler"
    kill_process inference
    kill_process gateway

    fault_begin "redis restart"
    redis_private_stop >/dev/null
    sleep "$outage"
    redis_private_start >/dev/null
    fault_lifted
    fault_settle "store_unreachable redis"

    fault_begin "postgresql restart"
    pg_private_stop >/dev/null
    sleep "$outage"
    pg_private_start >/dev/null
    fault_lifted
    fault_settle "store_unreachable database"

    fault_begin "websocket drops every ${drop_every}s"
    replay_control /_replay/drop-every "{\"seconds\":$drop_every}"
    sleep $((drop_every * drops + 1))
    replay_control /_replay/drop-every '{"seconds":0}'
    fault_lifted
    fault_settle "connection_down"

    local status
    for status in 503 429 418; do
        fault_begin "binance $status"
        replay_control /_replay/rest-fault "{\"status\":$status,\"seconds\":$rest_seconds}"
        # Make REST callers call: a symbols refresh, and reconnect backfills.
        drill_redis SET ap:symbols:refresh 1 >/dev/null
        replay_control /_replay/drop-connections
        sleep $((rest_seconds + 1))
        replay_control /_replay/rest-fault/clear
        replay_control /_replay/reset-weights
        fault_lifted
        case $status in
        429 | 418) fault_settle "binance_limited $status" ;;
        *) fault_settle "binance_unavailable 5xx" ;;
        esac
    done

    fault_begin "every stream stalled ${stall}s"
    replay_control /_replay/stall "{\"seconds\":$stall}"
    sleep "$stall"
    fault_lifted
    fault_settle "stale_data"

    fault_begin "poison entries"
    # An entry that does not decode, and one that decodes but cannot be stored (NaN, unaligned).
    drill_redis XADD ap:candles '*' junk 1 >/dev/null
    drill_redis XADD ap:candles '*' m futures s LINKUSDT t 1 T 59999 o nan h 1 l 1 c 1 v 1 q 1 n 1 V 1 Q 1 src ws >/dev/null
    drill_redis XADD ap:jobs '*' junk 1 >/dev/null
    fault_lifted
    fault_settle "dead_letters candles" "dead_letters jobs"

    # A backup taken mid-run (once every alert is resolved, so the backup holds none open),
    # restored after the suite has run on: the candles it lacks are backfilled; the analyses
    # and signals made in between are gone with it, and their ids are never issued again.
    drill_wait 180 drill_py quiet || drill_say "not quiet before the backup: $(drill_py quiet 2>&1)"
    fault_begin "postgresql restored from a backup"
    # Jobs enqueued before the quiet check (a few seconds ago at most) were analysed before it,
    # so the backup holds their analyses.
    RESTORE_FROM=$(($(now_ms) - 5000))
    "$SELF" backup --output "$DRILL_WORK/mid-run.dump" >"$DRILL_WORK/backup.log" 2>&1 || { drill_say "backup failed: $(tail -3 "$DRILL_WORK/backup.log")"; DRILL_FAILED=1; }
    sleep "$restore_after"
    "$SELF" restore "$DRILL_WORK/mid-run.dump" --clean >"$DRILL_WORK/restore.log" 2>&1 || { drill_say "restore failed: $(tail -3 "$DRILL_WORK/restore.log")"; DRILL_FAILED=1; }
    RESTORE_UNTIL=$(now_ms)
    fault_lifted
    fault_settle

    # The account: nothing waiting, every alert resolved, every process ready.
    drill_say "faults done; waiting for the suite to settle"
    drill_wait 180 drill_py quiet || drill_say "not quiet: $(drill_py quiet 2>&1)"
    drill_wait 120 suite_recovered
    # Jobs up to here were all delivered and acknowledged; later ones may still be in flight.
    local cutoff
    cutoff=$(drill_py quiet 2>/dev/null | tail -n 1) || cutoff=""
    # Live equals backtest: the backtest at exactly the moments in `analyses`, on the stored
    # candles (equal to the source, as the account checks), against the `signals` table.
    drill_say "live equals backtest (alphapulse-inference audit)"
    ALPHAPULSE_DATABASE_URL_FILE="$STATE/secrets/database.url" "$BIN_DIR/alphapulse-inference" audit \
        --report "$DRILL_WORK/audit.json" >"$DRILL_WORK/audit.log" 2>&1 || true
    local ready=false status_text
    status_text=$("$SELF" status 2>&1 | paste -sd ';') && ready=true
    local meta
    meta=$(printf '{"kind":"meta","mode":"%s","speed":%s,"wall_seconds":%s,"ready":%s,"status":"%s","jobs_cutoff":"%s","rolled_back":[%s,%s],"audit":"%s","injected":{"ap:candles:dead":2,"ap:jobs:dead":1}}' \
        "$( ((short)) && echo short || echo full)" "$speed" $((EPOCHSECONDS - started)) "$ready" "${status_text//\"/\'}" "$cutoff" "${RESTORE_FROM:-0}" "${RESTORE_UNTIL:-0}" "$DRILL_WORK/audit.json")
    { printf '%s\n' "$meta"; cat "$DRILL_FAULTS"; } >"$DRILL_WORK/account.jsonl"
    drill_say "the account (independent of the services' own counters)"
    local rc=0
    drill_py account "$DRILL_WORK/account.jsonl" "$DRILL_REPORT" || rc=1
    ((DRILL_FAILED)) && rc=1
    drill_say "wall time $(format_duration $((EPOCHSECONDS - started))); report $DRILL_REPORT"
    return "$rc"
}
