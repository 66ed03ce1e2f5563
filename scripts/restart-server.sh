#!/usr/bin/env bash
# Restart (or start) the CI machine's own database servers, as .ci/run runs
# them, and wait until they answer again. Used by the restart step of
# .ci/run (orm/restart_test.go, TestRestartRunInTx, issue 22).
#
#   bash scripts/restart-server.sh postgres [restart|start]
#   bash scripts/restart-server.sh mariadb  [restart|start]
#
# restart (the default) stops the server and starts it again; start starts
# it only when it does not answer. Never run this where other people use
# these servers: it ends every connection.
#
# MariaDB can be pointed elsewhere (for trying the script on a private
# instance): MY_PORT (3306), MY_PID_FILE (/run/mysqld/mysqld.pid),
# MY_DEFAULTS_FILE (none: mariadbd reads the system configuration),
# MY_OUTPUT (/var/log/mysql/ci-mariadbd.out, mariadbd's stdout and stderr).
set -euo pipefail

SUDO=
if [[ $EUID -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
	SUDO="sudo -n"
fi

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local i
	for ((i = 0; i < secs * 5; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	printf 'restart-server: %s not ready after %ss\n' "$what" "$secs" >&2
	return 1
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432; }

postgres() {
	local action=$1 version
	version=$(ls /etc/postgresql | sort -V | tail -n 1)
	if [[ $action == start ]]; then
		pg_ready && return 0
		$SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
	else
		$SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main restart -m fast
	fi
	wait_for 60 PostgreSQL pg_ready
}

MY_PORT=${MY_PORT:-3306}
MY_PID_FILE=${MY_PID_FILE:-/run/mysqld/mysqld.pid}
my_alive() { mysqladmin --no-defaults --protocol=tcp -h127.0.0.1 -P"$MY_PORT" -uroot ping; }

mariadb_start() {
	local args=()
	if [[ -n ${MY_DEFAULTS_FILE:-} ]]; then
		args=("--defaults-file=$MY_DEFAULTS_FILE") # must come first
	fi
	[[ -d /run/mysqld ]] || $SUDO install -d -m 0755 -o mysql -g mysql /run/mysqld
	$SUDO start-stop-daemon --start --oknodo --background --pidfile "$MY_PID_FILE" \
		--output "${MY_OUTPUT:-/var/log/mysql/ci-mariadbd.out}" \
		--exec /usr/sbin/mariadbd -- "${args[@]}" --user=mysql
}

mariadb() {
	local action=$1 pid
	if [[ $action == start ]]; then
		my_alive >/dev/null 2>&1 && return 0
	else
		pid=$($SUDO cat "$MY_PID_FILE" 2>/dev/null || true)
		if ! mysqladmin --no-defaults --protocol=tcp -h127.0.0.1 -P"$MY_PORT" -uroot shutdown && [[ -n $pid ]]; then
			$SUDO kill "$pid" || true
		fi
		if [[ -n $pid ]]; then
			wait_for 60 "MariaDB shutdown (pid $pid)" bash -c "! $SUDO kill -0 $pid"
		fi
	fi
	mariadb_start
	wait_for 60 MariaDB my_alive
}

server=${1:?usage: restart-server.sh postgres|mariadb [restart|start]}
action=${2:-restart}
case $action in restart | start) ;; *) echo "restart-server: unknown action $action" >&2; exit 2 ;; esac
case $server in
postgres) postgres "$action" ;;
mariadb) mariadb "$action" ;;
*) echo "restart-server: unknown server $server" >&2; exit 2 ;;
esac
