#!/bin/bash
# same seed, same model: HEAD vs refactor (inprocess), process pool, local Ray; demo, cpu profile, 2 threads
. /work/main/.venv/bin/activate
cd /tmp/headwt && PYTHONPATH=/tmp/headwt python -m syntherela_rgcd.cli run -m rgcd -d demo --threads 2 --metrics none -q --output-dir /work/main/runs/exec/head 2>&1 | tail -3
cd /work/main
for ex in inprocess process ray; do
  /usr/bin/time -f "$ex wall %e s, maxrss %M KB" syntherela run -m rgcd -d demo --threads 2 --metrics none -q --executor $ex --output-dir runs/exec/$ex 2>&1 | tail -3
done
for ex in inprocess process ray; do
  if diff -r runs/exec/head/synthetic runs/exec/$ex/synthetic >/dev/null; then echo "$ex: identical to HEAD"; else echo "$ex: DIFFERS from HEAD"; fi
done
