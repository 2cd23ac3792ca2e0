import os, sys, numpy as np
sys.argv = [sys.argv[0]] + sys.argv[1:]
sys.path.insert(0, '/work/main/benchmarks'); sys.path.insert(0, '/work/main')
import syntherela_rgcd.rgcd.near_copy_guard as g
from syntherela_rgcd.rgcd.model import RGCD
levels = os.environ.get("LEVELS"); tables = os.environ.get("TABLES"); mode = os.environ.get("MODE", "closest")
if levels: g.LEVELS = tuple(float(x) for x in levels.split(","))
orig_fit = RGCD.fit_near_copy_guards
def fit(self, t):
    orig_fit(self, t)
    if tables: self.near_copy_guards_ = {k: v for k, v in self.near_copy_guards_.items() if k in tables.split(",")}
    print("near tables", list(self.near_copy_guards_), "levels", g.LEVELS, "mode", mode)
RGCD.fit_near_copy_guards = fit
if mode == "random":
    def excess(self, x_num, x_cat):
        d = self.distances(x_num, x_cat); rng = np.random.default_rng(len(d))
        picked = np.zeros(len(d), bool)
        for edge, share in zip(self.edges, self.shares):
            pool = np.flatnonzero((d < edge) & ~picked); allowed = int(share * len(d)) - int(((d < edge) & picked).sum())
            need = int((d < edge).sum()) - int(share*len(d)) - int(((d<edge)&picked).sum())
            if need > 0: picked[rng.choice(pool, need, replace=False)] = True
        return np.flatnonzero(picked)
    g.NearCopyGuard.excess = excess
import guard_resample
guard_resample.main(sys.argv[1:])
