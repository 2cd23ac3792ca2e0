"""Two more toys from syntherela_toy: (a) syntherela_multiparent: historical gets a second parent
'day' (PK DayKey, one row per date) -> store, day -> historical; (b) syntherela_twofk: historical
has a second foreign key Store2 to store (two FKs from one child to the same parent)."""
import json, shutil
from pathlib import Path
import numpy as np, pandas as pd

base = Path("/tmp/peer_probe/toy/syntherela_toy")
meta = json.loads((base / "metadata.json").read_text())
store, hist = pd.read_csv(base / "store.csv"), pd.read_csv(base / "historical.csv")

out = base.parent / "syntherela_multiparent"; out.mkdir(exist_ok=True)
days = pd.DataFrame({"DayKey": sorted(hist.Date.unique())})
days["DayNumber"] = pd.to_datetime(days.DayKey).dt.dayofyear
days["Weekend"] = (pd.to_datetime(days.DayKey).dt.dayofweek >= 5).astype(int).astype(str)
h = hist.rename(columns={"Date": "DayKey"})
m = json.loads(json.dumps(meta))
hc = m["tables"]["historical"]["columns"]; del hc["Date"]; hc["DayKey"] = {"sdtype": "id"}
m["tables"]["day"] = {"primary_key": "DayKey", "columns": {"DayKey": {"sdtype": "id"},
    "DayNumber": {"sdtype": "numerical", "computer_representation": "Int64"}, "Weekend": {"sdtype": "categorical"}}}
m["relationships"].append({"parent_table_name": "day", "parent_primary_key": "DayKey",
                           "child_table_name": "historical", "child_foreign_key": "DayKey"})
store.to_csv(out / "store.csv", index=False); h.to_csv(out / "historical.csv", index=False)
days.to_csv(out / "day.csv", index=False); (out / "metadata.json").write_text(json.dumps(m, indent=1))

out = base.parent / "syntherela_twofk"; out.mkdir(exist_ok=True)
h = hist.copy(); h["Store2"] = np.random.default_rng(0).choice(store.Store, len(h))
m = json.loads(json.dumps(meta)); m["tables"]["historical"]["columns"]["Store2"] = {"sdtype": "id"}
m["relationships"].append({"parent_table_name": "store", "parent_primary_key": "Store",
                           "child_table_name": "historical", "child_foreign_key": "Store2"})
store.to_csv(out / "store.csv", index=False); h.to_csv(out / "historical.csv", index=False)
(out / "metadata.json").write_text(json.dumps(m, indent=1))
print(len(days), "days")
