#!/bin/bash
# issue 14: CORA cpu fits (3 seeds, the structure as before: copy), then the same models sampled with a
# generated structure; the IMDB stand-in's saved model sampled with a generated structure at scale 1 and 0.5
. /work/main/.venv/bin/activate
cd /work/main
while pgrep -f "queue11.sh" >/dev/null; do sleep 10; done
echo "queue12 start $(date) load $(cat /proc/loadavg)"
for seed in 0 1 2; do
  syntherela run --method rgcd --dataset cora --data-dir ../shared/data --seed $seed --metrics dda,cardinality,privacy --output-dir runs/cora_cpu -q 2>&1 | tail -12
done
echo "cora fits end $(date) load $(cat /proc/loadavg)"
/usr/bin/time -f "resample cora: wall %e s, max RSS %M KB" python benchmarks/resample.py runs/cora_cpu/models/CORA_v1/rgcd/cpu-seed0 runs/cora_cpu/models/CORA_v1/rgcd/cpu-seed1 runs/cora_cpu/models/CORA_v1/rgcd/cpu-seed2 --setting structure=copy --setting structure=auto --metrics dda,cardinality,privacy --output results/structure_cora.json 2>&1 | grep -v Warning
echo "cora resample end $(date) load $(cat /proc/loadavg)"
/usr/bin/time -f "resample imdb standin scale 1: wall %e s, max RSS %M KB" python benchmarks/resample.py runs/imdb/models/imdb_MovieLens_v1_standin/rgcd/cpu-seed0 --setting structure=auto --metrics dda,cardinality --output results/structure_imdb_standin_scale1.json 2>&1 | grep -v Warning
/usr/bin/time -f "resample imdb standin scale 0.5: wall %e s, max RSS %M KB" python benchmarks/resample.py runs/imdb/models/imdb_MovieLens_v1_standin/rgcd/cpu-seed0 --setting structure=auto,scale=0.5 --metrics dda,cardinality --output results/structure_imdb_standin_scale05.json 2>&1 | grep -v Warning
echo "queue12 end $(date) load $(cat /proc/loadavg)"
