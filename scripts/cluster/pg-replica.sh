#!/usr/bin/env bash
# PostgreSQL streaming standby of the local server, for the replica tests.
#
#   scripts/cluster/pg-replica.sh start|stop|status|dsn
#
# start   takes a base backup of the primary (127.0.0.1:5432 by default) with
#         pg_basebackup -R over its unix socket and runs it as a hot standby
#         on 127.0.0.1:$PG_REPLICA_PORT (5433), in a temporary directory;
#         waits until it streams. Does nothing when it is already running.
# stop    stops the standby and removes its directory (nothing to do when
#         it is not running).
# status  exits 0 when the standby is running and streaming.
# dsn     prints the standby's DSN for database $PG_REPLICA_DB (postgres).
# pause   stops the standby server but keeps its directory (tests use it to
#         take a replica away mid-run); resume starts it again.
#
# Environment: PG_PRIMARY_HOST (127.0.0.1), PG_PRIMARY_PORT (5432),
# PG_REPLICA_PORT (5433), PG_REPLICA_DB (postgres), SQLMODEL_CLUSTER_DIR
# (${TMPDIR:-/tmp}/sqlmodel-cluster). Runs as root (commands switch to the
# postgres OS user) or as the postgres OS user.
set -euo pipefail

PRIMARY_HOST=${PG_PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PG_PRIMARY_PORT:-5432}
PORT=${PG_REPLICA_PORT:-5433}
DBNAME=${PG_REPLICA_DB:-postgres}
ROOT=${SQLMODEL_CLUSTER_DIR:-${TMPDIR:-/tmp}/sqlmodel-cluster}
DIR=$ROOT/pg-replica
DATA=$DIR/data
LOG=$DIR/postgres.log

die() { printf 'pg-replica: %s\n' "$*" >&2; exit 1; }
say() { printf 'pg-replica: %s\n' "$*"; }

# as_pg CMD...: run CMD as the postgres OS user.
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

primary_sql() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -w -d postgres -XAtqc "$1"; }
replica_sql() { psql -h 127.0.0.1 -p "$PORT" -U postgres -w -d postgres -XAtqc "$1"; }

pgbin() {
	local num
	num=$(primary_sql 'SHOW server_version_num') || die "primary $PRIMARY_HOST:$PRIMARY_PORT does not answer"
	local bin=/usr/lib/postgresql/$((num / 10000))/bin
	[[ -x $bin/pg_ctl ]] || die "$bin/pg_ctl not found (PostgreSQL $((num / 10000)) server binaries)"
	printf '%s\n' "$bin"
}

running() { [[ -f $DATA/postmaster.pid ]] && [[ -n "$(ls "$DATA" 2>/dev/null)" ]] && as_pg "$(pgbin)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }
streaming() { [[ "$(replica_sql "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null)" == t ]]; }

start() {
	if running; then
		say "already running on 127.0.0.1:$PORT"
		wait_streaming
		return
	fi
	local bin
	bin=$(pgbin)
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		die "port $PORT is in use by another program"
	fi
	local sockdir maxconn
	sockdir=$(primary_sql 'SHOW unix_socket_directories' | cut -d, -f1 | xargs)
	[[ -n $sockdir && -S $sockdir/.s.PGSQL.$PRIMARY_PORT ]] || die "no unix socket of the primary in '$sockdir'"
	maxconn=$(primary_sql 'SHOW max_connections')
	rm -rf "$DIR"
	mkdir -p "$DIR"
	chmod 0755 "$ROOT" 2>/dev/null || true
	if [[ $EUID -eq 0 ]]; then chown postgres:postgres "$DIR"; fi
	local t0=$SECONDS
	allow_replication "$sockdir"
	# Over the unix socket: Debian's pg_hba.conf refuses password-less
	# replication connections over TCP.
	as_pg "$bin/pg_basebackup" -h "$sockdir" -p "$PRIMARY_PORT" -U postgres -w \
		-D "$DATA" -R -X stream -c fast >/dev/null
	# Debian keeps the configuration outside the data directory, so the
	# backup has none: a minimal one, loopback only, trust for local use.
	as_pg tee "$DATA/postgresql.conf" >/dev/null <<-CONF
		port = $PORT
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$DIR'
		hot_standby = on
		max_connections = $maxconn
		shared_buffers = 32MB
		wal_level = replica
		max_wal_senders = 10
		hot_standby_feedback = on
		wal_receiver_status_interval = 1s
		wal_retrieve_retry_interval = 200ms
		logging_collector = off
	CONF
	as_pg tee "$DATA/pg_hba.conf" >/dev/null <<-CONF
		local all all trust
		host all all 127.0.0.1/32 trust
	CONF
	as_pg tee "$DATA/pg_ident.conf" </dev/null >/dev/null
	as_pg chmod 0700 "$DATA"
	as_pg "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null ||
		{ tail -n 30 "$LOG" >&2; die "standby did not start"; }
	wait_streaming
	say "streaming standby on 127.0.0.1:$PORT ready in $((SECONDS - t0)) s"
}

HBA_MARK='# added by sqlmodel scripts/cluster/pg-replica.sh'

# allow_replication SOCKDIR: make sure the postgres user may open a
# replication connection over the unix socket; if the primary's pg_hba.conf
# does not allow it, add a marked line (removed again by stop) and reload.
allow_replication() {
	local sockdir=$1 hba
	if psql "host=$sockdir port=$PRIMARY_PORT user=postgres replication=true" -w -XAtqc IDENTIFY_SYSTEM >/dev/null 2>&1; then
		return
	fi
	hba=$(primary_sql 'SHOW hba_file')
	say "allowing local replication connections in $hba"
	sed -i "1i local replication postgres trust $HBA_MARK" "$hba"
	primary_sql 'SELECT pg_reload_conf()' >/dev/null
	sleep 0.2
}

# disallow_replication: remove the line allow_replication added.
disallow_replication() {
	local hba
	hba=$(primary_sql 'SHOW hba_file' 2>/dev/null) || return 0
	if [[ -f $hba ]] && grep -qF "$HBA_MARK" "$hba"; then
		sed -i "\|$HBA_MARK|d" "$hba"
		primary_sql 'SELECT pg_reload_conf()' >/dev/null
	fi
}

wait_streaming() {
	local i
	for ((i = 0; i < 300; i++)); do
		streaming && return 0
		sleep 0.1
	done
	tail -n 30 "$LOG" >&2 || true
	die "standby on 127.0.0.1:$PORT is not streaming"
}

stop() {
	if running; then
		as_pg "$(pgbin)/pg_ctl" -D "$DATA" -w -t 60 stop -m fast >/dev/null
		say "stopped"
	fi
	rm -rf "$DIR"
	rmdir "$ROOT" 2>/dev/null || true
	disallow_replication
}

status() {
	if running && streaming; then
		local lag
		lag=$(replica_sql "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)")
		say "running on 127.0.0.1:$PORT, streaming (last replayed transaction ${lag}s ago)"
		return 0
	fi
	if running; then
		say "running on 127.0.0.1:$PORT but not streaming"
		return 1
	fi
	say "not running"
	return 3
}

pause() {
	running || die "not running"
	# A restart replays the WAL from the standby's last restartpoint, which
	# can only be made at a checkpoint of the primary: make a fresh one of
	# each, so that resume takes a second, not the replay of everything
	# since the primary's last timed checkpoint.
	primary_sql CHECKPOINT >/dev/null
	local lsn i
	lsn=$(primary_sql 'SELECT pg_current_wal_lsn()')
	for ((i = 0; i < 300; i++)); do
		[[ "$(replica_sql "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" == t ]] && break
		sleep 0.1
	done
	replica_sql CHECKPOINT >/dev/null
	as_pg "$(pgbin)/pg_ctl" -D "$DATA" -w -t 60 stop -m fast >/dev/null
	say "paused"
}

resume() {
	if running; then
		wait_streaming
		return
	fi
	[[ -f $DATA/standby.signal ]] || die "no paused standby in $DATA (use start)"
	as_pg "$(pgbin)/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null ||
		{ tail -n 30 "$LOG" >&2; die "standby did not start"; }
	wait_streaming
	say "resumed"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
pause) pause ;;
resume) resume ;;
dsn) printf 'postgres://postgres@127.0.0.1:%s/%s?sslmode=disable\n' "$PORT" "$DBNAME" ;;
*)
	echo "usage: $0 start|stop|status|dsn|pause|resume" >&2
	exit 2
	;;
esac
