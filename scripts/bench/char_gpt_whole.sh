#!/usr/bin/env bash
# The whole training of scripts/shakespeare_char.lua against PyTorch's
# (scripts/bench/torch_char_gpt.py, eager), 2000 iterations, seeds 1-3, each
# pair run back to back at the same thread count: validation loss, wall
# seconds (training and its evaluations) and peak RSS (GNU time).
# Usage: scripts/bench/char_gpt_whole.sh [threads] [iterations]   (PyTorch from .build/torch-venv)
set -eu
cd "$(dirname "$0")/../.."
threads=${1:-2}; iters=${2:-2000}
py=${OPTLAB_TORCH_PYTHON:-.build/torch-venv/bin/python}
for seed in 1 2 3; do
  /usr/bin/time -f "peak_mib %M" -o /tmp/torch_time.$$ "$py" scripts/bench/torch_char_gpt.py --iters "$iters" --threads "$threads" --seed "$seed" | tail -1
  echo "  torch peak $(( $(cut -d' ' -f2 /tmp/torch_time.$$) / 1024 )) MiB"
  OPTLAB_NUM_THREADS=$threads /usr/bin/time -f "peak_mib %M" -o /tmp/optlab_time.$$ .build/release/optlab scripts/shakespeare_char.lua "$iters" "$seed" | tail -1
  echo "  optlab peak $(( $(cut -d' ' -f2 /tmp/optlab_time.$$) / 1024 )) MiB, seed $seed"
done
rm -f /tmp/torch_time.$$ /tmp/optlab_time.$$
