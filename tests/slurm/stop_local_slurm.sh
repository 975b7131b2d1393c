#!/usr/bin/env bash
# Stop the daemons start_local_slurm.sh started (by their pid files). Usage: STATE_DIR
set -u
state=$(realpath -m "${1:?state directory}")
for pid_file in "$state/run/slurmd.pid" "$state/run/slurmctld.pid" "$state/run/munged.pid"; do
    [ -f "$pid_file" ] && kill $(cat "$pid_file") 2>/dev/null
done
if [ -f "$state/run/linked_conf" ]; then
    rm -f "$(cat "$state/run/linked_conf")"
fi
sleep 1
exit 0
