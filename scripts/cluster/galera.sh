#!/usr/bin/env bash
# Three-node MariaDB Galera cluster on loopback, for the multi-primary tests.
#
#   scripts/cluster/galera.sh start|stop|status|dsns
#
# start   creates three nodes in a temporary directory, bootstraps node 1
#         with --wsrep-new-cluster, joins nodes 2 and 3 one at a time (rsync
#         state transfer) and creates the TCP user ci@127.0.0.1 (no
#         password). Does nothing when the cluster is already running.
# stop    stops the three nodes (SIGTERM, then SIGKILL after 30 s) and
#         removes the directory.
# status  exits 0 when all three nodes are running and Synced.
# dsns    prints the three nodes' DSNs, comma-separated.
# stop-node N / start-node N
#         stops one node (SIGTERM, it leaves the cluster) / starts it again
#         (it rejoins by incremental state transfer); tests use them to take
#         a node away mid-run.
#
# Ports (base GALERA_PORT, default 3311): MySQL 3311-3313, group
# communication 4567-4569, IST 4577-4579, SST 4444-4446, all on 127.0.0.1.
# Needs the Debian packages mariadb-server, galera-4 and rsync; runs as
# root (mariadbd switches to the mysql user).
set -euo pipefail

BASE_PORT=${GALERA_PORT:-3311}
ROOT=${SQLMODEL_CLUSTER_DIR:-${TMPDIR:-/tmp}/sqlmodel-cluster}
DIR=$ROOT/galera
PROVIDER=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
NODES=(1 2 3)

die() { printf 'galera: %s\n' "$*" >&2; exit 1; }
say() { printf 'galera: %s\n' "$*"; }

port() { echo $((BASE_PORT + $1 - 1)); }
gcomm() { echo $((4566 + $1)); }
node_dir() { echo "$DIR/node$1"; }
sock() { echo "$(node_dir "$1")/mysqld.sock"; }
pidfile() { echo "$(node_dir "$1")/mysqld.pid"; }

# node_pid N: print the pid of node N's mariadbd when it runs. The pid file
# appears only after a joiner's state transfer, so launch records the pid
# of the process it started as well.
node_pid() {
	local f pid
	for f in "$(pidfile "$1")" "$(node_dir "$1")/launch.pid"; do
		[[ -f $f ]] || continue
		pid=$(<"$f")
		if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
			printf '%s\n' "$pid"
			return 0
		fi
	done
	return 1
}

node_sql() { mariadb --no-defaults -uroot -S "$(sock "$1")" -N -B -e "$2"; }
node_state() { node_sql "$1" "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | awk '{print $2}'; }

write_cnf() {
	local n=$1 d
	d=$(node_dir "$n")
	mkdir -p "$d/data"
	cat >"$d/my.cnf" <<-CNF
		[mysqld]
		user = mysql
		datadir = $d/data
		socket = $d/mysqld.sock
		pid-file = $d/mysqld.pid
		log-error = $d/error.log
		port = $(port "$n")
		bind-address = 127.0.0.1
		skip-name-resolve
		binlog_format = ROW
		default_storage_engine = InnoDB
		innodb_autoinc_lock_mode = 2
		innodb_buffer_pool_size = 32M
		innodb_log_file_size = 16M
		innodb_flush_log_at_trx_commit = 2
		key_buffer_size = 1M
		performance_schema = OFF
		max_connections = 200
		wsrep_on = ON
		wsrep_provider = $PROVIDER
		wsrep_cluster_name = sqlmodel_galera
		wsrep_node_name = node$n
		wsrep_node_address = 127.0.0.1:$(gcomm "$n")
		wsrep_cluster_address = gcomm://127.0.0.1:$(gcomm 1),127.0.0.1:$(gcomm 2),127.0.0.1:$(gcomm 3)
		wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$(gcomm "$n");ist.recv_addr=127.0.0.1:$((4576 + n));gcache.size=32M"
		wsrep_sst_method = rsync
		wsrep_sst_receive_address = 127.0.0.1:$((4443 + n))
	CNF
}

# launch N [ARGS...]: start node N's mariadbd in the background.
launch() {
	local n=$1
	shift
	local d
	d=$(node_dir "$n")
	# --defaults-file must come first.
	/usr/sbin/mariadbd --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/mariadbd.out" 2>&1 &
	echo $! >"$d/launch.pid"
}

wait_synced() {
	local n=$1 i
	for ((i = 0; i < 1200; i++)); do
		[[ "$(node_state "$n")" == Synced ]] && return 0
		if ((i > 20)) && ! node_pid "$n" >/dev/null; then
			break
		fi
		sleep 0.1
	done
	tail -n 40 "$(node_dir "$n")/error.log" >&2 || true
	die "node $n did not reach Synced"
}

all_synced() {
	local n
	for n in "${NODES[@]}"; do
		node_pid "$n" >/dev/null || return 1
		[[ "$(node_state "$n")" == Synced ]] || return 1
	done
}

start() {
	if all_synced; then
		say "already running on 127.0.0.1:$(port 1)-$(port 3)"
		return
	fi
	[[ -x /usr/sbin/mariadbd ]] || die "mariadbd not found (Debian package mariadb-server)"
	[[ -f $PROVIDER ]] || die "$PROVIDER not found (Debian package galera-4)"
	command -v rsync >/dev/null || die "rsync not found (state transfer)"
	[[ $EUID -eq 0 ]] || die "run as root (mariadbd switches to the mysql user)"
	# A half-started cluster from an earlier run: start afresh.
	stop_nodes
	local n p
	for n in "${NODES[@]}"; do
		for p in $(port "$n") $(gcomm "$n") $((4576 + n)) $((4443 + n)); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
				die "port $p is in use by another program"
			fi
		done
	done
	rm -rf "$DIR"
	mkdir -p "$DIR"
	chmod 0755 "$ROOT" "$DIR" 2>/dev/null || true
	for n in "${NODES[@]}"; do
		write_cnf "$n"
	done
	chown -R mysql:mysql "$DIR"
	local t0=$SECONDS
	mariadb-install-db --defaults-file="$(node_dir 1)/my.cnf" --user=mysql \
		--skip-test-db >"$(node_dir 1)/install.log" 2>&1 ||
		{ tail -n 30 "$(node_dir 1)/install.log" >&2; die "mariadb-install-db failed"; }
	launch 1 --wsrep-new-cluster
	wait_synced 1
	node_sql 1 "CREATE USER IF NOT EXISTS 'ci'@'127.0.0.1' IDENTIFIED BY '';
		GRANT ALL PRIVILEGES ON *.* TO 'ci'@'127.0.0.1' WITH GRANT OPTION;" ||
		die "cannot create the user ci@127.0.0.1"
	for n in 2 3; do
		launch "$n"
		wait_synced "$n"
	done
	say "3 nodes Synced on 127.0.0.1:$(port 1)-$(port 3) in $((SECONDS - t0)) s (cluster size $(node_sql 1 "SHOW STATUS LIKE 'wsrep_cluster_size'" | awk '{print $2}'))"
}

# stop_nodes: SIGTERM every running node at once, wait, SIGKILL leftovers.
stop_nodes() {
	local n pids=() pid i
	for n in "${NODES[@]}"; do
		if pid=$(node_pid "$n"); then
			pids+=("$pid")
		fi
	done
	((${#pids[@]} > 0)) || return 0
	kill -TERM "${pids[@]}" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do
		local alive=0
		for pid in "${pids[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		((alive)) || return 0
		sleep 0.1
	done
	kill -KILL "${pids[@]}" 2>/dev/null || true
}

stop() {
	if [[ -d $DIR ]]; then
		stop_nodes
		say "stopped"
	fi
	rm -rf "$DIR"
	rmdir "$ROOT" 2>/dev/null || true
}

status() {
	local n rc=0 st
	for n in "${NODES[@]}"; do
		if node_pid "$n" >/dev/null; then
			st=$(node_state "$n")
			say "node $n on 127.0.0.1:$(port "$n"): ${st:-not answering}"
			[[ $st == Synced ]] || rc=1
		else
			say "node $n: not running"
			rc=3
		fi
	done
	return "$rc"
}

# node_arg N: check a node number argument.
node_arg() {
	[[ ${1:-} =~ ^[123]$ ]] || die "node number 1, 2 or 3 expected, got '${1:-}'"
}

stop_node() {
	node_arg "${1:-}"
	local pid i
	pid=$(node_pid "$1") || { say "node $1 is not running"; return 0; }
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || { say "node $1 stopped"; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	say "node $1 killed after 30 s"
}

start_node() {
	node_arg "${1:-}"
	[[ -f $(node_dir "$1")/my.cnf ]] || die "no cluster in $DIR (use start)"
	if ! node_pid "$1" >/dev/null; then
		launch "$1"
	fi
	wait_synced "$1"
	say "node $1 Synced"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
stop-node) stop_node "${2:-}" ;;
start-node) start_node "${2:-}" ;;
dsns) printf 'ci@tcp(127.0.0.1:%s)/,ci@tcp(127.0.0.1:%s)/,ci@tcp(127.0.0.1:%s)/\n' "$(port 1)" "$(port 2)" "$(port 3)" ;;
*)
	echo "usage: $0 start|stop|status|dsns|stop-node N|start-node N" >&2
	exit 2
	;;
esac
