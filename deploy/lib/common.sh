# shellcheck shell=bash
# Shared helpers of deploy/alphapulse: messages, processes, TCP/HTTP probes, state files.
# Sourced, never run; expects ROOT, STATE, RUN and LOGS to be set by the caller.

note() { printf 'alphapulse: %s\n' "$*"; }
warn() { printf 'alphapulse: warning: %s\n' "$*" >&2; }
die() {
    printf 'alphapulse: error: %s\n' "$*" >&2
    exit 1
}

# Fails unless $2 (named $1 in the message) is a non-negative integer.
require_uint() {
    [[ $2 =~ ^[0-9]+$ ]] || die "$1 must be a non-negative whole number, got '$2'"
}

# "3725" -> "1h02m05s"
format_duration() {
    local s=$1
    if ((s >= 86400)); then
        printf '%dd%02dh%02dm' $((s / 86400)) $((s % 86400 / 3600)) $((s % 3600 / 60))
    elif ((s >= 3600)); then
        printf '%dh%02dm%02ds' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
    elif ((s >= 60)); then
        printf '%dm%02ds' $((s / 60)) $((s % 60))
    else
        printf '%ds' "$s"
    fi
}

# --- state files under $RUN ---------------------------------------------------------------

# Atomically writes $2 to $RUN/$1. A write that fails (disk full, a folder in the way) is
# reported on stderr and returns 1; it never ends the caller, even under `set -e` callers
# that test it, and the supervisor runs without `set -e`.
put_state() {
    local tmp="$RUN/.$1.$$"
    if { printf '%s\n' "$2" >"$tmp" && mv -f "$tmp" "$RUN/$1"; } 2>/dev/null; then
        return 0
    fi
    rm -f "$tmp" 2>/dev/null
    printf '%(%F %T)T warning: could not write state file %s\n' -1 "$RUN/$1" >&2
    return 1
}

# Prints the first line of $RUN/$1, or nothing when absent.
get_state() {
    local line=""
    [[ -f $RUN/$1 ]] || return 0
    { IFS= read -r line <"$RUN/$1"; } 2>/dev/null || true
    printf '%s' "$line"
}

# Prints state $1 when it is an unsigned integer, else $2 (default nothing): state files are
# never evaluated as arithmetic.
get_uint_state() {
    local value
    value=$(get_state "$1")
    if [[ $value =~ ^[0-9]{1,18}$ ]]; then printf '%s' "$value"; else printf '%s' "${2:-}"; fi
}

# --- processes -----------------------------------------------------------------------------

# True when pid $1 exists and is not a zombie (works for children and strangers alike).
proc_alive() {
    local pid=$1 stat
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != [ZX] ]]
}

# The start time of pid $1 (clock ticks since boot, /proc/<pid>/stat field 22): with the pid,
# it names one process for good, where a pid alone is reused.
proc_start_time() {
    local stat
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    local -a fields
    read -r -a fields <<<"$stat"
    printf '%s' "${fields[19]}"
}

# Records pid $2 as process $1 of ours: $RUN/$1.pid and its start time in $RUN/$1.since.
put_pid() {
    put_state "$1.pid" "$2"
    put_state "$1.since" "$(proc_start_time "$2")"
}

# Prints the pid of process $1 as recorded by put_pid when that very process still runs and
# its command line mentions $2; fails for a dead one and for a stranger that reuses its pid.
own_pid() {
    local pid since
    pid=$(get_uint_state "$1.pid")
    since=$(get_state "$1.since")
    proc_matches "$pid" "$2" || return 1
    [[ -z $since || $(proc_start_time "$pid") == "$since" ]] || return 1
    printf '%s\n' "$pid"
}

# True when pid $1 is alive and its command line mentions $2 (guards against pid reuse).
proc_matches() {
    local pid=$1 needle=$2 arg
    local -a argv=()
    proc_alive "$pid" || return 1
    mapfile -d '' argv <"/proc/$pid/cmdline" 2>/dev/null || return 1
    for arg in "${argv[@]}"; do
        [[ $arg == *"$needle"* ]] && return 0
    done
    return 1
}

# Sends SIGTERM to pid $1 (labelled $2), waits up to $3 seconds, then SIGKILLs it.
# Reaps it when it is our child. Returns 0 when it stopped on SIGTERM, 1 when it had to be killed.
stop_pid() {
    local pid=$1 label=$2 timeout=$3 deadline
    proc_alive "$pid" || {
        wait "$pid" 2>/dev/null || true
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((EPOCHSECONDS + timeout))
    while proc_alive "$pid"; do
        if ((EPOCHSECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            while proc_alive "$pid"; do sleep 0.05; done
            wait "$pid" 2>/dev/null || true
            printf '%(%F %T)T %s (pid %s) did not stop within %ss; killed\n' -1 "$label" "$pid" "$timeout"
            return 1
        fi
        sleep 0.1
    done
    wait "$pid" 2>/dev/null || true
    return 0
}

# --- network -------------------------------------------------------------------------------

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
    (
        exec 2>/dev/null
        exec 3<>"/dev/tcp/127.0.0.1/$1"
    )
}

# Prints "first count": the ports free_port and free_port_block pick from. They lie below the
# kernel's ephemeral range (net.ipv4.ip_local_port_range) when there is room, else above it:
# a port in that range can be taken, between the check and the bind, as the local end of any
# outgoing connection (a service's pooled PostgreSQL or Redis connection keeps one for hours).
unreserved_ports() {
    local low=32768 high=60999 line
    if read -r line <"${ALPHAPULSE_PORT_RANGE_FILE:-/proc/sys/net/ipv4/ip_local_port_range}" 2>/dev/null \
        && [[ $line =~ ^([0-9]+)[[:space:]]+([0-9]+)$ ]]; then
        low=${BASH_REMATCH[1]} high=${BASH_REMATCH[2]}
    fi
    if ((low - 20000 >= 2000)); then
        printf '20000 %s\n' $((low - 20000))
    elif ((65535 - high >= 2000)); then
        printf '%s %s\n' $((high + 1)) $((65535 - high))
    else
        printf '20000 12000\n'
    fi
}

# Prints a free TCP port on 127.0.0.1 that is not among the arguments.
free_port() {
    local port i used first count
    read -r first count < <(unreserved_ports)
    for ((i = 0; i < 500; i++)); do
        port=$((first + (RANDOM * 32768 + RANDOM) % count))
        for used in "$@"; do
            [[ $port == "$used" ]] && continue 2
        done
        port_in_use "$port" || {
            printf '%s\n' "$port"
            return 0
        }
    done
    die "no free TCP port found on 127.0.0.1"
}

# Prints a base port such that base + each argument (offsets, the largest last) is free.
free_port_block() {
    local base i offset first count
    read -r first count < <(unreserved_ports)
    for ((i = 0; i < 50; i++)); do
        base=$((first + (RANDOM * 32768 + RANDOM) % (count - ${*: -1})))
        for offset in "$@"; do
            port_in_use $((base + offset)) && continue 2
        done
        printf '%s\n' "$base"
        return 0
    done
    die "no free block of ports found on 127.0.0.1"
}

# Sets HTTP_STATUS to the status code of GET http://127.0.0.1:$1$2, or 000 when there is no
# answer, without a subshell (the supervisor's liveness checks run it for every service every
# few seconds).
HTTP_STATUS=000
http_status_get() {
    local fd code=""
    HTTP_STATUS=000
    # The braces keep 2>/dev/null from becoming permanent with the exec.
    { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
    if printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: alphapulse-supervisor\r\nConnection: close\r\n\r\n' \
        "$2" "$1" >&"$fd" 2>/dev/null && IFS=' ' read -r -t 3 -u "$fd" _ code _ 2>/dev/null; then
        # Read the rest so the server is not reset mid-response.
        read -r -t 3 -d '' -u "$fd" _ 2>/dev/null || true
    fi
    exec {fd}>&-
    [[ $code =~ ^[0-9]{3}$ ]] && HTTP_STATUS=$code
    return 0
}

# Prints the HTTP status code of GET http://127.0.0.1:$1$2, or 000 when there is no answer.
http_status() {
    http_status_get "$1" "$2"
    printf '%s' "$HTTP_STATUS"
}

# True when a Redis server answers PING on 127.0.0.1:$1, after AUTH with password $2 when
# given (bash's own printf writes it to the socket: it never reaches a command line).
redis_ping() {
    local reply
    reply=$(
        exec 2>/dev/null
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        if [[ -n ${2:-} ]]; then
            printf '*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n' "${#2}" "$2" >&3
            IFS= read -r -t 3 r <&3 || exit 1
            [[ $r == +OK* ]] || exit 1
        fi
        printf 'PING\r\n' >&3
        IFS= read -r -t 3 r <&3 || exit 1
        printf '%s' "$r"
    ) || return 1
    [[ $reply == +PONG* ]]
}

# Runs a command without the up/down lock descriptor, for daemons that outlive this command.
run_unlocked() {
    if [[ -n ${LOCK_FD:-} ]]; then
        "$@" {LOCK_FD}>&-
    else
        "$@"
    fi
}

# --- privileges ----------------------------------------------------------------------------

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "'$*' needs root and sudo is not installed"
    fi
}
