#!/bin/bash
. /work/main/.venv/bin/activate
cd /work/main
echo "start $(date) load $(cat /proc/loadavg)"
for seed in 0 1 2; do
  syntherela run --method rgcd --dataset cora --data-dir ../shared/data --seed $seed --metrics dda,cardinality,privacy --output-dir runs/cora_cpu -q 2>&1 | tail -14
done
echo "end $(date) load $(cat /proc/loadavg)"
