# shellcheck shell=bash
# The background supervisor of deploy/alphapulse (`deploy/alphapulse _supervise`).
#
# Started by `up` in its own session with stdout on $LOGS/supervisor.log. It boots the
# processes in dependency order, each after the previous one is ready, then keeps them
# running: a process that exits is restarted after a backoff of 1 s doubling up to 60 s,
# reset once it has stayed up RESTART_RESET seconds. SIGTERM/SIGINT stops everything in
# reverse boot order. Being the parent of every service, it notices a crash within half a
# second.
#
# State it publishes in $RUN for the other commands:
#   supervisor.pid, supervisor.started, mode (live|replay), boot (booting|ready|failed: ...),
#   order (processes in boot order), <name>.pid, <name>.started, <name>.restarts,
#   <name>.port, <name>.next (epoch of a pending restart), <name>.skipped (reason).

BACKOFF_MIN=1
BACKOFF_MAX=60
# Healing: a service whose /healthz keeps failing this long is restarted (a hung process);
# checked every LIVENESS_INTERVAL seconds.
LIVENESS_TIMEOUT=${ALPHAPULSE_LIVENESS_TIMEOUT:-60}
LIVENESS_INTERVAL=${ALPHAPULSE_LIVENESS_INTERVAL:-5}
# A process that crashes while booting is started again this many times, with a backoff of
# 1 s doubling, before the boot fails.
BOOT_RETRIES=${ALPHAPULSE_BOOT_RETRIES:-5}
# Logs are rotated past this size, keeping LOG_KEEP older ones (<name>.log.1 is the newest);
# checked every 10 s.
LOG_MAX_BYTES=${ALPHAPULSE_LOG_MAX_BYTES:-52428800}
LOG_KEEP=${ALPHAPULSE_LOG_KEEP:-3}

declare -A SUP_PID=() SUP_STARTED=() SUP_BACKOFF=() SUP_NEXT=() SUP_RESTARTS=() SUP_UNHEALTHY=() SUP_PORT=()
SUP_PROCS=()
SUP_STOPPING=0

sup_log() { printf '%(%F %T)T %s\n' -1 "$*"; }

# Port variable name of a service: ALPHAPULSE_PORTS_SYMBOLS, ...
port_var() { printf 'ALPHAPULSE_PORTS_%s' "${1^^}"; }

# A process is a service's first instance (`ingest`) or a further one (`ingest@2`, with
# `up --scale ingest=2`): its service and its instance number.
proc_service() { printf '%s' "${1%@*}"; }
proc_index() { if [[ $1 == *@* ]]; then printf '%s' "${1#*@}"; else printf 1; fi; }

# Instance N of a service listens on the service's port + 10 × (N - 1).
proc_port() {
    local var service
    if [[ $1 == replay ]]; then
        printf '%s' "$REPLAY_PORT"
    else
        service=$(proc_service "$1")
        var=$(port_var "$service")
        printf '%s' $((${!var:-${DEFAULT_PORT[$service]}} + 10 * ($(proc_index "$1") - 1)))
    fi
}

# The instance id of process $1, stable across restarts (heartbeats, restart counts and
# consumer names follow it): <host>-<service>[-N].
proc_instance_id() {
    local id=${1/@/-}
    printf '%s-%s' "${ALPHAPULSE_INSTANCE_HOST:-$(hostname -s 2>/dev/null || echo host)}" "$id"
}

# Parses a --scale spec (`ingest=2,inference=3`) into SCALE[service]=count; only ingest and
# inference scale (one scheduler and one monitor lead by lease anyway).
declare -A SCALE=()
parse_scale() {
    local spec=$1 part service count
    SCALE=()
    [[ -z $spec ]] && return 0
    for part in ${spec//,/ }; do
        [[ $part =~ ^([a-z]+)=([0-9]+)$ ]] || die "--scale: '$part' is not SERVICE=COUNT"
        service=${BASH_REMATCH[1]}
        count=${BASH_REMATCH[2]}
        [[ $service == ingest || $service == inference ]] || die "--scale: only ingest and inference scale, not '$service'"
        ((count >= 1 && count <= 9)) || die "--scale: $service=$count: between 1 and 9 instances"
        SCALE[$service]=$count
    done
}

proc_ready_path() {
    if [[ $1 == replay ]]; then printf '/api/v3/ping'; else printf '/readyz'; fi
}

# True when binary $1 lists a `serve` subcommand in its --help. (`X serve --help` is no test:
# ArgumentParser answers the root's --help with exit 0 even when `serve` does not exist.)
has_serve_mode() {
    local help
    [[ -x $1 ]] || return 1
    # Captured first: `… | grep -q` under pipefail fails at random when grep exits before the
    # writer has finished (the writer dies of SIGPIPE).
    help=$(timeout 30 "$1" --help 2>/dev/null </dev/null) || return 1
    grep -qE '^[[:space:]]+serve([[:space:]]|$)' <<<"$help"
}

# True when service $1 can be booted: its binary exists and has a serve mode.
service_bootable() { has_serve_mode "$BIN_DIR/alphapulse-$1"; }

replay_available() { has_serve_mode "$BIN_DIR/alphapulse-replay"; }

# Launches process $1 in the background, logging to $LOGS/$1.log.
sup_start() {
    local name=$1 log="$LOGS/$1.log" pid service
    service=$(proc_service "$name")
    local -a cmd=(env "$(port_var "$service")=$(proc_port "$name")" "ALPHAPULSE_INSTANCE_ID=$(proc_instance_id "$name")"
        "$BIN_DIR/alphapulse-$service" serve)
    if [[ $name == replay ]]; then
        # The bundled real futures data, plus synthetic spot markets (no real spot archive is
        # bundled); ALPHAPULSE_REPLAY_ARGS adds options, e.g. "--speed 60".
        local -a extra=()
        read -r -a extra <<<"${ALPHAPULSE_REPLAY_ARGS:-}"
        cmd=("$BIN_DIR/alphapulse-replay" serve --port "$REPLAY_PORT" --futures "$ROOT/deploy/replay-data/futures"
            --start 2026-02-02T00:00:00Z --synthetic-spot 60 --seed 1 "${extra[@]}")
    fi
    printf '\n==== %(%F %T)T starting %s ====\n' -1 "${cmd[*]}" >>"$log" 2>/dev/null
    "${cmd[@]}" >>"$log" 2>&1 </dev/null &
    pid=$!
    SUP_PID[$name]=$pid
    SUP_STARTED[$name]=$EPOCHSECONDS
    SUP_NEXT[$name]=0
    SUP_UNHEALTHY[$name]=""
    put_pid "$name" "$pid"
    put_state "$name.started" "$EPOCHSECONDS"
    rm -f "$RUN/$name.next"
}

# Liveness of the running services: one whose /healthz has not answered 200 for
# LIVENESS_TIMEOUT seconds (a deadlocked or stalled process: its watched work loops stopped)
# is stopped (TERM, then KILL), and the exit handling restarts it with the usual backoff.
sup_check_liveness() {
    local name pid status since
    for name in "${SUP_PROCS[@]}"; do
        [[ $name == replay ]] && continue
        pid=${SUP_PID[$name]}
        [[ -n $pid ]] && proc_alive "$pid" || continue
        http_status_get "${SUP_PORT[$name]}" /healthz
        status=$HTTP_STATUS
        if [[ $status == 200 ]]; then
            SUP_UNHEALTHY[$name]=""
            continue
        fi
        since=${SUP_UNHEALTHY[$name]:-}
        if [[ -z $since ]]; then
            SUP_UNHEALTHY[$name]=$EPOCHSECONDS
            sup_log "$name (pid $pid): /healthz answered ${status:-nothing}; restarting it if that lasts ${LIVENESS_TIMEOUT}s"
        elif ((EPOCHSECONDS - since >= LIVENESS_TIMEOUT)); then
            sup_log "$name (pid $pid) is not alive: /healthz has failed for $((EPOCHSECONDS - since))s; stopping it to restart"
            stop_pid "$pid" "$name" "$STOP_TIMEOUT" || true
            SUP_UNHEALTHY[$name]=""
        fi
    done
}

# Rotates every log in $LOGS above LOG_MAX_BYTES by copy and truncate (the processes keep
# appending to the same open file): <name>.log.1 … <name>.log.$LOG_KEEP.
sup_rotate_logs() {
    local log k
    # One find for every log (not a stat each): regular files only, so not the links.
    while IFS= read -r -d '' log; do
        for ((k = LOG_KEEP - 1; k >= 1; k--)); do
            [[ -f $log.$k ]] && mv -f -- "$log.$k" "$log.$((k + 1))" 2>/dev/null
        done
        if cp -- "$log" "$log.1" 2>/dev/null; then
            : >"$log" 2>/dev/null
            sup_log "rotated $(basename -- "$log") (over $LOG_MAX_BYTES bytes)"
        else
            sup_log "warning: could not rotate $log"
        fi
    done < <(find "$LOGS" -maxdepth 1 -type f -name '*.log' -size +"${LOG_MAX_BYTES}c" -print0 2>/dev/null)
}

# Waits until process $1 answers 200 on its readiness path. Fails (with a message on stdout)
# when it exits, times out, or the supervisor is asked to stop.
sup_wait_ready() {
    local name=$1 pid=${SUP_PID[$1]} port path deadline rc
    port=$(proc_port "$name")
    path=$(proc_ready_path "$name")
    deadline=$((EPOCHSECONDS + READY_TIMEOUT))
    while :; do
        if ((SUP_STOPPING)); then
            SUP_FAILURE="interrupted while waiting for $name"
            return 1
        fi
        if ! proc_alive "$pid"; then
            rc=0
            wait "$pid" 2>/dev/null || rc=$?
            SUP_FAILURE="$name exited during startup (exit status $rc); see $LOGS/$name.log"
            return 1
        fi
        http_status_get "$port" "$path"
        [[ $HTTP_STATUS == 200 ]] && return 0
        if ((EPOCHSECONDS >= deadline)); then
            SUP_FAILURE="$name did not become ready (GET http://127.0.0.1:$port$path != 200) within ${READY_TIMEOUT}s; see $LOGS/$name.log"
            return 1
        fi
        sleep 0.2
    done
}

# Stops every started process in reverse boot order.
sup_stop_all() {
    local i name pid
    for ((i = ${#SUP_PROCS[@]} - 1; i >= 0; i--)); do
        name=${SUP_PROCS[i]}
        pid=${SUP_PID[$name]:-}
        [[ -n $pid ]] || continue
        if proc_alive "$pid"; then
            sup_log "stopping $name (pid $pid)"
            if stop_pid "$pid" "$name" "$STOP_TIMEOUT"; then
                sup_log "$name stopped"
            fi
        else
            wait "$pid" 2>/dev/null || true
        fi
        SUP_PID[$name]=""
        rm -f "$RUN/$name.pid" "$RUN/$name.since" "$RUN/$name.next"
    done
}

sup_exit() {
    rm -f "$RUN/supervisor.pid"
    sup_log "supervisor stopped"
    exit "$1"
}

sup_boot_failed() {
    sup_log "boot failed: $1"
    put_state boot "failed: $1"
    sup_stop_all
    sup_exit 1
}

# Handles an exit of process $1 noticed by the monitor loop: schedules its restart.
sup_on_exit() {
    local name=$1 pid=${SUP_PID[$1]} rc=0 lived delay
    wait "$pid" 2>/dev/null || rc=$?
    lived=$((EPOCHSECONDS - SUP_STARTED[$name]))
    ((lived >= RESTART_RESET)) && SUP_BACKOFF[$name]=$BACKOFF_MIN
    delay=${SUP_BACKOFF[$name]:-$BACKOFF_MIN}
    SUP_NEXT[$name]=$((EPOCHSECONDS + delay))
    SUP_BACKOFF[$name]=$((delay * 2 > BACKOFF_MAX ? BACKOFF_MAX : delay * 2))
    SUP_PID[$name]=""
    rm -f "$RUN/$name.pid" "$RUN/$name.since"
    put_state "$name.next" "${SUP_NEXT[$name]}"
    if ((rc > 128)); then
        sup_log "$name (pid $pid) was killed by signal $((rc - 128)) after ${lived}s; restarting in ${delay}s"
    else
        sup_log "$name (pid $pid) exited with status $rc after ${lived}s; restarting in ${delay}s"
    fi
}

cmd_supervise() {
    local replay=0 name index attempt delay last_liveness=$EPOCHSECONDS last_rotation=$EPOCHSECONDS
    while (($#)); do
        case $1 in
        --replay) replay=1 ;;
        --scale) parse_scale "$2"; shift ;;
        esac
        shift
    done
    # A daemon: a failed command (a state file on a full disk) is handled where it matters,
    # never a reason to exit and leave the services unsupervised (the review's L5).
    set +e
    cd "$ROOT" || exit 1
    trap 'SUP_STOPPING=1' TERM INT
    trap '' HUP PIPE
    put_pid supervisor "$$"
    put_state supervisor.started "$EPOCHSECONDS"
    put_state boot booting
    sup_log "supervisor started (pid $$, binaries in $BIN_DIR)"

    if ((replay)); then
        replay_available || sup_boot_failed "replay mode is not available in this build (alphapulse-replay is not built)"
        SUP_PROCS+=(replay)
        put_state mode replay
        [[ -d $ROOT/deploy/replay-data/futures ]] ||
            sup_log "warning: replay dataset $ROOT/deploy/replay-data/futures does not exist"
    else
        put_state mode live
    fi
    for name in "${SERVICES[@]}"; do
        if service_bootable "$name"; then
            SUP_PROCS+=("$name")
            for ((index = 2; index <= ${SCALE[$name]:-1}; index++)); do SUP_PROCS+=("$name@$index"); done
        else
            put_state "$name.skipped" "not built yet"
            sup_log "$name: not built yet (no $BIN_DIR/alphapulse-$name or no serve mode); skipped"
        fi
    done
    if ((${#SUP_PROCS[@]} == replay)); then
        # Live mode has nothing to run; replay mode still serves Binance-compatible data.
        ((replay)) || sup_boot_failed "no service is built yet (looked in $BIN_DIR)"
        sup_log "no AlphaPulse service is built yet: only the replay server runs"
    fi
    put_state order "${SUP_PROCS[*]}"

    for name in "${SUP_PROCS[@]}"; do
        SUP_PORT[$name]=$(proc_port "$name")
    done
    # The supervisor's tick: a read that times out on a pipe nobody writes to, where a
    # `sleep` would fork a process every half second (the suite benchmark found the supervisor
    # using more CPU than every service together). A signal still ends the wait at once.
    exec {SUP_TICK_FD}<> <(:)

    for name in "${SUP_PROCS[@]}"; do
        put_state "$name.port" "${SUP_PORT[$name]}"
        put_state "$name.restarts" 0
        SUP_RESTARTS[$name]=0
        SUP_BACKOFF[$name]=$BACKOFF_MIN
        if port_in_use "$(proc_port "$name")"; then
            sup_boot_failed "port $(proc_port "$name") of $name is already in use"
        fi
        sup_log "starting $name on 127.0.0.1:$(proc_port "$name")"
        attempt=0
        while :; do
            sup_start "$name"
            SUP_FAILURE=""
            sup_wait_ready "$name" && break
            # A crash while booting is retried with a backoff; a process that runs but never
            # gets ready, or a stop request, fails the boot.
            if [[ $SUP_FAILURE == *"exited during startup"* ]] && ((attempt < BOOT_RETRIES && !SUP_STOPPING)); then
                attempt=$((attempt + 1))
                delay=$((1 << (attempt - 1)))
                SUP_RESTARTS[$name]=$((SUP_RESTARTS[$name] + 1))
                put_state "$name.restarts" "${SUP_RESTARTS[$name]}"
                sup_log "$SUP_FAILURE; starting it again in ${delay}s (retry $attempt of $BOOT_RETRIES)"
                sleep "$delay" &
                wait $! 2>/dev/null
                ((SUP_STOPPING)) && sup_boot_failed "interrupted while $name was retried"
                continue
            fi
            sup_boot_failed "$SUP_FAILURE"
        done
        sup_log "$name ready (pid ${SUP_PID[$name]})"
        if [[ $name == replay ]]; then
            export ALPHAPULSE_BINANCE_SPOT_REST_URL="http://127.0.0.1:$REPLAY_PORT"
            export ALPHAPULSE_BINANCE_FUTURES_REST_URL="http://127.0.0.1:$REPLAY_PORT"
            export ALPHAPULSE_BINANCE_SPOT_WS_URL="ws://127.0.0.1:$REPLAY_PORT"
            export ALPHAPULSE_BINANCE_FUTURES_WS_URL="ws://127.0.0.1:$REPLAY_PORT/market"
        fi
    done
    put_state boot ready
    sup_log "all services ready: ${SUP_PROCS[*]}"

    while ((!SUP_STOPPING)); do
        for name in "${SUP_PROCS[@]}"; do
            ((SUP_STOPPING)) && break
            if [[ -n ${SUP_PID[$name]} ]]; then
                proc_alive "${SUP_PID[$name]}" || sup_on_exit "$name"
            elif ((EPOCHSECONDS >= SUP_NEXT[$name])); then
                SUP_RESTARTS[$name]=$((SUP_RESTARTS[$name] + 1))
                put_state "$name.restarts" "${SUP_RESTARTS[$name]}"
                sup_start "$name"
                sup_log "restarted $name (pid ${SUP_PID[$name]}, restart #${SUP_RESTARTS[$name]})"
            fi
        done
        if ((!SUP_STOPPING && EPOCHSECONDS - last_liveness >= LIVENESS_INTERVAL)); then
            last_liveness=$EPOCHSECONDS
            sup_check_liveness
        fi
        if ((EPOCHSECONDS - last_rotation >= 10)); then
            last_rotation=$EPOCHSECONDS
            sup_rotate_logs
        fi
        read -r -t 0.5 -u "$SUP_TICK_FD" _ || true
    done
    sup_log "stop requested"
    put_state boot stopping
    sup_stop_all
    sup_exit 0
}
