# shellcheck shell=bash
# Shared helpers of the real-mode interop scripts (run_ali_ons.sh, run_ha_master_slave.sh).
# Source it after `set -euo pipefail`; set interop_tag (message prefix) and, if the default of
# 300 s does not fit the test's CTest TIMEOUT, interop_server_cap first. Needs /usr/bin/python3.
#
# Nothing here waits a fixed time: every wait polls (0.1 to 0.2 s) until its condition holds or a
# deadline passes, and says what it waited for when the deadline passes. The default deadline,
# INTEROP_DEADLINE (120 s), is far above what an idle machine needs (well under a second), so a
# loaded machine only makes the test slower, not red.
#
#   start_server <name> <log> <n> <configure> [port...]
#       Starts a server on n freshly picked loopback ports and waits until it accepts connections:
#       see the comment at the function.
#   stop_server <name>       SIGTERM, wait for the exit, fail unless the status is 0.
#   stop_all_servers         For an EXIT trap: SIGTERM every server still running, SIGKILL after
#                            a bounded wait.
#   wait_for <seconds> <what> <command...>
#                            Retries the command every 0.2 s until it succeeds; fails after the
#                            deadline, naming <what>.
#   pick_ports <n>           Prints n distinct loopback ports that are free right now.

interop_tag=${interop_tag:-interop}
interop_deadline=${INTEROP_DEADLINE:-120}
# Servers run under a hard cap (timeout passes SIGTERM on and exits with the server's status), so
# none outlives a test killed from outside. A server still running 30 s after a SIGTERM is killed:
# a graceful stop persists and fsyncs several files, which a loaded CI disk can make slow.
interop_server_cap=${interop_server_cap:-300}
interop_py=/usr/bin/python3
declare -A interop_servers=() # name -> pid (of the `timeout` wrapping the server) still running

interop_fail() {
  echo "$interop_tag: FAIL: $*" >&2
  exit 1
}
interop_say() { echo "$interop_tag: $*"; }

# pick_ports <n>: n distinct ports that 127.0.0.1 can bind now, all held at once while picking.
# They come from below the kernel's ephemeral range (ip_local_port_range), so neither the local
# end of an outgoing connection nor a server binding port 0 can be given one of them between the
# pick and the server's bind; only another test picking the same way can, and start_server then
# retries with new ports. With a too small range below the ephemeral one, the kernel picks.
pick_ports() {
  "$interop_py" - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        eph_lo = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    eph_lo = 32768
lo, hi = 20000, eph_lo - 1
socks, ports = [], []
for _ in range(10000):
    if len(ports) == n:
        break
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(lo, hi) if hi - lo >= 1000 else 0))
    except OSError:
        s.close()
        continue
    socks.append(s)
    ports.append(s.getsockname()[1])
if len(ports) < n:
    sys.exit("pick_ports: found only %d of %d free ports" % (len(ports), n))
print(" ".join(map(str, ports)))
PY
}

# interop_wait_ready <pid> <seconds> <port...>: polls every 0.1 s until every port is in LISTEN
# state on a socket that the process <pid> or one of its descendants holds, and a connection to
# 127.0.0.1:<port> succeeds. Checking the owner matters: when another process took the port, a
# connection would succeed although our server failed to bind. Exit status 0: ready; 3: the
# process exited (or is a zombie); 4: the deadline passed (stderr names the ports not ready).
interop_wait_ready() {
  "$interop_py" - "$@" <<'PY'
import os, socket, sys, time
pid, limit, ports = int(sys.argv[1]), float(sys.argv[2]), [int(p) for p in sys.argv[3:]]
deadline = time.monotonic() + limit

def state(p):
    try:
        with open("/proc/%d/stat" % p) as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None

def tree(root):  # root and its descendants
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = state(int(d))
            if st:
                children.setdefault(int(st[1]), []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out

def listen_inodes(port):
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    c = line.split()
                    if c[3] == "0A" and int(c[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(c[9])
        except OSError:
            pass
    return inodes

def owned_sockets(procs):
    out = set()
    for p in procs:
        try:
            fds = os.listdir("/proc/%d/fd" % p)
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink("/proc/%d/fd/%s" % (p, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(link[8:-1])
    return out

def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False

while True:
    st = state(pid)
    if st is None or st[0] in "ZX":
        sys.exit(3)
    owned = owned_sockets(tree(pid))
    pending = [p for p in ports if not (listen_inodes(p) & owned and accepts(p))]
    if not pending:
        sys.exit(0)
    if time.monotonic() >= deadline:
        print("start_server: not listening on port(s) %s" % " ".join(map(str, pending)), file=sys.stderr)
        sys.exit(4)
    time.sleep(0.1)
PY
}

# interop_alive <pid>: the process exists and is not a zombie (kill -0 succeeds on a zombie).
interop_alive() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] && [ "${stat%% *}" != X ]
}

# interop_kill_group <pid>: SIGKILL to the timeout(1) wrapper <pid> and its process group (the
# wrapper leads its own group, which holds the server), so the server is never left orphaned.
interop_kill_group() {
  kill -KILL -- "-$1" 2>/dev/null || kill -KILL "$1" 2>/dev/null || true
}

# interop_kill <pid>: SIGTERM, SIGKILL (to the group) if still there after 10 s, reap. Never
# fails.
interop_kill() {
  kill -TERM "$1" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while interop_alive "$1" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  interop_kill_group "$1"
  wait "$1" 2>/dev/null || true
}

# start_server <name> <log> <n> <configure> [port...]
#
# Picks n free loopback ports (the given ports instead, on the first attempt) and calls
# `<configure> <port>...`, which writes whatever configuration the server needs and sets
#   server_cmd     the server's command line (an array);
#   server_listen  the ports it must accept connections on to be ready (an array; default: all n;
#                  e.g. a master broker listens on listenPort and haListenPort, a slave only on
#                  listenPort).
# Then starts the command in the background with `--log-dir <log's directory>/logs-<name>` (stdout
# and stderr appended to <log>) and polls until
# it listens on those ports and accepts connections, at most INTEROP_DEADLINE (120 s) over all
# attempts. If the process exits first: when its log says the address was in use (another process
# took a port between the pick and the bind), it retries with new ports, 5 attempts in all;
# otherwise it fails at once with the exit status and the tail of the log. On success sets
# server_pid and server_ports (the ports used) and records the server under <name> for
# stop_server and stop_all_servers. (Locals are prefixed so that they do not hide the caller's
# variables from <configure>.)
start_server() {
  local _ss_name=$1 _ss_log=$2 _ss_n=$3 _ss_configure=$4
  shift 4
  local -a _ss_ports=("$@")
  local _ss_deadline=$((SECONDS + interop_deadline)) _ss_attempt _ss_rc _ss_offset _ss_pid
  local _ss_picked _ss_new
  for _ss_attempt in 1 2 3 4 5; do
    if [ "${#_ss_ports[@]}" -ne "$_ss_n" ]; then
      _ss_picked=$(pick_ports "$_ss_n") || interop_fail "$_ss_name: cannot pick $_ss_n free ports"
      read -r -a _ss_ports <<<"$_ss_picked"
    fi
    server_cmd=()
    server_listen=()
    "$_ss_configure" "${_ss_ports[@]}"
    [ "${#server_cmd[@]}" -gt 0 ] || interop_fail "$_ss_name: $_ss_configure did not set server_cmd"
    [ "${#server_listen[@]}" -gt 0 ] || server_listen=("${_ss_ports[@]}")
    _ss_offset=$(stat -c %s "$_ss_log" 2>/dev/null || echo 0)
    # Each server's log file goes beside <log> (its lines reach <log> through stderr too).
    timeout --kill-after=30 "$interop_server_cap" "${server_cmd[@]}" \
      --log-dir "$(dirname "$_ss_log")/logs-$_ss_name" >>"$_ss_log" 2>&1 &
    _ss_pid=$!
    _ss_rc=0
    interop_wait_ready "$_ss_pid" "$((_ss_deadline > SECONDS ? _ss_deadline - SECONDS : 0))" \
      "${server_listen[@]}" || _ss_rc=$?
    if [ "$_ss_rc" -eq 0 ]; then
      # shellcheck disable=SC2034  # results for the caller
      server_pid=$_ss_pid server_ports=("${_ss_ports[@]}")
      interop_servers[$_ss_name]=$_ss_pid
      return 0
    fi
    if [ "$_ss_rc" -ne 3 ]; then  # the deadline passed (or the check itself failed)
      interop_kill "$_ss_pid"
      echo "--- $_ss_log (last 30 lines)" >&2
      tail -n 30 "$_ss_log" >&2 || true
      interop_fail "$_ss_name did not accept connections on port(s) ${server_listen[*]} within" \
        "${interop_deadline} s of its start (${server_cmd[*]})"
    fi
    _ss_rc=0
    wait "$_ss_pid" || _ss_rc=$?
    _ss_new=$(tail -c +"$((_ss_offset + 1))" "$_ss_log" 2>/dev/null || true)
    if grep -qiE 'already in use|EADDRINUSE' <<<"$_ss_new"; then
      echo "$interop_tag: $_ss_name: a port of ${_ss_ports[*]} was taken before the server" \
        "bound it (attempt $_ss_attempt of 5): $(grep -iE 'in use' <<<"$_ss_new" | tail -n 1)" >&2
      _ss_ports=()
      [ "$SECONDS" -lt "$_ss_deadline" ] || break
      continue
    fi
    echo "--- $_ss_log (last 30 lines)" >&2
    tail -n 30 "$_ss_log" >&2 || true
    interop_fail "$_ss_name exited with status $_ss_rc before it accepted connections" \
      "(${server_cmd[*]})"
  done
  interop_fail "$_ss_name: no attempt to start it succeeded, its ports were taken (see above)"
}

# stop_server <name>: SIGTERM, wait for the process to exit (INTEROP_DEADLINE) and check it
# exited 0.
stop_server() {
  local name=$1 pid=${interop_servers[$1]:?stop_server: no server $1} rc=0
  local deadline=$((SECONDS + interop_deadline)) start=$EPOCHREALTIME
  kill -TERM "$pid"
  while interop_alive "$pid"; do
    [ "$SECONDS" -lt "$deadline" ] ||
      interop_fail "$name did not exit within ${interop_deadline} s of SIGTERM"
    sleep 0.1
  done
  wait "$pid" || rc=$?
  unset "interop_servers[$name]"
  local took
  took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  [ -z "${INTEROP_VERBOSE:-}" ] || echo "$interop_tag: $name exited $rc, $took s after SIGTERM" >&2
  [ "$rc" -eq 0 ] || interop_fail "$name exited with status $rc, $took s after SIGTERM"
}

# stop_all_servers: SIGTERM to all servers still running, SIGKILL (to the wrapper's group) to
# those still there 10 s later.
stop_all_servers() {
  local name deadline=$((SECONDS + 10))
  for name in "${!interop_servers[@]}"; do
    kill -TERM "${interop_servers[$name]}" 2>/dev/null || true
  done
  for name in "${!interop_servers[@]}"; do
    while interop_alive "${interop_servers[$name]}" && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.1
    done
    interop_kill_group "${interop_servers[$name]}"
    wait "${interop_servers[$name]}" 2>/dev/null || true
    unset "interop_servers[$name]"
  done
}

# wait_for <seconds> <what> <command...>: retries the command every 0.2 s until it succeeds.
# (Locals are prefixed so that they do not hide the caller's variables from the command.)
wait_for() {
  local _wf_limit=$1 _wf_what=$2
  shift 2
  local _wf_deadline=$((SECONDS + _wf_limit))
  until "$@"; do
    [ "$SECONDS" -lt "$_wf_deadline" ] ||
      interop_fail "timed out after ${_wf_limit} s waiting for $_wf_what"
    sleep 0.2
  done
}
