# shellcheck shell=bash
# Private PostgreSQL and Redis servers of deploy/alphapulse.
#
# Two flavours:
#  - persistent ones for `up` / `migrate`, living under $STATE (PostgreSQL data is kept
#    across runs, Redis with appendonly), stopped by `down`;
#  - ephemeral ones for `test` / `bench`, in a temporary folder removed afterwards.
# PostgreSQL refuses to run as root, so as root its commands run as the postgres user and
# its folders must be reachable by that user.

# Newest PostgreSQL server binaries folder (ALPHAPULSE_PG_BINDIR overrides).
pg_bindir() {
    local dir
    if [[ -n ${ALPHAPULSE_PG_BINDIR:-} ]]; then
        [[ -x $ALPHAPULSE_PG_BINDIR/initdb ]] || die "ALPHAPULSE_PG_BINDIR=$ALPHAPULSE_PG_BINDIR has no initdb"
        printf '%s\n' "$ALPHAPULSE_PG_BINDIR"
        return
    fi
    dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | while IFS= read -r d; do
        [[ -x $d/initdb && -x $d/pg_ctl ]] && printf '%s\n' "$d"
    done | tail -n 1)
    [[ -n $dir ]] || die "no PostgreSQL server found in /usr/lib/postgresql (run: deploy/alphapulse setup --no-build)"
    printf '%s\n' "$dir"
}

redis_server_bin() {
    local bin=${ALPHAPULSE_REDIS_SERVER:-}
    [[ -n $bin ]] || bin=$(command -v redis-server || true)
    [[ -z $bin && -x /usr/bin/redis-server ]] && bin=/usr/bin/redis-server
    [[ -n $bin && -x $bin ]] || die "redis-server not found (run: deploy/alphapulse setup --no-build)"
    printf '%s\n' "$bin"
}

# Runs a PostgreSQL server command as the user the server runs as.
as_pg() {
    if ((EUID == 0)); then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Makes folder $1 (created if needed) owned by the PostgreSQL user; true when that user can
# reach and write it.
pg_own_dir() {
    mkdir -p "$1"
    if ((EUID == 0)); then
        id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (install the postgresql package: deploy/alphapulse setup --no-build)"
        chown postgres:postgres "$1"
        chmod 700 "$1"
        runuser -u postgres -- test -w "$1" -a -x "$1" 2>/dev/null
    fi
}

# --- persistent private servers (up, migrate, down) ----------------------------------------

# Prints the folder holding the private cluster (data/ and server.log), creating it.
# When the work tree is not traversable by postgres (e.g. it is under /root), the folder is
# /var/tmp/alphapulse-<hash of the state folder, i.e. of the work tree>/postgres, symlinked
# from $STATE/postgres.
pg_private_home() {
    local home="$STATE/postgres" alt
    if [[ -L $home ]]; then
        alt=$(readlink -- "$home")
        pg_own_dir "$alt" || die "$alt is not usable by the postgres user"
        printf '%s\n' "$alt"
        return
    fi
    if pg_own_dir "$home"; then
        printf '%s\n' "$home"
        return
    fi
    alt="/var/tmp/alphapulse-$(printf '%s' "$STATE" | sha256sum | cut -c1-12)/postgres"
    rmdir -- "$home" 2>/dev/null || die "$home is not reachable by the postgres user and not empty; move it away"
    mkdir -p "$(dirname -- "$alt")"
    chmod 755 "$(dirname -- "$alt")"
    pg_own_dir "$alt" || die "$alt is not usable by the postgres user"
    ln -sfn -- "$alt" "$home"
    note "work tree not reachable by user postgres: PostgreSQL data lives in $alt (linked from $home)" >&2
    printf '%s\n' "$alt"
}

# The data folder of the private cluster, whether or not it exists (no side effects).
pg_private_data() {
    if [[ -L $STATE/postgres ]]; then
        printf '%s/data\n' "$(readlink -- "$STATE/postgres")"
    else
        printf '%s/data\n' "$STATE/postgres"
    fi
}

# Prints the pid of the postmaster running on data folder $1; fails when none runs.
pg_running_pid() {
    local pidfile="$1/postmaster.pid" pid=""
    [[ -f $pidfile ]] || return 1
    { IFS= read -r pid <"$pidfile"; } 2>/dev/null || return 1
    proc_alive "$pid" || return 1
    printf '%s\n' "$pid"
}

# Port of the postmaster on data folder $1 (line 4 of postmaster.pid).
pg_running_port() {
    sed -n 4p "$1/postmaster.pid" 2>/dev/null
}

# shellcheck disable=SC2034 # PG_PORT and PG_STARTED_HERE are read by the caller
# Starts (initialising once) the private cluster when it is not running; creates role and
# database alphapulse. Sets PG_PORT to the port it listens on and PG_STARTED_HERE=1 when this
# call started it.
pg_private_start() {
    local bindir home data
    PG_STARTED_HERE=0
    bindir=$(pg_bindir)
    home=$(pg_private_home)
    data="$home/data"
    mkdir -p "$LOGS"
    ln -sfn -- "$home/server.log" "$LOGS/postgres.log"
    if pg_running_pid "$data" >/dev/null; then
        PG_PORT=$(pg_running_port "$data")
        note "private PostgreSQL already running on 127.0.0.1:$PG_PORT"
    else
        if [[ ! -s $data/PG_VERSION ]]; then
            note "initialising private PostgreSQL cluster in $data"
            as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C \
                >"$LOGS/postgres-initdb.log" 2>&1 ||
                die "initdb failed; see $LOGS/postgres-initdb.log"
        fi
        port_in_use "$PG_PORT" && die "port $PG_PORT for the private PostgreSQL is in use; set ALPHAPULSE_PG_PORT"
        note "starting private PostgreSQL on 127.0.0.1:$PG_PORT"
        run_unlocked as_pg "$bindir/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 \
            -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null ||
            die "private PostgreSQL did not start; see $home/server.log"
        PG_STARTED_HERE=1
    fi
    pg_ensure_database "$bindir" "$PG_PORT"
}

# Creates login role and database alphapulse (owned by it) when missing.
pg_ensure_database() {
    local bindir=$1 port=$2 found
    local -a psql=("$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA)
    [[ -x $bindir/psql ]] || psql[0]=psql
    found=$("${psql[@]}" -c "select 1 from pg_roles where rolname = 'alphapulse'") ||
        die "cannot query the private PostgreSQL on port $port"
    [[ $found == 1 ]] || "${psql[@]}" -c 'create role alphapulse login' ||
        die "cannot create role alphapulse"
    found=$("${psql[@]}" -c "select 1 from pg_database where datname = 'alphapulse'") ||
        die "cannot query the private PostgreSQL on port $port"
    [[ $found == 1 ]] || "${psql[@]}" -c 'create database alphapulse owner alphapulse' ||
        die "cannot create database alphapulse"
}

pg_private_url() { printf 'postgresql://alphapulse@127.0.0.1:%s/alphapulse\n' "$1"; }

pg_private_stop() {
    local data bindir
    data=$(pg_private_data)
    pg_running_pid "$data" >/dev/null || return 0
    bindir=$(pg_bindir)
    note "stopping private PostgreSQL"
    as_pg "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null ||
        warn "pg_ctl stop failed; see $LOGS/postgres.log"
}

# Prints the pid of the private Redis; fails when it does not run.
redis_private_pid() {
    local pid
    pid=$(get_state redis.pid)
    proc_matches "$pid" redis-server || return 1
    printf '%s\n' "$pid"
}

# shellcheck disable=SC2034 # REDIS_STARTED_HERE is read by the caller
# Starts the private Redis (appendonly) unless running. Sets REDIS_PORT and REDIS_STARTED_HERE.
redis_private_start() {
    local bin i
    REDIS_STARTED_HERE=0
    if redis_private_pid >/dev/null; then
        REDIS_PORT=$(get_state redis.port)
        note "private Redis already running on 127.0.0.1:$REDIS_PORT"
        return
    fi
    bin=$(redis_server_bin)
    port_in_use "$REDIS_PORT" && die "port $REDIS_PORT for the private Redis is in use; set ALPHAPULSE_REDIS_PORT"
    mkdir -p "$STATE/redis" "$RUN" "$LOGS"
    note "starting private Redis on 127.0.0.1:$REDIS_PORT"
    run_unlocked "$bin" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" --appendonly yes \
        --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" >/dev/null ||
        die "redis-server did not start; see $LOGS/redis.log"
    for ((i = 0; i < 100; i++)); do
        redis_ping "$REDIS_PORT" && break
        sleep 0.1
    done
    redis_ping "$REDIS_PORT" || die "private Redis does not answer on port $REDIS_PORT; see $LOGS/redis.log"
    put_state redis.port "$REDIS_PORT"
    REDIS_STARTED_HERE=1
}

redis_private_stop() {
    local pid
    pid=$(redis_private_pid) || return 0
    note "stopping private Redis"
    stop_pid "$pid" redis 30 >/dev/null || warn "Redis did not stop in time; killed"
    rm -f "$RUN/redis.pid" "$RUN/redis.port"
}

# --- ephemeral servers (test, bench) -------------------------------------------------------

# Starts a throw-away PostgreSQL (trust auth on 127.0.0.1) and Redis on free ports in a new
# temporary folder. Sets EPH_DIR, EPH_PG_BINDIR, EPH_PG_PORT, EPH_REDIS_SERVER, EPH_REDIS_PORT.
# Call ephemeral_servers_stop (from an EXIT trap) afterwards.
ephemeral_servers_start() {
    local i
    EPH_PG_BINDIR=$(pg_bindir)
    EPH_REDIS_SERVER=$(redis_server_bin)
    # /tmp rather than $TMPDIR: the folder must be reachable by the postgres user.
    EPH_DIR=$(mktemp -d /tmp/alphapulse-servers.XXXXXX)
    chmod 755 "$EPH_DIR"
    pg_own_dir "$EPH_DIR/pg" || die "$EPH_DIR/pg is not usable by the postgres user"
    EPH_PG_PORT=$(free_port)
    EPH_REDIS_PORT=$(free_port "$EPH_PG_PORT")

    as_pg "$EPH_PG_BINDIR/initdb" -D "$EPH_DIR/pg/data" -U postgres --auth=trust -E UTF8 --locale=C \
        >"$EPH_DIR/initdb.log" 2>&1 || {
        cat "$EPH_DIR/initdb.log" >&2
        die "initdb of the test PostgreSQL failed"
    }
    # Durability is pointless for a throw-away server; connections are plentiful because the
    # Swift tests run in parallel; commit timestamps give the ingest benchmark its latency.
    as_pg "$EPH_PG_BINDIR/pg_ctl" -D "$EPH_DIR/pg/data" -l "$EPH_DIR/pg/server.log" -w -t 60 \
        -o "-p $EPH_PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c track_commit_timestamp=on" \
        start >/dev/null || {
        tail -n 30 "$EPH_DIR/pg/server.log" >&2 || true
        die "test PostgreSQL did not start"
    }

    mkdir -p "$EPH_DIR/redis"
    "$EPH_REDIS_SERVER" --port "$EPH_REDIS_PORT" --bind 127.0.0.1 --dir "$EPH_DIR/redis" \
        --save '' --appendonly no --daemonize yes --pidfile "$EPH_DIR/redis.pid" \
        --logfile "$EPH_DIR/redis.log" >/dev/null || die "test Redis did not start"
    for ((i = 0; i < 100; i++)); do
        redis_ping "$EPH_REDIS_PORT" && break
        sleep 0.1
    done
    redis_ping "$EPH_REDIS_PORT" || die "test Redis does not answer; see $EPH_DIR/redis.log"
    note "test PostgreSQL on 127.0.0.1:$EPH_PG_PORT, Redis on 127.0.0.1:$EPH_REDIS_PORT ($EPH_DIR)"
}

ephemeral_servers_stop() {
    local pid=""
    [[ -n ${EPH_DIR:-} && -d $EPH_DIR ]] || return 0
    if [[ -f $EPH_DIR/redis.pid ]]; then
        { IFS= read -r pid <"$EPH_DIR/redis.pid"; } 2>/dev/null || true
        proc_matches "$pid" redis-server && { stop_pid "$pid" redis 15 >/dev/null || true; }
    fi
    if pg_running_pid "$EPH_DIR/pg/data" >/dev/null; then
        as_pg "$EPH_PG_BINDIR/pg_ctl" -D "$EPH_DIR/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || {
            pid=$(pg_running_pid "$EPH_DIR/pg/data") && kill -KILL "$pid" 2>/dev/null
        }
    fi
    rm -rf -- "$EPH_DIR"
    EPH_DIR=""
}
