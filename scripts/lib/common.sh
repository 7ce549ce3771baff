# What the service scripts share. Source it after setting SCRIPT_NAME (the log prefix).

log() { printf '[%s] %s\n' "$SCRIPT_NAME" "$*"; }

die() {
  printf '[%s] ERROR: %s\n' "$SCRIPT_NAME" "$*" >&2
  exit 1
}

# True when something accepts TCP connections on 127.0.0.1:<port>.
# Uses bash's /dev/tcp so it needs neither nc nor curl.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# close_inherited_fds: closes every descriptor of the current shell above stderr. Call it in
# the subshell that execs a service: a service lives on after the shell that started it and
# keeps what it inherits, so started from under `flock`, or from a pipe a CI runner waits on,
# it would hold that lock or pipe open for as long as it runs.
close_inherited_fds() {
  local fd
  for fd in $(ls /proc/$BASHPID/fd); do
    if ((fd > 2)); then eval "exec $fd>&-"; fi
  done 2>/dev/null
}
