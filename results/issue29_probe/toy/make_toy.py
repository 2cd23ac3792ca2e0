"""Toy 2-table database in SyntheRela's layout: 50 stores (parent) and 200 historical rows
(child), cut from rossmann_subsampled. Folder name contains 'syntherela' (GCFM's loader checks)."""
import json, sys
from pathlib import Path
import pandas as pd

src = Path("/work/shared/data/original/rossmann_subsampled")
out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/peer_probe/toy/syntherela_toy")
out.mkdir(parents=True, exist_ok=True)
meta = json.loads((src / "metadata.json").read_text())
store = pd.read_csv(src / "store.csv").head(50)
hist = pd.read_csv(src / "historical.csv")
hist = hist[hist.Store.isin(store.Store)].sample(200, random_state=0).sort_values("Id")
store.to_csv(out / "store.csv", index=False)
hist.to_csv(out / "historical.csv", index=False)
(out / "metadata.json").write_text(json.dumps(meta, indent=1))
print(len(store), len(hist), hist.Store.nunique(), "parents with children")
