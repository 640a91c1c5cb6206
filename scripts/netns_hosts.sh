#!/usr/bin/env bash
# Two simulated machines on this one: network namespaces joined by a veth pair, for the several-host tests
# (docs/distributed.md "Several machines").
#
#   scripts/netns_hosts.sh up     create namespaces segmenter-h0 and segmenter-h1 with 10.231.0.1 and 10.231.0.2
#   scripts/netns_hosts.sh down   delete them (and the veth pair with them); also what `up` does first
#   scripts/netns_hosts.sh agent HOST COMMAND...
#                                 Open MPI's launch agent (--mca plm_rsh_agent): runs the daemon's command line in
#                                 HOST's namespace, as ssh would run it on HOST, with that host's own TMPDIR
#
# The addresses exist only inside the two namespaces (a /24 on the veth pair, nothing else in them but loopback, no
# route out), so the "hosts" reach each other only over TCP across the pair and nothing outside can reach them. The
# filesystem stays shared: the work dir (and the dataset and binaries) are where a cluster's shared filesystem would
# have them. Needs root and iproute2.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
ns=(segmenter-h0 segmenter-h1)
addr=(10.231.0.1 10.231.0.2)

die() { echo "netns_hosts.sh: $*" >&2; exit 2; }

down() {
  local n p
  for n in "${ns[@]}"; do
    if ip netns list 2>/dev/null | grep -qw "$n"; then
      for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
      ip netns delete "$n" 2>/dev/null || true
    fi
  done
  ip link delete segmenter-v0 2>/dev/null || true
}

up() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
  command -v ip >/dev/null 2>&1 || die "ip not found: apt-get install iproute2"
  down
  ip netns add "${ns[0]}"
  ip netns add "${ns[1]}"
  ip link add segmenter-v0 netns "${ns[0]}" type veth peer name segmenter-v1 netns "${ns[1]}"
  for i in 0 1; do
    ip -n "${ns[$i]}" link set lo up
    ip -n "${ns[$i]}" addr add "${addr[$i]}/24" dev "segmenter-v$i"
    ip -n "${ns[$i]}" link set "segmenter-v$i" up
  done
  # Reachable: a TCP connect to a closed port of the other host is refused at once (no ping on a minimal system).
  local said
  said=$(ip netns exec "${ns[0]}" timeout 5 bash -c "exec 3<>/dev/tcp/${addr[1]}/9" 2>&1 || true)
  [[ $said == *refused* ]] || die "the two namespaces cannot reach each other ($said)"
  echo "hosts: ${addr[0]} (netns ${ns[0]}), ${addr[1]} (netns ${ns[1]})"
}

agent() {
  local host=$1; shift
  local i
  for i in 0 1; do
    if [ "$host" = "${addr[$i]}" ]; then
      export TMPDIR="${TMPDIR:-/tmp}/segmenter-host$i"
      mkdir -p "$TMPDIR"
      exec ip netns exec "${ns[$i]}" /bin/sh -c "$*"
    fi
  done
  die "unknown host $host (the hosts are ${addr[*]})"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  agent) shift; agent "$@" ;;
  *) die "usage: scripts/netns_hosts.sh up|down|agent HOST COMMAND..." ;;
esac
