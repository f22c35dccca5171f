#!/usr/bin/env bash
# A local three-node MariaDB Galera cluster (multi-primary, synchronous) on 127.0.0.1, each node its own
# mariadbd with its own data folder, socket, pid file and ports. Never touches the machine's MariaDB (3306).
#
#   scripts/galera.sh start    # node 1 bootstraps (--wsrep-new-cluster), nodes 2 and 3 join by rsync SST;
#                              # returns once every node reports wsrep_cluster_size=3 and Synced
#   scripts/galera.sh status   # each node's pid, wsrep_cluster_size and wsrep_local_state_comment
#   scripts/galera.sh stop     # stop exactly what start started (by pid file), wait, remove the folders
#
# Environment (defaults in brackets), node i = 1, 2, 3:
#   GALERA_DIR [/tmp/sag-galera]             everything lives under it; removed by stop
#   GALERA_SQL_PORT_BASE [3510]              node i's SQL port is base+i:        3511 3512 3513
#   GALERA_GCOMM_PORT_BASE [4510]            group communication (gcomm):        4511 4512 4513
#   GALERA_IST_PORT_BASE [4530]              incremental state transfer:         4531 4532 4533
#   GALERA_SST_PORT_BASE [4540]              state snapshot transfer (rsync):    4541 4542 4543
#   GALERA_PROVIDER [/usr/lib/galera/libgalera_smm.so]   GALERA_SST_METHOD [rsync]
#   MARIADBD [/usr/sbin/mariadbd]  MARIADB_INSTALL_DB [mariadb-install-db]  MARIADB [mariadb]
#   START_TIMEOUT [120]  STOP_TIMEOUT [60]   seconds, per node
#
# Every node accepts root@127.0.0.1 (and root@localhost on its socket) with no password and has a
# database `test`: DATABASE_URL=mysql://root@127.0.0.1:3511/test reaches node 1.
set -euo pipefail

BASE_DIR="${GALERA_DIR:-/tmp/sag-galera}"
SQL_BASE="${GALERA_SQL_PORT_BASE:-3510}"
GCOMM_BASE="${GALERA_GCOMM_PORT_BASE:-4510}"
IST_BASE="${GALERA_IST_PORT_BASE:-4530}"
SST_BASE="${GALERA_SST_PORT_BASE:-4540}"
PROVIDER="${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}"
SST_METHOD="${GALERA_SST_METHOD:-rsync}"
MARIADBD="${MARIADBD:-/usr/sbin/mariadbd}"
MARIADB_INSTALL_DB="${MARIADB_INSTALL_DB:-mariadb-install-db}"
MARIADB="${MARIADB:-mariadb}"
START_TIMEOUT="${START_TIMEOUT:-120}"
STOP_TIMEOUT="${STOP_TIMEOUT:-60}"
CLUSTER_NAME="sag-local-galera"
MARKER=".sag-galera"
NODES=(1 2 3)

die() {
  echo "galera: $*" >&2
  exit 1
}
say() { echo "galera: $*"; }

for base in "$SQL_BASE" "$GCOMM_BASE" "$IST_BASE" "$SST_BASE"; do
  [[ "$base" =~ ^[0-9]+$ ]] || die "port bases must be numbers (got '$base')"
done
case "$BASE_DIR" in
  /*) ;;
  *) die "GALERA_DIR must be an absolute path (got '$BASE_DIR')" ;;
esac
[[ "$BASE_DIR" != "/" ]] || die "GALERA_DIR must not be /"
[[ -f "$PROVIDER" ]] || die "no Galera provider at $PROVIDER (dpkg -L galera-4)"

sql_port() { echo $((SQL_BASE + $1)); }
gcomm_port() { echo $((GCOMM_BASE + $1)); }
ist_port() { echo $((IST_BASE + $1)); }
sst_port() { echo $((SST_BASE + $1)); }
all_ports() {
  local i
  for i in "${NODES[@]}"; do
    echo "$(sql_port "$i") $(gcomm_port "$i") $(ist_port "$i") $(sst_port "$i")"
  done | tr ' ' '\n'
}
# Every port distinct and none of them 3306.
check_ports() {
  local ports dup
  ports="$(all_ports)"
  dup="$(sort <<<"$ports" | uniq -d)"
  [[ -z "$dup" ]] || die "port bases collide (ports used twice: $(echo "$dup" | tr '\n' ' '))"
  ! grep -qx 3306 <<<"$ports" || die "port 3306 is the machine's own MariaDB: choose other bases"
}
check_ports

node_dir() { echo "$BASE_DIR/node$1"; }
sock_of() { echo "$(node_dir "$1")/mariadbd.sock"; }
pidfile_of() { echo "$(node_dir "$1")/mariadbd.pid"; }
cnf_of() { echo "$(node_dir "$1")/my.cnf"; }

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

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# A node's status variable, or nothing while it does not answer.
wsrep_status() { { sql "$1" -N -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null || true; } | awk '{ print $2 }'; }

write_cnf() {
  local i="$1" dir cluster=""
  dir="$(node_dir "$i")"
  local j
  for j in "${NODES[@]}"; do cluster+="${cluster:+,}127.0.0.1:$(gcomm_port "$j")"; done
  cat >"$(cnf_of "$i")" <<CNF
[mariadbd]
datadir = $dir/data
socket = $dir/mariadbd.sock
pid-file = $dir/mariadbd.pid
log-error = $dir/error.log
port = $(sql_port "$i")
bind-address = 127.0.0.1
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
innodb-buffer-pool-size = 128M
innodb-log-file-size = 48M
max-connections = 300
server-id = $i

# Galera's requirements
binlog-format = ROW
default-storage-engine = InnoDB
innodb-autoinc-lock-mode = 2
# Durability comes from the cluster (a commit is on every node); each node flushes its log once a second.
innodb-flush-log-at-trx-commit = 2

[galera]
wsrep-on = ON
wsrep-provider = $PROVIDER
wsrep-cluster-name = $CLUSTER_NAME
wsrep-cluster-address = gcomm://$cluster
wsrep-node-name = node$i
wsrep-node-address = 127.0.0.1
wsrep-node-incoming-address = 127.0.0.1:$(sql_port "$i")
wsrep-provider-options = "base_host=127.0.0.1;base_port=$(gcomm_port "$i");gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$i");ist.recv_addr=127.0.0.1:$(ist_port "$i");gcache.size=64M"
wsrep-sst-method = $SST_METHOD
wsrep-sst-receive-address = 127.0.0.1:$(sst_port "$i")
wsrep-slave-threads = 2
CNF
}

# Run as root, the nodes run as GALERA_USER (mysql): the rsync daemon a joiner starts for its SST would
# otherwise drop to `nobody` and could not write a root-owned data folder.
RUN_USER="${GALERA_USER:-mysql}"
user_opt() { if [[ "$(id -u)" == 0 ]]; then echo "--user=$RUN_USER"; fi; }

start_node() {
  local i="$1" dir pid waited=0 size state uopt
  shift
  dir="$(node_dir "$i")"
  uopt="$(user_opt)"
  mkdir -p "$dir/data"
  write_cnf "$i"
  if [[ "$(id -u)" == 0 ]]; then chown -R "$RUN_USER:" "$dir"; fi
  # Node 1 gets its system tables from mariadb-install-db; the joiners get everything by SST from a donor.
  if [[ "$i" == 1 && ! -d "$dir/data/mysql" ]]; then
    # shellcheck disable=SC2086 # uopt is empty or one word
    "$MARIADB_INSTALL_DB" --defaults-file="$(cnf_of "$i")" $uopt --auth-root-authentication-method=normal \
      --skip-test-db --wsrep-on=OFF >"$dir/install.log" 2>&1 || die "mariadb-install-db failed for node $i: see $dir/install.log"
  fi
  # Own session: a Ctrl-C in the caller's shell does not reach the node.
  # shellcheck disable=SC2086
  setsid "$MARIADBD" --defaults-file="$(cnf_of "$i")" $uopt "$@" </dev/null >>"$dir/stdout.log" 2>&1 &
  local started=$!
  while :; do
    kill -0 "$started" 2>/dev/null || die "node $i exited during its start: see $dir/error.log"
    pid="$(running_pid "$i")"
    if [[ -n "$pid" ]]; then
      state="$(wsrep_status "$i" wsrep_local_state_comment)"
      [[ "$state" != Synced ]] || break
    fi
    ((waited < START_TIMEOUT * 2)) || die "node $i not Synced within ${START_TIMEOUT}s (state '${state:-}'): see $dir/error.log"
    sleep 0.5
    waited=$((waited + 1))
  done
  size="$(wsrep_status "$i" wsrep_cluster_size)"
  say "node $i up: pid $pid, SQL 127.0.0.1:$(sql_port "$i"), gcomm $(gcomm_port "$i"), cluster size $size, $state"
}

cmd_start() {
  local i pid running=() stopped=()
  for i in "${NODES[@]}"; do
    pid="$(running_pid "$i")"
    if [[ -n "$pid" ]]; then running+=("$i"); else stopped+=("$i"); fi
  done
  if ((${#running[@]} == ${#NODES[@]})); then
    say "already running: nothing to do"
    cmd_status
    return 0
  fi
  ((${#running[@]} == 0)) || die "only nodes ${running[*]} run: run stop first"
  if [[ -d "$BASE_DIR" && ! -f "$BASE_DIR/$MARKER" && -n "$(ls -A "$BASE_DIR")" ]]; then
    die "$BASE_DIR exists, is not empty and is not ours: choose another GALERA_DIR"
  fi
  local port
  for port in $(all_ports); do
    ! port_in_use "$port" || die "127.0.0.1:$port is already in use"
  done
  mkdir -p "$BASE_DIR"
  touch "$BASE_DIR/$MARKER"

  start_node 1 --wsrep-new-cluster
  # Users and grants are replicated by Galera (DDL, total order): the joiners receive them by SST anyway.
  sql 1 <<'SQL'
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS test;
SQL
  start_node 2
  start_node 3

  local waited=0 ok
  while :; do
    ok=1
    for i in "${NODES[@]}"; do
      [[ "$(wsrep_status "$i" wsrep_cluster_size)" == "${#NODES[@]}" && "$(wsrep_status "$i" wsrep_local_state_comment)" == Synced ]] || ok=0
    done
    ((ok == 0)) || break
    ((waited < START_TIMEOUT * 2)) || die "the cluster did not reach size ${#NODES[@]}, all Synced, within ${START_TIMEOUT}s"
    sleep 0.5
    waited=$((waited + 1))
  done
  say "cluster '$CLUSTER_NAME' up: ${#NODES[@]} nodes, all Synced"
  cmd_status
}

cmd_status() {
  local i pid any=0
  for i in "${NODES[@]}"; do
    pid="$(running_pid "$i")"
    if [[ -n "$pid" ]]; then
      any=1
      echo "node $i: pid $pid, 127.0.0.1:$(sql_port "$i"), wsrep_cluster_size $(wsrep_status "$i" wsrep_cluster_size), wsrep_local_state_comment $(wsrep_status "$i" wsrep_local_state_comment), wsrep_ready $(wsrep_status "$i" wsrep_ready)"
    else
      echo "node $i: not running"
    fi
  done
  ((any)) || return 3
}

# An SST helper of one of our nodes: an rsync daemon or a wsrep_sst_* script whose command line names
# a path under our folder.
our_leftovers() {
  local proc pid cmd comm
  for proc in /proc/[0-9]*; do
    pid="${proc#/proc/}"
    comm="$(cat "$proc/comm" 2>/dev/null || true)"
    cmd="$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null || true)"
    [[ "$cmd" == *"$BASE_DIR/"* ]] || continue
    if [[ "$comm" == rsync || "$cmd" == *wsrep_sst_* ]]; then echo "$pid"; fi
  done
}

stop_pid() {
  local what="$1" pid="$2" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT * 2)); then
      say "$what (pid $pid) still runs after ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  say "$what (pid $pid) stopped"
}

cmd_stop() {
  local i pid
  # The last node to leave is the one that bootstrapped.
  for ((i = ${#NODES[@]}; i >= 1; i--)); do
    pid="$(running_pid "$i")"
    if [[ -n "$pid" ]]; then stop_pid "node $i" "$pid"; else say "node $i: not running"; fi
  done
  if [[ -d "$BASE_DIR" ]]; then
    if [[ -f "$BASE_DIR/$MARKER" ]]; then
      # An SST helper (rsync daemon, wsrep_sst_* script) of one of our nodes, should one outlive its node.
      for pid in $(our_leftovers); do
        [[ "$pid" != "$$" ]] || continue
        stop_pid "leftover $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80)" "$pid"
      done
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
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
