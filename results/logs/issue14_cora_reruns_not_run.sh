#!/bin/bash
# issue 14: CORA seeds 0 and 2 run again with the final code (same models; the sample now uses the generated
# structure with degree_twin_correlation 0.8), so their summaries carry the final copy figures
. /work/main/.venv/bin/activate
cd /work/main
while pgrep -f "forest_fits.sh" >/dev/null; do sleep 10; done
echo "start $(date) load $(cat /proc/loadavg)"
for seed in 0 2; do
  /usr/bin/time -f "CORA seed $seed: wall %e s, max RSS %M KB" syntherela run --method rgcd --dataset cora --data-dir ../shared/data --seed $seed --metrics dda,cardinality,privacy --output-dir runs/cora_cpu -q 2>&1 | tail -20
done
echo "end $(date) load $(cat /proc/loadavg)"
