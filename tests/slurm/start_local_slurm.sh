#!/usr/bin/env bash
# Install (if needed) and start a single-node SLURM for the SLURM integration test.
# Usage: tests/slurm/start_local_slurm.sh STATE_DIR   (prints: export SLURM_CONF=...)
# Needs root and Debian's slurmctld, slurmd and munge packages. No accounting daemon:
# the executor plugin then needs `--slurm-status-command squeue` and a high MinJobAge.
set -euo pipefail
state=$(realpath -m "${1:?state directory}")
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi
mkdir -p "$state"/{state,spool,run}
host=$(hostname -s)
# The node is declared with twice the machine's CPUs and memory (config_overrides lets slurmd
# accept that): a tiny smoke job spends most of its ~36 s waiting for the executor plugin's
# next status check, not computing, so two jobs per core keep the cores busy. Nothing is
# enforced (task/none), and the profile's requests are shrunk for the test anyway.
cpus=$(( 2 * $(nproc) ))
mem=$(( 2 * ($(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 512) ))
cat > "$state/slurm.conf" <<CONF
ClusterName=dataprophet-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=3600
SlurmdParameters=config_overrides
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
# Stands in for a cluster's GPU partition (same node, no GPUs): the profile routes model rules here.
PartitionName=gpu Nodes=ALL Default=NO MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$state/slurm.conf"
# Job steps (srun inside a batch job) read the default path, not SLURM_CONF: link ours there
# unless the machine already has a SLURM configuration, and remember to remove the link.
if [ ! -e /etc/slurm/slurm.conf ]; then
    mkdir -p /etc/slurm
    ln -s "$SLURM_CONF" /etc/slurm/slurm.conf
    echo /etc/slurm/slurm.conf > "$state/run/linked_conf"
fi
if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    su -s /bin/sh munge -c "/usr/sbin/munged" 2>/dev/null || /usr/sbin/munged --force
    pgrep -x munged > "$state/run/munged.pid"
fi
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
    if sinfo -h -o "%t" 2>/dev/null | grep -qE "^(idle|mix)"; then
        echo "export SLURM_CONF=$SLURM_CONF"
        exit 0
    fi
    sleep 1
done
echo "SLURM did not come up; logs in $state" >&2
exit 1
