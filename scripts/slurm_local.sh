#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests and for trying batch files (docs/distributed.md "Slurm").
#
#   scripts/slurm_local.sh start [DIR]   configure and start munged, slurmctld and slurmd; prints the SLURM_CONF to use
#   scripts/slurm_local.sh stop  [DIR]   stop the three daemons started from DIR and delete DIR
#   scripts/slurm_local.sh env   [DIR]   print `export SLURM_CONF=...` for DIR
#
# DIR (default $SEGMENTER_SLURM_DIR or /tmp/segmenter-slurm) holds everything: slurm.conf, the munge key and socket,
# pid, log, spool and state files. Nothing under /etc, /run or /var is written and systemd is not needed. Clients
# (sbatch, srun, scontrol, squeue) find this cluster through SLURM_CONF=DIR/slurm.conf.
#
# Debian 12's slurm-wlm 22.05 and munge; root is required (slurmd starts the jobs' processes as their user). Without
# cgroups or systemd: ProctrackType=proctrack/linuxproc (process tree), TaskPlugin=task/none (no binding). One node
# (this host, its cores), one partition, KillWait 10 s (the grace between SIGTERM and SIGKILL; 30 s by default), CredExpire 5 s (how
# long a requeued job waits before it may start again; Slurm's default 120 s), so a test sees a requeue in seconds.
# `start` first stops what an earlier start from DIR left behind (a test that died), so a start always begins clean.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"   # munged, slurmctld and slurmd live in sbin

cmd=${1:-}
dir=${2:-${SEGMENTER_SLURM_DIR:-/tmp/segmenter-slurm}}
ctld_port=${SEGMENTER_SLURM_PORT:-6817}

die() { echo "slurm_local.sh: $*" >&2; exit 2; }

stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

stop() {
  [ -d "$dir" ] || return 0
  # Job processes first (slurmstepd and what it started are children of slurmd, re-parented when it stops).
  if [ -f "$dir/slurm.conf" ] && command -v scancel >/dev/null 2>&1; then
    SLURM_CONF="$dir/slurm.conf" timeout 5 scancel --full --quiet -u root >/dev/null 2>&1 || true
  fi
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  # What outlived slurmd: its slurmstepd processes (started with this cluster's SLURM_CONF) and job processes (which
  # also carry a SLURM_JOB_ID). The caller's own processes carry SLURM_CONF at most, and are left alone.
  local p env
  for p in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$p" = $$ ] && continue
    env=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/environ") 2>/dev/null || continue
    grep -qx "SLURM_CONF=$dir/slurm.conf" <<<"$env" || continue
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ] || grep -q '^SLURM_JOB_ID=' <<<"$env"; then
      kill -KILL "$p" 2>/dev/null || true
    fi
  done
  stop_pidfile "$dir/munge/munged.pid"
  rm -rf "$dir"
}

start() {
  [ "$(id -u)" = 0 ] || die "needs root (slurmd runs the jobs; try sudo)"
  for b in munged slurmctld slurmd sbatch srun scontrol; do
    command -v "$b" >/dev/null 2>&1 || die "$b not found: apt-get install slurm-wlm munge (scripts/test.sh installs them)"
  done
  stop
  mkdir -p "$dir"/{munge,state,spool,log}
  chmod 0700 "$dir" "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$dir/munge/munge.key"
  # --force: the key and socket are root's, in a root-only dir under /tmp (munged warns about /tmp's sticky bit).
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" 2>>"$dir/log/munged.log" \
    || die "munged did not start (see $dir/log/munged.log)"

  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc --all)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm_local.sh: a one-node test cluster.
ClusterName=segmenter
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=5
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1,sched_min_interval=100000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
JobRequeue=1
KillWait=10
MinJobAge=300
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=20
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -i || die "slurmctld did not start (see $dir/log/slurmctld.log)"
  slurmd || die "slurmd did not start (see $dir/log/slurmd.log)"
  # Ready when the node is idle (slurmd registered with slurmctld).
  for _ in $(seq 100); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$state" in idle*|mixed*|allocated*) echo "export SLURM_CONF=$SLURM_CONF"; return 0 ;; esac
    sleep 0.2
  done
  echo "slurm_local.sh: the node did not become idle (state '${state:-}'); logs:" >&2
  tail -n 20 "$dir"/log/*.log >&2 || true
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env) echo "export SLURM_CONF=$dir/slurm.conf" ;;
  *) die "usage: scripts/slurm_local.sh start|stop|env [DIR]" ;;
esac
