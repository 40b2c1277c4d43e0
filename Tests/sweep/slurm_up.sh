#!/usr/bin/env bash
# Starts a private single-node Slurm (munge, slurmctld, slurmd) in folder $1,
# on two free ports, and waits until the node is idle. Prints the variables to
# export (SLURM_CONF) and writes $1/pids for slurm_down.sh.
# Needs root and Debian's slurm-wlm and munge (scripts/setup installs them).
set -eu
[ "$(id -u)" -eq 0 ] || { echo "slurm_up: the test Slurm runs its daemons as root; run the tests as root" >&2; exit 1; }
DIR=$(realpath "${1:?usage: slurm_up.sh folder}")
mkdir -p "$DIR"/{state,spool,log}
NODE=$(hostname -s)
# Two free ports of our own, so a Slurm already on this machine (or a test
# run's leftover) is left alone.
read -r CTLD_PORT SLURMD_PORT < <(python3 -c 'import socket
ports = []
for _ in range(2):
    s = socket.socket(); s.bind(("", 0)); ports.append(s.getsockname()[1]); s.close()
print(*ports)')
CPUS=$(nproc)
cat > "$DIR/slurm.conf" <<CONF
ClusterName=optlab-test
SlurmctldHost=$NODE
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
MailProg=/bin/true
MinJobAge=3600
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$NODE CPUs=$CPUS RealMemory=2000 State=UNKNOWN
PartitionName=test Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$DIR/slurm.conf"
# munge: reuse a running one, else start it
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
  [ -f /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
/usr/sbin/slurmctld -D -f "$SLURM_CONF" >"$DIR/log/slurmctld.out" 2>&1 & echo $! > "$DIR/pids"
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.1; done
/usr/sbin/slurmd -D -f "$SLURM_CONF" >"$DIR/log/slurmd.out" 2>&1 & echo $! >> "$DIR/pids"
for _ in $(seq 150); do [ "$(sinfo -h -n "$NODE" -o %t 2>/dev/null)" = idle ] && break; sleep 0.1; done
if [ "$(sinfo -h -n "$NODE" -o %t 2>/dev/null)" != idle ]; then
  echo "slurm_up: the node did not become idle: $(sinfo -h 2>&1)" >&2
  tail -5 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2
  exit 1
fi
echo "SLURM_CONF=$SLURM_CONF"
