cd /work/main
A="--runs-dir /work/wt27/runs --dataset walmart_subsampled --run-id cpu-seed0 --variant near --metrics dda,privacy"
for spec in "TABLES=features" "TABLES=stores" "MODE=random" "LEVELS=0.05,0.1,0.25"; do
  echo "=== $spec"
  env $spec OMP_NUM_THREADS=1 .venv/bin/python /tmp/explore.py $A --output-dir /tmp/guards_x/$(echo $spec | tr '=,' '__') 2>&1 | grep -v Warn | grep "near tables\|^dda\|^dcr\|Error"
done
