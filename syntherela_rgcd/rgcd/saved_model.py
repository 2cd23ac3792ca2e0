"""A fitted RGCD on disk: JSON for the hyperparameters, schema, encoders and sibling state;
``.npz`` for the structure's integer arrays, the positions' quantiles and the copy guard's row hashes; ``.pt`` state dicts
for the networks, loaded with ``weights_only=True``. Never pickle.

:func:`load` rebuilds the estimator through its constructor (the resolved settings given
back as its ``config``) and then sets what was learnt, so a loaded model and a fitted one are
the same kind of object.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import DataError
from ..metadata import RelationalMetadata
from .diffusion import DiffusionConfig, LatentDiffusion
from .encoding import TableEncoder
from .gnn import GNNConditioner, GNNConfig
from .copy_guard import CopyGuard
from .near_copy_guard import NearCopyGuard
from .model import RGCD, TableModel
from .positions import PositionModel
from .siblings import Siblings
from .structure import StructureSampler
from .vae import VAEConfig

#: 3: hyperparameters apart from the resolved settings; the sibling component's state in one place.
#: 4: node features of columns above 64 categories are their code's bits (other GNN input widths).
#: 5: positions are quantile models, not real rows' days; sibling ranks are not saved (drawn per sample);
#:    the copy guard's training-row hashes.
#: 6: the near-copy guard's encoded training rows (a format-5 file reads as one without them).
FORMAT_VERSION = 6
READABLE_VERSIONS = {5, 6}
MANIFEST = "rgcd.json"
POSITION, COPY_GUARD, NEAR_COPY = "position::", "copy_guard::", "near_copy::"


def save(model: RGCD, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    structure_state = model.structure_.get_state()
    arrays = dict(structure_state["arrays"])
    arrays.update({f"{POSITION}{t}": m.quantiles for t, m in model.positions_.items()})
    arrays.update({f"{COPY_GUARD}{t}": g.hashes for t, g in model.copy_guards_.items()})
    arrays.update({f"{NEAR_COPY}{t}": g.training for t, g in model.near_copy_guards_.items()})
    np.savez_compressed(path / "structure.npz", **arrays)
    manifest = {
        "format_version": FORMAT_VERSION,
        "params": {"profile": model.profile, "dataset": model.dataset, "time_budget": model.time_budget,
                   "seed": model.seed},
        "settings": model.settings,
        "metadata": model.metadata_.to_dict(),
        "order": model.order_,
        "columns": model.columns_,
        "structure": structure_state["meta"],
        "encoders": {t: e.get_state() for t, e in model.encoders_.items()},
        "siblings": model.siblings_.get_state(),
        "position_keys": {t: m.foreign_key for t, m in model.positions_.items()},
        "copy_guard_shares": {t: g.allowed_share for t, g in model.copy_guards_.items()},
        "near_copy_guards": {t: {"cardinalities": g.cardinalities, "edges": g.edges.tolist(), "shares": g.shares.tolist()}
                             for t, g in model.near_copy_guards_.items()},
        "gnn_in_dims": {t: m.gnn_in_dims for t, m in model.models_.items()},
        "gnn_layers": {t: m.gnn.num_layers for t, m in model.models_.items()},
        "latent_dims": {t: m.vae.latent_dim for t, m in model.models_.items()},
        "history": model.history_,
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=1, default=_json_default))
    for table, table_model in model.models_.items():
        for part in ("vae", "gnn", "diffusion"):
            torch.save(getattr(table_model, part).state_dict(), path / f"{table}.{part}.pt")


def load(path: Path) -> RGCD:
    manifest_file = path / MANIFEST
    if not manifest_file.is_file():
        raise DataError(f"rgcd: no saved model in {path} ({MANIFEST} missing)")
    manifest = json.loads(manifest_file.read_text())
    if manifest.get("format_version") not in READABLE_VERSIONS:
        raise DataError(f"rgcd: {path} was saved in format {manifest.get('format_version')}, expected "
                        f"{FORMAT_VERSION}; fit the model again")
    params = manifest["params"]
    # the resolved settings as the overrides: they hold every key, so they resolve to themselves
    model = RGCD(config=manifest["settings"], **params)
    model.metadata_ = RelationalMetadata.load_from_dict(manifest["metadata"])
    model.order_ = manifest["order"]
    model.columns_ = manifest["columns"]
    model.history_ = manifest["history"]
    model.encoders_ = {t: TableEncoder.from_state(s) for t, s in manifest["encoders"].items()}
    with np.load(path / "structure.npz") as stored:
        arrays = {k: stored[k] for k in stored.files}
    model.positions_ = {t: PositionModel(fk, arrays[f"{POSITION}{t}"]) for t, fk in manifest["position_keys"].items()}
    model.copy_guards_ = {t: CopyGuard(arrays[f"{COPY_GUARD}{t}"], share)
                          for t, share in manifest["copy_guard_shares"].items()}
    model.near_copy_guards_ = {t: NearCopyGuard(arrays[f"{NEAR_COPY}{t}"], g["cardinalities"], np.asarray(g["edges"]),
                                                np.asarray(g["shares"]))
                               for t, g in manifest.get("near_copy_guards", {}).items()}
    model.siblings_ = Siblings.from_state(manifest["siblings"])
    model.structure_ = StructureSampler.from_state({"meta": manifest["structure"],
                                                    "arrays": {k: v for k, v in arrays.items() if "::" not in k}})
    gnn_config = GNNConfig.from_dict(model.settings["gnn"])
    edge_types = _edge_types(model.metadata_)
    latent_dims = manifest["latent_dims"]
    model.models_ = {}
    for table in model.modelled_:
        encoder = model.encoders_[table]
        vae = VAEConfig.from_dict(model.settings["vae"]).build(encoder.n_num, encoder.cardinalities)
        in_dims = manifest["gnn_in_dims"][table]
        gnn = GNNConditioner(in_dims, edge_types, latent_dims, gnn_config.hidden, gnn_config.out_dim,
                             manifest["gnn_layers"][table], list(model.positions_))
        diffusion = LatentDiffusion(latent_dims[table], gnn_config.out_dim,
                                    DiffusionConfig.from_dict(model.settings["diffusion"]),
                                    len(model.siblings_.joint_keys(table)))
        for part, module in (("vae", vae), ("gnn", gnn), ("diffusion", diffusion)):
            module.load_state_dict(torch.load(path / f"{table}.{part}.pt", map_location="cpu", weights_only=True))
            module.eval()
        model.models_[table] = TableModel(vae, gnn, diffusion, in_dims)
    return model


def _edge_types(metadata) -> list[tuple[str, str, str]]:
    """Edge types exactly as :func:`.graph.build_graph` names them."""
    types = []
    for rel in metadata.relationships:
        parent, child, fk = rel["parent_table_name"], rel["child_table_name"], rel["child_foreign_key"]
        types += [(parent, fk, child), (child, f"rev_{fk}", parent)]
    return types


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
