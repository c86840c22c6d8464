# shellcheck shell=bash
# deploy/alphapulse bench suite: the whole suite end to end, at three loads.
#
# Each load runs on a stack of its own (run_private_stack: a private state folder and free
# ports) with the release binaries and the replay at real time (--speed 1): a cold `up`
# (empty stores), the backfill left to finish, a measurement window, then `down` and a warm
# `up` on the stores it left. deploy/lib/bench_suite.py measures from outside the services:
# /proc for CPU and RSS, PostgreSQL for analyses and growth, WebSocket clients of its own on
# the replay (closed-kline frames) and on the gateway (signals).

BENCH_SUITE_USAGE="usage: deploy/alphapulse bench suite [--load original|wide|max|all] [--minutes N] [--max-steps N,N,…] [--lenient-signals] [--report FILE.json]"

cmd_bench_suite() {
    local loads="original wide max" minutes=5 steps="4000,6000,8000,10000" report="" load lenient=0
    while (($#)); do
        case $1 in
        --load) (($# >= 2)) || die "bench suite: --load needs a value"; loads=$2; shift ;;
        --minutes) (($# >= 2)) || die "bench suite: --minutes needs a value"; minutes=$2; shift ;;
        --max-steps) (($# >= 2)) || die "bench suite: --max-steps needs a value"; steps=$2; shift ;;
        --report) (($# >= 2)) || die "bench suite: --report needs a file"; report=$(absolute "$2"); shift ;;
        --lenient-signals) lenient=1 ;;
        -h | --help) printf '%s\n' "$BENCH_SUITE_USAGE"; return 0 ;;
        *) die "bench suite: unknown argument '$1' ($BENCH_SUITE_USAGE)" ;;
        esac
        shift
    done
    [[ $loads == all ]] && loads="original wide max"
    for load in $loads; do
        [[ $load == original || $load == wide || $load == max ]] || die "bench suite: unknown load '$load' ($BENCH_SUITE_USAGE)"
    done
    require_uint "bench suite --minutes" "$minutes"
    ((minutes >= 2)) || die "bench suite: --minutes must be at least 2"
    [[ $steps =~ ^[0-9]+(,[0-9]+)*$ ]] || die "bench suite: --max-steps takes symbol counts, e.g. 2000,3000"
    local total
    for total in ${steps//,/ }; do
        # At most 1,000 futures a step (see the max load), and symbols.spot is at most 10,000.
        ((total >= 2 && total <= 11000)) || die "bench suite: a max step is 2 to 11,000 symbols (at most 1,000 futures and 10,000 spot), not $total"
    done
    command -v python3 >/dev/null || die "bench suite needs python3"
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    ensure_packages
    local bin=${ALPHAPULSE_BIN_DIR:-$DEFAULT_BIN_DIR} name
    # Release binaries (incremental); ALPHAPULSE_BIN_DIR names binaries to use as they are.
    if [[ -z ${ALPHAPULSE_BIN_DIR:-} ]]; then
        ensure_swift
        build_release
    fi
    for name in "${SERVICES[@]}" replay; do
        [[ -x $bin/alphapulse-$name ]] || die "bench suite: $bin/alphapulse-$name is not built"
    done
    local work results=() rc=0
    work=$(mktemp -d /tmp/alphapulse-bench.XXXXXX)
    ((EUID == 0)) && chmod 711 -- "$work"
    # One load (one max step: $3 symbols) in its own folder under $work; its result, if any,
    # is added to results.
    run_load() {
        local step="$work/$1${2:+-$2}"
        mkdir -p "$step"
        ((EUID == 0)) && chmod 711 -- "$step"
        run_private_stack _bench_suite "$step" "$bin" BENCH_WORK="$step" BENCH_LOAD="$1" ${2:+BENCH_TOTAL="$2"} \
            BENCH_MINUTES="$minutes" BENCH_LENIENT=$lenient || rc=1
        [[ -s $step/result.json ]] || return 1
        results+=("$step/result.json")
    }
    for load in $loads; do
        if [[ $load == max ]]; then
            # The most symbols that still get every symbol analysed at every 1m close: the
            # steps in order, up to the first that does not hold.
            for total in ${steps//,/ }; do
                run_load max "$total" || break
                python3 "$ROOT/deploy/lib/bench_suite.py" holds "${results[-1]}" || break
            done
        else
            run_load "$load" || true
        fi
    done
    if ((${#results[@]})); then
        python3 "$ROOT/deploy/lib/bench_suite.py" table "${results[@]}"
        if [[ -n $report ]]; then
            python3 -c 'import json, sys; json.dump([json.load(open(p)) for p in sys.argv[2:]], open(sys.argv[1], "w"), indent=1)' \
                "$report" "${results[@]}"
            note "bench suite: report $report"
        fi
    fi
    if [[ -n ${ALPHAPULSE_BENCH_KEEP:-} ]]; then
        note "bench suite: kept $work"
    else
        rm -rf -- "$work"
    fi
    return "$rc"
}

# --- inside one load's stack ----------------------------------------------------------------

bench_say() { printf '%(%T)T bench suite [%s]: %s\n' -1 "$BENCH_LOAD${BENCH_TOTAL:+ $BENCH_TOTAL}" "$*"; }

bench_py() {
    PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=alphapulse PGDATABASE=alphapulse PGCONNECT_TIMEOUT=5 \
        PGPASSWORD=$(secret_get alphapulse.password) BENCH_PSQL="$(pg_bindir)/psql" \
        BENCH_REPLAY_PORT=$REPLAY_PORT BENCH_GATEWAY_PORT=$(proc_port gateway) \
        python3 "$ROOT/deploy/lib/bench_suite.py" "$@"
}

# Times `up --replay` until every process is ready: prints seconds (one decimal).
bench_up() {
    local start end
    start=$(date +%s%3N)
    if ! "$SELF" up --replay >>"$BENCH_WORK/up.log" 2>&1; then
        tail -n 30 "$BENCH_WORK/up.log" >&2
        return 1
    fi
    until "$SELF" status >/dev/null 2>&1; do
        (($(date +%s%3N) - start < 900000)) || return 1
        sleep 0.2
    done
    end=$(date +%s%3N)
    awk -v a="$end" -v b="$start" 'BEGIN { printf "%.1f", (a - b) / 1000 }'
}

# Backfill jobs queued or being worked, over every ingest instance's heartbeat (an instance
# without the field counts as one pending).
bench_backfill_pending() {
    local key value total=0
    for key in $(drill_redis --scan --pattern "${ALPHAPULSE_REDIS_PREFIX:-ap:}health:ingest:*"); do
        value=$(drill_redis HGET "$key" backfill_pending)
        [[ $value =~ ^[0-9]+$ ]] || value=1
        total=$((total + value))
    done
    printf '%s\n' "$total"
}

# "kind name pid" of every process of the stack: the services, the supervisor, the replay and
# the stores.
bench_procs() {
    local name pid
    for name in $(all_proc_names); do
        pid=$(own_pid "$name" "$(proc_binary "$name")") || continue
        if [[ $name == replay ]]; then printf 'replay replay %s\n' "$pid"; else printf 'service %s %s\n' "$name" "$pid"; fi
    done
    pid=$(supervisor_pid) && printf 'supervisor supervisor %s\n' "$pid"
    pid=$(pg_running_pid "$(pg_private_home)/data") && printf 'store postgresql %s\n' "$pid"
    pid=$(get_uint_state redis.pid) && printf 'store redis %s\n' "$pid"
}

bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    "$SELF" down >>"$BENCH_WORK/down.log" 2>&1 || warn "bench suite: down failed; see $BENCH_WORK/down.log"
    exit "$rc"
}

cmd_bench_suite_inside() {
    local futures spot title replay_args
    case $BENCH_LOAD in
    original)
        futures=50 spot=50 title="100 symbols (50 futures, 50 spot) at Binance's real rates, default settings"
        # The 7 real futures of the bundled archive rank among synthetic ones.
        replay_args="--speed 1 --synthetic-futures 50 --synthetic-spot 60"
        ;;
    wide)
        futures=1000 spot=1000 title="1,000 futures and 1,000 spot symbols at real rates, default settings"
        replay_args="--speed 1 --synthetic-futures 1000 --synthetic-spot 1000"
        ;;
    max)
        # Half futures, at most 1,000: beyond that Binance's futures weight (2,400 a minute per
        # IP, our budget 1,900) binds. The derivatives poll spends 0.4 a minute per futures
        # symbol and a first backfill 13, so 2,000 futures take about 23 minutes to backfill and
        # 3,000 about an hour; spot has 2.5 times the budget and 10 a symbol.
        futures=$((BENCH_TOTAL / 2 < 1000 ? BENCH_TOTAL / 2 : 1000))
        spot=$((BENCH_TOTAL - futures))
        title="$BENCH_TOTAL symbols ($futures futures, $spot spot), every symbol analysed at every 1m close (analysis.mode close, 1m)"
        # The replay's weight limits are lifted (our own budget still keeps below Binance's);
        # the steady state measured after the first backfill does not depend on them.
        replay_args="--speed 1 --synthetic-futures $futures --synthetic-spot $spot --futures-weight-limit 1000000 --spot-weight-limit 1000000"
        export ALPHAPULSE_ANALYSIS_MODE=close ALPHAPULSE_ANALYSIS_CLOSE_INTERVALS=1m
        # The inference's window cache sized to every symbol (256 KiB each; full windows take
        # about 218 KB), as an operator would: the default 256 MiB holds about 1,200 symbols, and
        # an evicted symbol's windows are read whole every minute.
        export ALPHAPULSE_INFERENCE_CACHE_MAX_BYTES=$((BENCH_TOTAL * 262144))
        ;;
    esac
    export ALPHAPULSE_SYMBOLS_FUTURES=$futures ALPHAPULSE_SYMBOLS_SPOT=$spot ALPHAPULSE_REPLAY_ARGS="$replay_args"
    # The observer subscribes without a key (loopback only); commit timestamps date analyses.
    export ALPHAPULSE_GATEWAY_AUTH=off ALPHAPULSE_READY_TIMEOUT=600 ALPHAPULSE_LOG_LEVEL=info
    export ALPHAPULSE_PG_OPTIONS="-c track_commit_timestamp=on"
    if ((BENCH_LENIENT)); then
        # The drill's lenient consensus: the default one finds no signal on synthetic markets
        # within a window, so the signal leg of the latency is measured with this one.
        export ALPHAPULSE_CONSENSUS_MIN_HEADS=2 ALPHAPULSE_CONSENSUS_PROBABILITY_FLOOR=0.55 ALPHAPULSE_CONSENSUS_CONFIDENCE_FLOOR=0.3
        export ALPHAPULSE_SIGNALS_ATR_INTERVAL=1m ALPHAPULSE_SIGNALS_STOP_ATR_MULTIPLE=1 ALPHAPULSE_SIGNALS_TARGET1_R=1
        export ALPHAPULSE_SIGNALS_EXPIRY_MINUTES=5 ALPHAPULSE_SIGNALS_COOLDOWN_MINUTES=1
        title+=", lenient consensus (2 heads, floors 0.55/0.3) and short-lived signals"
    fi
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    bench_say "$title"
    bench_say "cold up (empty stores; state $STATE)"
    local cold warm boot settled_s start=$EPOCHSECONDS
    cold=$(bench_up) || { bench_say "the suite did not boot"; return 1; }
    boot=$(bench_py now)
    bench_say "ready after ${cold}s; waiting for the backfill to finish"
    # Settled: every ingest's backfill queue empty, every symbol backfilled and current, and the
    # stored history unchanged since the previous look (10 s before: what was fetched is stored).
    local deadline=$((EPOCHSECONDS + 3600)) pending
    while :; do
        pending=$(bench_backfill_pending)
        if ((pending == 0)) && bench_py settled "$boot" >>"$BENCH_WORK/settled.log" 2>&1; then break; fi
        ((pending == 0)) || echo "backfill jobs pending: $pending" >>"$BENCH_WORK/settled.log"
        ((EPOCHSECONDS < deadline)) || { bench_say "not settled after an hour: $(tail -n 1 "$BENCH_WORK/settled.log")"; return 1; }
        sleep 10
    done
    settled_s=$((EPOCHSECONDS - start))
    bench_say "settled after ${settled_s}s ($(tail -n 1 "$BENCH_WORK/settled.log")); measuring for $BENCH_MINUTES minutes"
    bench_procs >"$BENCH_WORK/procs"
    bench_py measure $((BENCH_MINUTES * 60)) "$BENCH_WORK/procs" "$BENCH_WORK/window.json" || { bench_say "the measurement failed"; return 1; }
    bench_say "warm restart"
    "$SELF" down >>"$BENCH_WORK/down.log" 2>&1 || { bench_say "down failed"; return 1; }
    warm=$(bench_up) || { bench_say "the warm boot failed"; return 1; }
    bench_say "ready after ${warm}s"
    python3 - "$BENCH_WORK/window.json" "$BENCH_WORK/result.json" "$BENCH_LOAD${BENCH_TOTAL:+-$BENCH_TOTAL}" "$title" "$cold" "$warm" "$settled_s" <<'PY'
import json, sys
window, out, load, title, cold, warm, settled = sys.argv[1:]
json.dump({"load": load, "title": title, "cold_ready_s": float(cold), "warm_ready_s": float(warm),
           "settled_s": int(settled), "window": json.load(open(window))}, open(out, "w"), indent=1)
PY
}
