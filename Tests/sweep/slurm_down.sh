#!/usr/bin/env bash
# Stops what slurm_up.sh started in folder $1 (slurmd, then slurmctld).
DIR=${1:?usage: slurm_down.sh folder}
[ -f "$DIR/pids" ] || exit 0
for pid in $(tac "$DIR/pids"); do kill "$pid" 2>/dev/null; done
for pid in $(cat "$DIR/pids"); do for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$pid" 2>/dev/null; done
rm -f "$DIR/pids"
