"""Sampled k-hop neighbourhoods of a heterogeneous graph, and sparse adjacencies that let a
sum-aggregating GNN run on a million-node graph without one message per edge in memory.

Why not PyG's ``NeighborLoader``: it needs the compiled ``pyg-lib`` or ``torch-sparse``
operators, which have no wheels on PyPI for current torch (the only registry this project
may install from), so the sampler here does the same job in plain torch: per hop and edge
type, a destination node keeps all its neighbours when it has at most ``fanout`` of them
and otherwise ``fanout`` draws with replacement, each weighted ``degree / fanout``. The
weights matter for our GIN layers, which *sum* messages so that a parent's number of
children is visible: the weighted sum of the draws is an unbiased estimate of the true
sum, where a plain neighbour sample would cap every parent at ``fanout`` children.

A sampled subgraph carries, per edge type, a ``torch.sparse_csr`` adjacency of shape
(destinations, sources) holding those weights as ``edge_index``; PyG's ``GINConv`` then
aggregates with one sparse-dense product (``message_and_aggregate``). :func:`sparse_adjacency`
builds the same for the whole graph (weights 1, an exact sum), which is how all nodes are
embedded layer by layer with memory proportional to nodes x hidden, not edges x hidden.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

EdgeType = tuple[str, str, str]


def _csr(edge_index: Tensor, num_src: int, num_dst: int, values: Tensor | None = None) -> Tensor:
    """(destinations x sources) CSR adjacency of ``edge_index`` (row 0 sources, row 1 destinations)."""
    values = torch.ones(edge_index.shape[1]) if values is None else values
    with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
        warnings.simplefilter("ignore", UserWarning)
        coo = torch.sparse_coo_tensor(edge_index.flip(0), values, (num_dst, num_src))
        return coo.coalesce().to_sparse_csr()


def sparse_adjacency(data: HeteroData) -> dict[EdgeType, Tensor]:
    """Every edge type of ``data`` as a weight-1 CSR adjacency (for :meth:`GNNConditioner.embed`)."""
    return {et: _csr(data[et].edge_index, data[et[0]].num_nodes, data[et[2]].num_nodes) for et in data.edge_types}


@dataclass
class _Neighbours:
    """Sources of each destination node of one edge type, sorted by destination (CSR)."""

    rowptr: Tensor
    sources: Tensor

    @classmethod
    def of(cls, edge_index: Tensor, num_dst: int) -> "_Neighbours":
        order = torch.argsort(edge_index[1], stable=True)
        counts = torch.bincount(edge_index[1], minlength=num_dst)
        rowptr = torch.zeros(num_dst + 1, dtype=torch.long)
        rowptr[1:] = torch.cumsum(counts, 0)
        return cls(rowptr, edge_index[0][order])


class HeteroNeighborSampler:
    """Draws the ``len(fanouts)``-hop neighbourhood of seed nodes as a small :class:`HeteroData`.

    The subgraph keeps every node type of the graph (possibly with no nodes), its ``x`` and
    ``pos_days`` rows, a CSR ``edge_index`` per edge type (see the module docstring), and per
    seeded node type ``seed_count``: its first ``seed_count`` nodes are the seeds, in order.
    Draws come from the caller's ``generator`` only, so a seed fixes every subgraph.
    """

    def __init__(self, data: HeteroData, fanouts: list[int]):
        if not fanouts or any(int(k) < 1 for k in fanouts):
            raise ValueError(f"fanouts must be positive integers, not {fanouts!r}")
        self.data = data
        self.fanouts = [int(k) for k in fanouts]
        self.num_nodes = {t: int(data[t].num_nodes) for t in data.node_types}
        self.neighbours = {et: _Neighbours.of(data[et].edge_index, self.num_nodes[et[2]]) for et in data.edge_types}

    def sample(self, seeds: dict[str, Tensor], generator: torch.Generator) -> HeteroData:
        nodes = {t: [] for t in self.data.node_types}  # global ids, in local order
        index_of: dict[str, Tensor] = {}  # global -> local (-1: not in the subgraph), built lazily
        count = {t: 0 for t in self.data.node_types}

        def add(node_type: str, ids: Tensor) -> Tensor:
            """Local ids of ``ids`` in ``node_type``, adding the new ones; returns the new ones' globals."""
            table = index_of.setdefault(node_type, torch.full((self.num_nodes[node_type],), -1, dtype=torch.long))
            unique = torch.unique(ids)
            new = unique[table[unique] < 0]
            table[new] = torch.arange(count[node_type], count[node_type] + len(new))
            count[node_type] += len(new)
            nodes[node_type].append(new)
            return new

        frontier = {}
        for node_type, ids in seeds.items():
            ids = torch.as_tensor(ids, dtype=torch.long)
            if len(torch.unique(ids)) != len(ids):
                raise ValueError(f"seed nodes of {node_type!r} repeat")
            table = index_of.setdefault(node_type, torch.full((self.num_nodes[node_type],), -1, dtype=torch.long))
            table[ids] = torch.arange(len(ids))  # seeds keep their order
            count[node_type] = len(ids)
            nodes[node_type].append(ids)
            frontier[node_type] = ids
        edges: dict[EdgeType, list[tuple[Tensor, Tensor, Tensor]]] = {et: [] for et in self.data.edge_types}

        for fanout in self.fanouts:
            reached: dict[str, list[Tensor]] = {}
            for et in self.data.edge_types:
                src_type, _, dst_type = et
                dst = frontier.get(dst_type)
                if dst is None or len(dst) == 0:
                    continue
                src, dst_ids, weight = self._draw(self.neighbours[et], dst, fanout, generator)
                if len(src) == 0:
                    continue
                edges[et].append((src, dst_ids, weight))
                reached.setdefault(src_type, []).append(src)
            frontier = {t: add(t, torch.cat(found)) for t, found in reached.items()}

        return self._subgraph(nodes, index_of, count, edges, {t: len(s) for t, s in seeds.items()})

    @staticmethod
    def _draw(neighbours: _Neighbours, dst: Tensor, fanout: int,
              generator: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
        """For each node of ``dst``: all its sources (weight 1) when it has at most ``fanout``,
        else ``fanout`` uniform draws with replacement (weight degree / fanout)."""
        start = neighbours.rowptr[dst]
        degree = neighbours.rowptr[dst + 1] - start
        taken = torch.clamp(degree, max=fanout)
        total = int(taken.sum())
        owner = torch.repeat_interleave(torch.arange(len(dst)), taken)
        first = torch.cumsum(taken, 0) - taken
        rank = torch.arange(total) - first[owner]  # 0 .. taken-1 within each destination
        owner_degree = degree[owner]
        whole = owner_degree <= fanout
        drawn = (torch.rand(total, generator=generator) * owner_degree).long()
        drawn = torch.minimum(drawn, owner_degree - 1)  # rand() < 1, but float rounding may reach degree
        offset = torch.where(whole, rank, drawn)
        weight = torch.where(whole, torch.ones(total), owner_degree.float() / fanout)
        return neighbours.sources[start[owner] + offset], dst[owner], weight

    def _subgraph(self, nodes, index_of, count, edges, seed_counts) -> HeteroData:
        out = HeteroData()
        for t in self.data.node_types:
            ids = torch.cat(nodes[t]) if nodes[t] else torch.zeros(0, dtype=torch.long)
            out[t].x = self.data[t].x[ids]
            out[t].num_nodes = len(ids)
            out[t].global_id = ids
            if "pos_days" in self.data[t]:
                out[t].pos_days = self.data[t].pos_days[ids]
            if t in seed_counts:
                out[t].seed_count = seed_counts[t]
        for et, parts in edges.items():
            src_type, _, dst_type = et
            if parts:
                src = torch.cat([p[0] for p in parts])
                dst = torch.cat([p[1] for p in parts])
                weight = torch.cat([p[2] for p in parts])
                local = torch.stack([index_of[src_type][src], index_of[dst_type][dst]])
            else:
                local, weight = torch.zeros((2, 0), dtype=torch.long), torch.zeros(0)
            out[et].edge_index = _csr(local, count[src_type], count[dst_type], weight)
        return out
