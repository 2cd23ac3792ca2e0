#!/bin/bash
# issue 14: CORA seed 1 again (VAE reconstruction retry), then cpu-profile runs (seed 0) of the other
# shared datasets with the copy figures (--metrics privacy)
. /work/main/.venv/bin/activate
cd /work/main
while pgrep -f "cora_fits.sh" >/dev/null; do sleep 10; done
echo "start $(date) load $(cat /proc/loadavg)"
/usr/bin/time -f "CORA seed 1: wall %e s, max RSS %M KB" syntherela run --method rgcd --dataset cora --data-dir ../shared/data --seed 1 --metrics dda,cardinality,privacy --output-dir runs/cora_cpu -q 2>&1 | tail -20
echo "--- cora seed 1 done $(date) load $(cat /proc/loadavg)"
for dataset in airbnb walmart biodegradability imdb_MovieLens_v1_noratings; do
  /usr/bin/time -f "$dataset: wall %e s, max RSS %M KB" syntherela run --method rgcd --dataset $dataset --data-dir ../shared/data --seed 0 --metrics dda,cardinality,privacy --output-dir runs/copy_table -q 2>&1 | tail -40
  echo "--- $dataset done $(date) load $(cat /proc/loadavg)"
done
echo "end $(date)"
