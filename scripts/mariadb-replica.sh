#!/usr/bin/env bash
# A local MariaDB PRIMARY and a REPLICA of it (binlog + GTID), each its own mariadbd with its own data
# folder, socket, pid file and TCP port on 127.0.0.1. Never touches the machine's own MariaDB (3306).
#
#   scripts/mariadb-replica.sh start    # install both data folders, start both, replicate, wait until running
#   scripts/mariadb-replica.sh status   # each server's pid/port, the replica's Slave_IO_Running/Slave_SQL_Running
#   scripts/mariadb-replica.sh check    # a write on the primary, a read on the replica, each server's counters
#   scripts/mariadb-replica.sh stop     # stop exactly what start started (by pid file), wait, remove the folders
#
# Environment (defaults in brackets):
#   MARIADB_REPLICA_DIR [/tmp/sag-mariadb-replica]  everything lives under it; removed by stop
#   PRIMARY_PORT [3407]  REPLICA_PORT [3408]         TCP ports on 127.0.0.1
#   MARIADBD [/usr/sbin/mariadbd]  MARIADB_INSTALL_DB [mariadb-install-db]  MARIADB [mariadb]
#   START_TIMEOUT [60]  STOP_TIMEOUT [60]           seconds
#
# Both servers accept root@127.0.0.1 (and root@localhost on the socket) with no password and have a
# database `test`, so DATABASE_URL=mysql://root@127.0.0.1:3407/test reaches the primary and
# mysql://root@127.0.0.1:3408/test the replica.
set -euo pipefail

BASE_DIR="${MARIADB_REPLICA_DIR:-/tmp/sag-mariadb-replica}"
PRIMARY_PORT="${PRIMARY_PORT:-3407}"
REPLICA_PORT="${REPLICA_PORT:-3408}"
MARIADBD="${MARIADBD:-/usr/sbin/mariadbd}"
MARIADB_INSTALL_DB="${MARIADB_INSTALL_DB:-mariadb-install-db}"
MARIADB="${MARIADB:-mariadb}"
START_TIMEOUT="${START_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-60}"
MARKER=".sag-mariadb-replica"
REPL_USER="repl"
REPL_PASSWORD="repl-local-only"

die() {
  echo "mariadb-replica: $*" >&2
  exit 1
}
say() { echo "mariadb-replica: $*"; }

for port in "$PRIMARY_PORT" "$REPLICA_PORT"; do
  [[ "$port" =~ ^[0-9]+$ ]] || die "ports must be numbers (got '$port')"
  [[ "$port" != 3306 ]] || die "port 3306 is the machine's own MariaDB: choose another"
done
[[ "$PRIMARY_PORT" != "$REPLICA_PORT" ]] || die "PRIMARY_PORT and REPLICA_PORT must differ"
case "$BASE_DIR" in
  /*) ;;
  *) die "MARIADB_REPLICA_DIR must be an absolute path (got '$BASE_DIR')" ;;
esac
[[ "$BASE_DIR" != "/" ]] || die "MARIADB_REPLICA_DIR must not be /"

node_dir() { echo "$BASE_DIR/$1"; }
port_of() { if [[ "$1" == primary ]]; then echo "$PRIMARY_PORT"; else echo "$REPLICA_PORT"; fi; }
server_id_of() { if [[ "$1" == primary ]]; then echo 1; else echo 2; fi; }
sock_of() { echo "$(node_dir "$1")/mariadbd.sock"; }
pidfile_of() { echo "$(node_dir "$1")/mariadbd.pid"; }
cnf_of() { echo "$(node_dir "$1")/my.cnf"; }

# The client, on the node's own socket, never reading /etc/mysql (whose socket is the machine's server).
sql() {
  local node="$1"
  shift
  "$MARIADB" --no-defaults --protocol=socket -S "$(sock_of "$node")" -uroot "$@"
}

# The pid of a node's mariadbd if it runs and is ours (its command line names our defaults file), else nothing.
running_pid() {
  local node="$1" pidfile pid
  pidfile="$(pidfile_of "$node")"
  [[ -f "$pidfile" ]] || return 0
  pid="$(tr -dc '0-9' <"$pidfile")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--defaults-file=$(cnf_of "$node")"; then
    echo "$pid"
  fi
}

port_in_use() {
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

write_cnf() {
  local node="$1" dir port id
  dir="$(node_dir "$node")"
  port="$(port_of "$node")"
  id="$(server_id_of "$node")"
  {
    echo "[mariadbd]"
    echo "datadir = $dir/data"
    echo "socket = $dir/mariadbd.sock"
    echo "pid-file = $dir/mariadbd.pid"
    echo "log-error = $dir/error.log"
    echo "port = $port"
    echo "bind-address = 127.0.0.1"
    echo "skip-name-resolve"
    echo "character-set-server = utf8mb4"
    echo "collation-server = utf8mb4_general_ci"
    echo "default-storage-engine = InnoDB"
    echo "innodb-buffer-pool-size = 128M"
    echo "innodb-log-file-size = 48M"
    echo "max-connections = 300"
    echo "server-id = $id"
    echo "gtid-strict-mode = 1"
    echo "binlog-format = ROW"
    if [[ "$node" == primary ]]; then
      echo "log-bin = $dir/data/primary-bin"
    else
      echo "relay-log = $dir/data/replica-relay-bin"
      echo "read-only = 1"
      echo "skip-slave-start = 1"
    fi
  } >"$(cnf_of "$node")"
}

start_node() {
  local node="$1" dir port pid waited=0
  dir="$(node_dir "$node")"
  port="$(port_of "$node")"
  mkdir -p "$dir/data"
  write_cnf "$node"
  local user_opt=()
  [[ "$(id -u)" != 0 ]] || user_opt=(--user=root)
  if [[ ! -d "$dir/data/mysql" ]]; then
    "$MARIADB_INSTALL_DB" --defaults-file="$(cnf_of "$node")" "${user_opt[@]}" --auth-root-authentication-method=normal \
      --skip-test-db >"$dir/install.log" 2>&1 || die "mariadb-install-db failed for $node: see $dir/install.log"
  fi
  # Own process group and no controlling terminal: a Ctrl-C in the caller's shell does not reach it.
  setsid "$MARIADBD" --defaults-file="$(cnf_of "$node")" "${user_opt[@]}" </dev/null >>"$dir/stdout.log" 2>&1 &
  local started=$!
  while :; do
    kill -0 "$started" 2>/dev/null || die "$node exited during its start: see $dir/error.log"
    pid="$(running_pid "$node")"
    if [[ -n "$pid" ]] && "$MARIADB" --no-defaults --protocol=socket -S "$(sock_of "$node")" -uroot -e "SELECT 1" >/dev/null 2>&1; then
      break
    fi
    ((waited < START_TIMEOUT * 2)) || die "$node did not answer within ${START_TIMEOUT}s: see $dir/error.log"
    sleep 0.5
    waited=$((waited + 1))
  done
  say "$node up: pid $pid, 127.0.0.1:$port, socket $(sock_of "$node")"
}

# root@127.0.0.1 with no password, like the machine's own MariaDB; kept out of the binlog.
local_users() {
  sql "$1" <<'SQL'
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
}

cmd_start() {
  local p r
  p="$(running_pid primary)"
  r="$(running_pid replica)"
  if [[ -n "$p" && -n "$r" ]]; then
    say "already running (primary pid $p, replica pid $r): nothing to do"
    cmd_status
    return 0
  fi
  [[ -z "$p" && -z "$r" ]] || die "only one of the two servers runs (primary '${p}', replica '${r}'): run stop first"
  if [[ -d "$BASE_DIR" && ! -f "$BASE_DIR/$MARKER" && -n "$(ls -A "$BASE_DIR")" ]]; then
    die "$BASE_DIR exists, is not empty and is not ours: choose another MARIADB_REPLICA_DIR"
  fi
  for port in "$PRIMARY_PORT" "$REPLICA_PORT"; do
    ! port_in_use "$port" || die "127.0.0.1:$port is already in use"
  done
  mkdir -p "$BASE_DIR"
  touch "$BASE_DIR/$MARKER"

  start_node primary
  local_users primary
  sql primary <<SQL
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
GRANT REPLICATION SLAVE, SLAVE MONITOR ON *.* TO '$REPL_USER'@'127.0.0.1';
SET SESSION sql_log_bin = 1;
CREATE DATABASE IF NOT EXISTS test;
SQL

  start_node replica
  local_users replica
  sql replica <<SQL
STOP SLAVE;
CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PRIMARY_PORT, MASTER_USER='$REPL_USER',
  MASTER_PASSWORD='$REPL_PASSWORD', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos;
START SLAVE;
SQL

  local waited=0 io sqlr
  while :; do
    io="$(slave_field Slave_IO_Running)"
    sqlr="$(slave_field Slave_SQL_Running)"
    [[ "$io" != Yes || "$sqlr" != Yes ]] || break
    ((waited < START_TIMEOUT * 2)) || die "replication did not start within ${START_TIMEOUT}s (IO '$io', SQL '$sqlr'): see $(node_dir replica)/error.log"
    sleep 0.5
    waited=$((waited + 1))
  done
  # The replica has `test` once it has applied the primary's binlog so far.
  waited=0
  until [[ "$(sql replica -N -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='test'")" == 1 ]]; do
    ((waited < START_TIMEOUT * 2)) || die "the replica did not receive database test within ${START_TIMEOUT}s"
    sleep 0.5
    waited=$((waited + 1))
  done
  say "replicating: primary 127.0.0.1:$PRIMARY_PORT -> replica 127.0.0.1:$REPLICA_PORT (GTID slave_pos)"
  cmd_status
}

slave_field() {
  { sql replica -e "SHOW SLAVE STATUS\G" 2>/dev/null || true; } | awk -v f="$1" -F': ' '$1 ~ "^ *"f"$" { print $2 }'
}

cmd_status() {
  local node pid any=0
  for node in primary replica; do
    pid="$(running_pid "$node")"
    if [[ -n "$pid" ]]; then
      any=1
      echo "$node: running, pid $pid, 127.0.0.1:$(port_of "$node"), gtid_current_pos $(sql "$node" -N -e "SELECT @@gtid_current_pos")"
    else
      echo "$node: not running"
    fi
  done
  if [[ -n "$(running_pid replica)" ]]; then
    echo "Slave_IO_Running: $(slave_field Slave_IO_Running)"
    echo "Slave_SQL_Running: $(slave_field Slave_SQL_Running)"
    echo "Seconds_Behind_Master: $(slave_field Seconds_Behind_Master)"
    local err
    err="$(slave_field Last_Error)"
    [[ -z "$err" ]] || echo "Last_Error: $err"
    err="$(slave_field Last_IO_Error)"
    [[ -z "$err" ]] || echo "Last_IO_Error: $err"
  fi
  ((any)) || return 3
}

# Each server's own statement counters (SHOW GLOBAL STATUS): Com_insert, Com_select.
counter() { sql "$1" -N -e "SHOW GLOBAL STATUS LIKE '$2'" | awk '{ print $2 }'; }

cmd_check() {
  [[ -n "$(running_pid primary)" && -n "$(running_pid replica)" ]] || die "not running: run start first"
  local pi0 ps0 ri0 rs0 pi1 ps1 ri1 rs1 token got waited=0
  token="check-$$-$RANDOM"
  sql primary -e "CREATE TABLE IF NOT EXISTS test.replica_check (id INT AUTO_INCREMENT PRIMARY KEY, token VARCHAR(64) NOT NULL) ENGINE=InnoDB"
  until [[ "$(sql replica -N -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='test' AND TABLE_NAME='replica_check'")" == 1 ]]; do
    ((waited < 20)) || die "test.replica_check did not reach the replica"
    sleep 0.5
    waited=$((waited + 1))
  done
  pi0="$(counter primary Com_insert)"
  ps0="$(counter primary Com_select)"
  ri0="$(counter replica Com_insert)"
  rs0="$(counter replica Com_select)"
  sql primary -e "INSERT INTO test.replica_check (token) VALUES ('$token')"
  waited=0
  while :; do
    got="$(sql replica -N -e "SELECT COUNT(*) FROM test.replica_check WHERE token='$token'")"
    [[ "$got" != 1 ]] || break
    ((waited < 20)) || die "the row written on the primary did not reach the replica"
    sleep 0.25
    waited=$((waited + 1))
  done
  # Counters read after the work; each SHOW STATUS is itself a Com_show_status, not a Com_select.
  pi1="$(counter primary Com_insert)"
  ps1="$(counter primary Com_select)"
  ri1="$(counter replica Com_insert)"
  rs1="$(counter replica Com_select)"
  echo "primary: Com_insert +$((pi1 - pi0)), Com_select +$((ps1 - ps0))"
  # With ROW binlogs the replica's SQL thread counts each applied Write_rows event as a Com_insert too:
  # the replica's Com_insert follows the primary's, its Com_select is its own clients'.
  echo "replica: Com_insert +$((ri1 - ri0)) (applied from the primary's binlog), Com_select +$((rs1 - rs0))"
  sql primary -e "DROP TABLE test.replica_check"
  (((pi1 - pi0) == 1 && (ri1 - ri0) == 1 && (rs1 - rs0) >= 1 && (ps1 - ps0) == 0)) || die "counters not as expected"
  say "check passed: the write ran on the primary, the read on the replica"
}

stop_node() {
  local node="$1" pid waited=0
  pid="$(running_pid "$node")"
  if [[ -z "$pid" ]]; then
    say "$node: not running"
    return 0
  fi
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT * 2)); then
      say "$node (pid $pid) still runs after ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  say "$node (pid $pid) stopped"
}

cmd_stop() {
  # The replica first: it would otherwise keep reconnecting to a primary that is gone.
  stop_node replica
  stop_node primary
  if [[ -d "$BASE_DIR" ]]; then
    if [[ -f "$BASE_DIR/$MARKER" ]]; then
      rm -rf -- "$BASE_DIR"
      say "removed $BASE_DIR"
    else
      say "$BASE_DIR is not ours (no $MARKER): left in place"
    fi
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  check) cmd_check ;;
  *)
    echo "usage: $0 start|stop|status|check" >&2
    exit 2
    ;;
esac
