# shellcheck shell=bash
# Private PostgreSQL and Redis servers of deploy/alphapulse.
#
# Two flavours:
#  - persistent ones for `up` / `migrate`, living under $STATE (PostgreSQL data is kept
#    across runs, Redis with appendonly), stopped by `down`;
#  - ephemeral ones for `test` / `bench`, in a temporary folder removed afterwards.
# PostgreSQL refuses to run as root, so as root its commands run as the postgres user and
# its folders must be reachable by that user.
#
# The persistent servers require passwords: PostgreSQL uses scram-sha-256 for every role and
# Redis `requirepass`. The passwords are generated once into $STATE/secrets (folder 0700,
# files 0600) and reused across restarts; the services get the URLs through
# ALPHAPULSE_DATABASE_URL_FILE / ALPHAPULSE_REDIS_URL_FILE, never on a command line.

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

# Makes folder $1 (created with mode 0700 if missing; its parent must exist) a private folder
# of the PostgreSQL user; true when that user can reach and write it. Never follows a
# symbolic link: a path that is one, or a folder owned by anyone but root or postgres, is
# refused (with a warning).
pg_own_dir() {
    local dir=$1 owner
    if [[ -L $dir ]]; then
        warn "$dir is a symbolic link; refusing to use it for PostgreSQL"
        return 1
    fi
    if [[ ! -e $dir ]]; then
        mkdir -m 700 -- "$dir" || return 1
    fi
    [[ -d $dir && ! -L $dir ]] || {
        warn "$dir is not a folder"
        return 1
    }
    ((EUID == 0)) || return 0
    id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (install the postgresql package: deploy/alphapulse setup --no-build)"
    owner=$(stat -c %U -- "$dir")
    if [[ $owner != root && $owner != postgres ]]; then
        warn "$dir is owned by $owner, not root or postgres; refusing to use it"
        return 1
    fi
    # -h: change the link itself should one have been swapped in since the test above; chmod
    # has no such option, so it runs only on what is, at this point, a folder of root or postgres.
    chown -h postgres:postgres -- "$dir" && chmod 700 -- "$dir" || return 1
    runuser -u postgres -- test -w "$dir" -a -x "$dir" 2>/dev/null
}

# True when folder $1 and every folder above it are owned by root or $2 and not writable by
# group or others (a sticky folder such as /var/tmp excepted), so nobody else can swap a path
# component under us.
path_is_trusted() {
    local dir=$1 user=$2 owner mode
    while :; do
        [[ -L $dir ]] && return 1
        owner=$(stat -c %U -- "$dir") || return 1
        mode=$(stat -c %a -- "$dir") || return 1
        if ((8#$mode & 8#1000)); then
            : # sticky: others may add entries but not move ours
        elif [[ $owner != root && $owner != "$user" ]] || ((8#$mode & 8#022)); then
            return 1
        fi
        [[ $dir == / ]] && return 0
        dir=$(dirname -- "$dir")
    done
}

# --- persistent private servers (up, migrate, down) ----------------------------------------

# Prints the folder holding the private cluster (data/ and server.log), creating it.
# When the work tree is not traversable by postgres (e.g. it is under /root), the folder is a
# new one made by `mktemp -d /var/tmp/alphapulse-pg.XXXXXXXX` (unpredictable, 0700, owned by
# postgres), recorded as the symlink $STATE/postgres. A recorded folder is used again only
# when it and every folder above it are owned by root or postgres and closed to others.
pg_private_home() {
    local home="$STATE/postgres" alt
    mkdir -p -- "$STATE"
    if [[ -L $home ]]; then
        alt=$(readlink -- "$home")
        [[ $alt == /* ]] || die "$home links to a relative path ($alt); move it away"
        path_is_trusted "$(dirname -- "$alt")" postgres ||
            die "$alt (linked from $home) lies in a folder other users can change; move the link away and copy the data to a safe place"
        pg_own_dir "$alt" || die "$alt is not usable by the postgres user"
        printf '%s\n' "$alt"
        return
    fi
    if pg_own_dir "$home"; then
        printf '%s\n' "$home"
        return
    fi
    rmdir -- "$home" 2>/dev/null || die "$home is not reachable by the postgres user and not empty; move it away"
    alt=$(mktemp -d /var/tmp/alphapulse-pg.XXXXXXXX) || die "cannot create a folder in /var/tmp for PostgreSQL"
    pg_own_dir "$alt" || die "$alt is not usable by the postgres user"
    ln -sn -- "$alt" "$home" || die "cannot link $home to $alt"
    note "work tree not reachable by user postgres: PostgreSQL data lives in $alt (linked from $home)" >&2
    printf '%s\n' "$alt"
}

# --- secrets of the persistent servers ----------------------------------------------------

# Creates $STATE/secrets (mode 0700, ours) when missing; refuses a symlink or a folder of
# another user.
secrets_dir() {
    local dir="$STATE/secrets"
    [[ -L $dir ]] && die "$dir is a symbolic link; refusing to keep secrets there"
    if [[ ! -d $dir ]]; then
        mkdir -p -- "$STATE"
        mkdir -m 700 -- "$dir" || die "cannot create $dir"
    fi
    [[ $(stat -c %u -- "$dir") == "$EUID" ]] || die "$dir is not owned by $(id -un); refusing to use it"
    chmod 700 -- "$dir"
    printf '%s\n' "$dir"
}

# Writes $2 (and a newline) to $STATE/secrets/$1, mode 0600, atomically.
secret_write() {
    local dir tmp
    dir=$(secrets_dir) || exit 1
    tmp=$(umask 077 && mktemp "$dir/.$1.XXXXXX") || die "cannot write in $dir"
    printf '%s\n' "$2" >"$tmp" && mv -f -- "$tmp" "$dir/$1" || {
        rm -f -- "$tmp"
        die "cannot write $dir/$1"
    }
}

# True when secret $1 exists.
secret_exists() { [[ -s $STATE/secrets/$1 && ! -L $STATE/secrets/$1 ]]; }

# Prints secret $1, generating it (48 random hex digits, so it needs no quoting in a URL,
# SQL or the Redis protocol) the first time.
secret_get() {
    local value=""
    if ! secret_exists "$1"; then
        value=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
        [[ $value =~ ^[0-9a-f]{48}$ ]] || die "cannot generate a password from /dev/urandom"
        secret_write "$1" "$value"
    fi
    value=""
    { IFS= read -r value <"$STATE/secrets/$1"; } 2>/dev/null || [[ -n $value ]] || die "cannot read $STATE/secrets/$1"
    printf '%s' "$value"
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
    # A stale postmaster.pid (a crash, a reboot) may name a pid some other process has now:
    # ours runs from this data folder (postgres -D <data>).
    proc_matches "$pid" "$1" || return 1
    printf '%s\n' "$pid"
}

# Port of the postmaster on data folder $1 (line 4 of postmaster.pid).
pg_running_port() {
    sed -n 4p "$1/postmaster.pid" 2>/dev/null
}

# True when the cluster in data folder $1 lets some connection in without a password (a
# cluster made before passwords were introduced: initdb --auth=trust).
pg_cluster_trusts() {
    grep -Eq '^[[:space:]]*[^#[:space:]].*[[:space:]]trust[[:space:]]*$' "$1/pg_hba.conf" 2>/dev/null
}

# Writes $2 into file $1 as the PostgreSQL user, mode 0600 (the text goes through stdin).
pg_write_file() {
    # shellcheck disable=SC2016 # $1 is expanded by the inner shell
    printf '%s' "$2" | as_pg sh -c 'umask 077 && cat >"$1"' sh "$1"
}

# shellcheck disable=SC2034 # PG_PORT and PG_STARTED_HERE are read by the caller
# Starts (initialising once) the private cluster when it is not running; creates role and
# database alphapulse. Sets PG_PORT to the port it listens on and PG_STARTED_HERE=1 when this
# call started it. A cluster from before passwords (trust) is switched to scram-sha-256.
pg_private_start() {
    local bindir home data su_password legacy=0
    PG_STARTED_HERE=0
    bindir=$(pg_bindir)
    home=$(pg_private_home)
    data="$home/data"
    mkdir -p "$LOGS"
    ln -sfn -- "$home/server.log" "$LOGS/postgres.log"
    if [[ -s $data/PG_VERSION ]]; then
        if pg_cluster_trusts "$data"; then
            legacy=1
        elif ! secret_exists postgres.password; then
            die "the private PostgreSQL cluster in $data requires a password, but $STATE/secrets/postgres.password is missing; restore it, or remove $data to start afresh"
        fi
    fi
    su_password=$(secret_get postgres.password) || exit 1
    if pg_running_pid "$data" >/dev/null; then
        PG_PORT=$(pg_running_port "$data")
        note "private PostgreSQL already running on 127.0.0.1:$PG_PORT"
    else
        if [[ ! -s $data/PG_VERSION ]]; then
            note "initialising private PostgreSQL cluster in $data (scram-sha-256; passwords in $STATE/secrets)"
            # initdb reads the superuser's password from a file the postgres user can read:
            # a copy in its own 0700 folder, removed at once.
            pg_write_file "$home/initdb.pwfile" "$su_password"$'\n'
            as_pg "$bindir/initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$home/initdb.pwfile" \
                -E UTF8 --locale=C >"$LOGS/postgres-initdb.log" 2>&1 || {
                rm -f -- "$home/initdb.pwfile"
                die "initdb failed; see $LOGS/postgres-initdb.log"
            }
            rm -f -- "$home/initdb.pwfile"
        fi
        port_in_use "$PG_PORT" && die "port $PG_PORT for the private PostgreSQL is in use; set ALPHAPULSE_PG_PORT"
        note "starting private PostgreSQL on 127.0.0.1:$PG_PORT"
        run_unlocked as_pg "$bindir/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 \
            -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''${ALPHAPULSE_PG_OPTIONS:+ $ALPHAPULSE_PG_OPTIONS}" start >/dev/null ||
            die "private PostgreSQL did not start; see $home/server.log"
        PG_STARTED_HERE=1
    fi
    ((legacy)) && pg_require_passwords "$bindir" "$PG_PORT" "$data" "$su_password"
    local password
    password=$(secret_get alphapulse.password) || exit 1
    pg_ensure_database "$bindir" "$PG_PORT" "$su_password" "$password"
}

# Runs psql on the private server (port $2) as the superuser with password $3 (through the
# environment, never argv); $1 is the bin folder, the rest psql arguments.
pg_psql() {
    local bindir=$1 port=$2 password=$3 bin="$1/psql"
    shift 3
    [[ -x $bin ]] || bin=psql
    PGPASSWORD=$password PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=10 \
        "$bin" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA "$@"
}

# True when role $3 can log in to the server on port $2 without a password ($1: bin folder).
pg_login_without_password() {
    local bin="$1/psql"
    [[ -x $bin ]] || bin=psql
    env -u PGPASSWORD PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=5 \
        "$bin" -X -w -h 127.0.0.1 -p "$2" -U "$3" -d postgres -c '' >/dev/null 2>&1
}

# Switches a running trust cluster (data folder $3) to scram-sha-256: sets the superuser's
# password $4, then allows only password logins over loopback TCP and reloads.
pg_require_passwords() {
    local bindir=$1 port=$2 data=$3 password=$4
    note "private PostgreSQL used trust authentication: switching it to scram-sha-256 (passwords in $STATE/secrets)"
    # The statement goes through stdin so the password never reaches a command line.
    printf "set password_encryption = 'scram-sha-256';\nalter role postgres password '%s';\n" "$password" |
        pg_psql "$bindir" "$port" "$password" -f - || die "cannot set the password of role postgres"
    pg_write_file "$data/pg_hba.conf" "# Written by deploy/alphapulse: password (SCRAM) logins over loopback TCP only.
# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       all   127.0.0.1/32  scram-sha-256
host    all       all   ::1/128       scram-sha-256
"
    as_pg "$bindir/pg_ctl" -D "$data" reload >/dev/null || die "pg_ctl reload failed; see $LOGS/postgres.log"
    # The reload is a signal; wait until the server refuses a login without a password.
    local i
    for ((i = 0; i < 50; i++)); do
        pg_login_without_password "$bindir" "$port" postgres || return 0
        sleep 0.1
    done
    die "the private PostgreSQL still accepts logins without a password after the switch; see $LOGS/postgres.log"
}

# Creates login role and database alphapulse (owned by it) when missing, and sets the role's
# password to $4 ($3 is the superuser's).
pg_ensure_database() {
    local bindir=$1 port=$2 su_password=$3 password=$4 found
    found=$(pg_psql "$bindir" "$port" "$su_password" -c "select 1 from pg_roles where rolname = 'alphapulse'") ||
        die "cannot query the private PostgreSQL on port $port as postgres (password in $STATE/secrets/postgres.password)"
    [[ $found == 1 ]] || pg_psql "$bindir" "$port" "$su_password" -c 'create role alphapulse login' ||
        die "cannot create role alphapulse"
    printf "set password_encryption = 'scram-sha-256';\nalter role alphapulse login password '%s';\n" "$password" |
        pg_psql "$bindir" "$port" "$su_password" -f - || die "cannot set the password of role alphapulse"
    found=$(pg_psql "$bindir" "$port" "$su_password" -c "select 1 from pg_database where datname = 'alphapulse'") ||
        die "cannot query the private PostgreSQL on port $port"
    [[ $found == 1 ]] || pg_psql "$bindir" "$port" "$su_password" -c 'create database alphapulse owner alphapulse' ||
        die "cannot create database alphapulse"
}

# Writes the services' URL of the private database (port $1, with the password of role
# alphapulse) to $STATE/secrets/database.url and prints that file's path.
pg_private_url_file() {
    local password
    password=$(secret_get alphapulse.password) || exit 1
    secret_write database.url "postgresql://alphapulse:$password@127.0.0.1:$1/alphapulse"
    printf '%s/secrets/database.url\n' "$STATE"
}

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
    own_pid redis redis-server
}

# shellcheck disable=SC2034 # REDIS_STARTED_HERE is read by the caller
# Starts the private Redis (appendonly, requirepass, CONFIG disabled) unless running. Sets
# REDIS_PORT and REDIS_STARTED_HERE. One still running without a password (started before
# passwords were introduced) is restarted with one; its data stays.
redis_private_start() {
    local bin i password conf
    REDIS_STARTED_HERE=0
    password=$(secret_get redis.password) || exit 1
    if redis_private_pid >/dev/null; then
        REDIS_PORT=$(get_state redis.port)
        if ! redis_ping "$REDIS_PORT"; then
            note "private Redis already running on 127.0.0.1:$REDIS_PORT"
            return
        fi
        note "private Redis on 127.0.0.1:$REDIS_PORT runs without a password: restarting it with one"
        redis_private_stop
    fi
    bin=$(redis_server_bin)
    port_in_use "$REDIS_PORT" && die "port $REDIS_PORT for the private Redis is in use; set ALPHAPULSE_REDIS_PORT"
    mkdir -p "$STATE/redis" "$RUN" "$LOGS"
    # The password goes in a 0600 configuration file, not on the command line. CONFIG is
    # renamed away so a client cannot point the server's files elsewhere (CONFIG SET dir).
    conf="$(secrets_dir)/redis.conf" || exit 1
    secret_write redis.conf "requirepass $password
rename-command CONFIG \"\""
    note "starting private Redis on 127.0.0.1:$REDIS_PORT"
    run_unlocked "$bin" "$conf" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" --appendonly yes \
        --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" >/dev/null ||
        die "redis-server did not start; see $LOGS/redis.log"
    for ((i = 0; i < 100; i++)); do
        redis_ping "$REDIS_PORT" "$password" && break
        sleep 0.1
    done
    redis_ping "$REDIS_PORT" "$password" || die "private Redis does not answer on port $REDIS_PORT; see $LOGS/redis.log"
    # Redis wrote its pid file itself; its start time tells it from a later stranger.
    put_state redis.since "$(proc_start_time "$(get_uint_state redis.pid)")"
    put_state redis.port "$REDIS_PORT"
    REDIS_STARTED_HERE=1
}

# Writes the services' URL of the private Redis (port $1, with its password) to
# $STATE/secrets/redis.url and prints that file's path.
redis_private_url_file() {
    local password
    password=$(secret_get redis.password) || exit 1
    secret_write redis.url "redis://:$password@127.0.0.1:$1/0"
    printf '%s/secrets/redis.url\n' "$STATE"
}

redis_private_stop() {
    local pid
    pid=$(redis_private_pid) || return 0
    note "stopping private Redis"
    stop_pid "$pid" redis 30 >/dev/null || warn "Redis did not stop in time; killed"
    rm -f "$RUN/redis.pid" "$RUN/redis.since" "$RUN/redis.port"
}

# --- ephemeral servers (test, bench) -------------------------------------------------------

# Starts a throw-away PostgreSQL (trust auth on 127.0.0.1) and Redis (no password) on free
# ports in a new temporary folder. Sets EPH_DIR, EPH_PG_BINDIR, EPH_PG_PORT, EPH_REDIS_SERVER,
# EPH_REDIS_PORT. Call ephemeral_servers_stop (from an EXIT trap) afterwards.
# They live for one test or benchmark run; the folder is 0700 (0711 as root, so the postgres
# user can reach its own 0700 folder inside, but nobody can list or enter the rest).
ephemeral_servers_start() {
    local i
    EPH_PG_BINDIR=$(pg_bindir)
    EPH_REDIS_SERVER=$(redis_server_bin)
    # /tmp rather than $TMPDIR: the folder must be reachable by the postgres user.
    EPH_DIR=$(mktemp -d /tmp/alphapulse-servers.XXXXXX)
    ((EUID == 0)) && chmod 711 -- "$EPH_DIR"
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
