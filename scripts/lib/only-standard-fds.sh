# Sourced by the scripts that start long-running services.
#
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
