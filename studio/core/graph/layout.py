"""Layered (Sugiyama-style) layout of a directed graph: a pure function of sized nodes and edges.

Steps: break cycles (DFS back edges are reversed), longest-path layering (sources pulled down
next to their first consumer, so a constant does not sit at the top of a 100-layer graph),
long edges split into dummy nodes, barycenter sweeps for crossing reduction, then x from
neighbour medians with a vectorised minimum-separation pass per layer.

Everything per layer is numpy, so the cost is O(N + E + dummies) plus a small constant per layer
and sweep: a 10k-node graph lays out in a second or two in plain CPython. The function takes a
`cancel` callable and checks it between steps and every few layers, so a UI thread can abandon a
layout of a graph the user has already closed. No Qt here: the window runs this in a worker.

Top-to-bottom orientation; coordinates are the centre of each node, y grows downwards."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Hashable, Sequence

import numpy as np

from studio.core.errors import Cancelled, StudioError


@dataclass(frozen=True)
class LayoutOptions:
    node_gap: float = 24.0        # horizontal space between neighbours in a layer
    layer_gap: float = 48.0       # vertical space between layers
    dummy_width: float = 8.0      # the lane a long edge takes in each layer it crosses
    sweeps: int = 4               # down+up barycenter sweep pairs
    align_passes: int = 4         # x refinement passes
    # A long edge gets one dummy per layer it crosses so it can be routed around nodes; past
    # this total (a mask tensor read by every layer of a deep model) the rest are drawn straight.
    max_dummies_per_node: float = 4.0
    sequential_layers: int = 1500  # deeper than this: crossing reduction reorders all layers at once


@dataclass
class Layout:
    """Positions are node centres; `edges[i]` is the polyline (k x 2 array) of input edge i,
    from the bottom of its source to the top of its target."""

    ids: list
    x: np.ndarray
    y: np.ndarray
    width: np.ndarray
    height: np.ndarray
    layer: np.ndarray
    edges: list = field(default_factory=list)
    _idx: dict | None = field(default=None, init=False, repr=False, compare=False)
    bounds: tuple = (0.0, 0.0, 0.0, 0.0)  # x0, y0, x1, y1

    def position(self, node_id) -> tuple[float, float]:
        i = self._index()[node_id]
        return float(self.x[i]), float(self.y[i])

    def rect(self, node_id) -> tuple[float, float, float, float]:
        """x, y (top-left), w, h."""
        i = self._index()[node_id]
        return (float(self.x[i] - self.width[i] / 2), float(self.y[i] - self.height[i] / 2),
                float(self.width[i]), float(self.height[i]))

    def _index(self) -> dict:
        if self._idx is None:
            self._idx = {n: i for i, n in enumerate(self.ids)}
        return self._idx


CancelFn = Callable[[], bool]


def _cancel_fn(cancel) -> CancelFn:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def layered_layout(ids: Sequence[Hashable], sizes: Sequence[tuple[float, float]] | np.ndarray,
                   edges: Sequence[tuple[Hashable, Hashable]], *,
                   options: LayoutOptions | None = None,
                   cancel: CancelFn | threading.Event | None = None) -> Layout:
    """Lay out `ids` (unique) with `sizes` [(w, h)] and directed `edges` [(src_id, dst_id)].

    Self-loops and edges naming unknown ids raise StudioError; parallel edges are fine (each gets
    its own polyline, they share the route). Raises Cancelled when `cancel()` turns true."""
    opts = options or LayoutOptions()
    is_cancelled = _cancel_fn(cancel)

    def check():
        if is_cancelled():
            raise Cancelled("layout cancelled")

    ids = list(ids)
    n = len(ids)
    index = {nid: i for i, nid in enumerate(ids)}
    if len(index) != n:
        raise StudioError("layout: node ids are not unique")
    size = np.asarray(sizes, dtype=np.float64).reshape(n, 2) if n else np.zeros((0, 2))
    try:
        e_src = np.fromiter((index[s] for s, _ in edges), dtype=np.int64, count=len(edges))
        e_dst = np.fromiter((index[d] for _, d in edges), dtype=np.int64, count=len(edges))
    except KeyError as e:
        raise StudioError(f"layout: edge names unknown node {e.args[0]!r}") from None
    if n == 0:
        return Layout(ids, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.int64), [])
    check()

    # Unique, loop-free edge set for the structure; the input edges map onto it for routing.
    keep = e_src != e_dst
    pair = np.unique(np.stack([e_src[keep], e_dst[keep]], axis=1), axis=0) if keep.any() else np.zeros((0, 2), np.int64)
    u, v = _break_cycles(n, pair[:, 0].copy(), pair[:, 1].copy())
    check()
    layer = _longest_path_layers(n, u, v, check)
    check()

    # Long edges -> chains through dummy nodes, one per crossed layer (within the budget).
    span = layer[v] - layer[u]
    k = span - 1
    budget = int(opts.max_dummies_per_node * n)
    if k.sum() > budget:
        # Spend the budget on the shortest long edges: they are the ones a reader follows.
        order = np.argsort(k, kind="stable")
        allowed = np.cumsum(k[order]) <= budget
        ok = np.zeros(len(k), bool)
        ok[order[allowed]] = True
        k = np.where(ok, k, 0)
    total_dummies = int(k.sum())
    n_all = n + total_dummies
    all_layer = np.concatenate([layer, np.zeros(total_dummies, np.int64)])
    first_dummy = n + np.concatenate([[0], np.cumsum(k)[:-1]]) if len(k) else np.zeros(0, np.int64)
    # chain nodes per structural edge: [u, d0..d(k-1), v]
    seg_count = k + 1
    seg_edge = np.repeat(np.arange(len(u)), seg_count)
    seg_pos = np.arange(int(seg_count.sum())) - np.repeat(np.cumsum(seg_count) - seg_count, seg_count)
    seg_a = np.where(seg_pos == 0, u[seg_edge], first_dummy[seg_edge] + seg_pos - 1)
    last = seg_pos == seg_count[seg_edge] - 1
    seg_b = np.where(last, v[seg_edge], first_dummy[seg_edge] + seg_pos)
    if total_dummies:
        d_edge = np.repeat(np.arange(len(u)), k)
        d_pos = np.arange(total_dummies) - np.repeat(np.cumsum(k) - k, k)
        all_layer[n:] = layer[u[d_edge]] + 1 + d_pos
    # Edges whose long span did not get dummies are left out of crossing reduction.
    proper = all_layer[seg_b] - all_layer[seg_a] == 1
    sa, sb = seg_a[proper], seg_b[proper]
    check()

    width = np.concatenate([size[:, 0], np.full(total_dummies, opts.dummy_width)])
    height = np.concatenate([size[:, 1], np.zeros(total_dummies)])

    # Initial order within each layer: DFS-ish order approximated by node index (input order
    # is usually topological in ONNX, which already gives a sensible start).
    n_layers = int(all_layer.max()) + 1
    by_layer = np.lexsort((np.arange(n_all), all_layer))
    layer_start = np.searchsorted(all_layer[by_layer], np.arange(n_layers + 1))
    pos = np.empty(n_all, np.float64)
    pos[by_layer] = np.arange(n_all) - layer_start[all_layer[by_layer]]
    members = [by_layer[layer_start[i]:layer_start[i + 1]] for i in range(n_layers)]
    slot = pos.astype(np.int64)  # index of each node within its layer's `members` array

    # Edge slices grouped by the layer of their lower / upper end, for the sweeps.
    down = _group_edges(sa, sb, all_layer[sb], n_layers)   # into layer l from l-1
    up = _group_edges(sb, sa, all_layer[sa], n_layers)     # into layer l from l+1

    if n_layers <= opts.sequential_layers:
        # Gauss-Seidel sweeps: each layer sees its neighbour's new order at once, so one sweep
        # carries an ordering decision through the whole graph.
        for sweep in range(opts.sweeps):
            for l in range(1, n_layers):
                _barycenter(members[l], down[l], pos, slot)
                if l % 64 == 0:
                    check()
            for l in range(n_layers - 2, -1, -1):
                _barycenter(members[l], up[l], pos, slot)
                if l % 64 == 0:
                    check()
            check()
    else:
        # Thousands of thin layers (a deep model): per-layer Python calls would dominate, so
        # every layer is reordered at once from its neighbours' current order (Jacobi style).
        for sweep in range(2 * opts.sweeps):
            a, b = (sa, sb) if sweep % 2 == 0 else (sb, sa)
            pos = _barycenter_all(a, b, pos, all_layer, n_all)
            check()
    order = np.lexsort((pos, all_layer))            # members sorted by final position
    for l in range(n_layers):
        members[l] = order[layer_start[l]:layer_start[l + 1]]
    slot[order] = np.arange(n_all) - layer_start[all_layer[order]]

    # x: pack each layer, then pull nodes towards the mean x of their neighbours while keeping
    # order and minimum separation, all layers at once (segmented cumulative max/min).
    seg = all_layer[order]
    w = width[order]
    first = np.ones(n_all, bool)
    first[1:] = seg[1:] != seg[:-1]
    sep = np.where(first, 0.0, (np.concatenate([[0.0], w[:-1]]) + w) / 2 + opts.node_gap)
    cs = np.cumsum(sep)
    c = cs - cs[layer_start[seg]]                   # offset of each node from its layer's first
    centre = np.bincount(seg, weights=c, minlength=n_layers) / np.maximum(np.bincount(seg, minlength=n_layers), 1)
    x = np.empty(n_all, np.float64)
    x[order] = c - centre[seg]
    for p in range(opts.align_passes * 2):
        a, b = (sa, sb) if p % 2 == 0 else (sb, sa)
        _align_all(a, b, x, order, seg, c, n_all)
        check()

    layer_h = np.zeros(n_layers)
    np.maximum.at(layer_h, all_layer, height)
    layer_top = np.concatenate([[0.0], np.cumsum(layer_h + opts.layer_gap)[:-1]])
    y = layer_top[all_layer] + layer_h[all_layer] / 2
    x -= (x - width / 2).min()
    check()

    # Polylines for each input edge (structural edges map back through (src, dst) pairs).
    pair_index = {}
    for i in range(len(u)):
        pair_index[(int(u[i]), int(v[i]))] = (i, False)
    polylines = []
    bottoms = y + height / 2
    tops = y - height / 2
    for s, d in zip(e_src.tolist(), e_dst.tolist()):
        if s == d:
            polylines.append(np.array([[x[s], bottoms[s]], [x[s], bottoms[s]]]))
            continue
        hit = pair_index.get((s, d))
        reverse = False
        if hit is None:
            hit = pair_index.get((d, s))
            reverse = True
        if hit is None:  # a 2-cycle folded into one structural edge: draw it straight
            polylines.append(np.array([[x[s], bottoms[s]], [x[d], tops[d]]]))
            continue
        i = hit[0]
        chain = [int(u[i])] + list(range(int(first_dummy[i]), int(first_dummy[i] + k[i]))) + [int(v[i])] \
            if len(k) else [int(u[i]), int(v[i])]
        if reverse:
            chain = chain[::-1]
        pts = np.empty((len(chain), 2))
        c = np.asarray(chain)
        pts[:, 0] = x[c]
        pts[:, 1] = y[c]
        # leave the source from its bottom (or top if the edge goes upwards) and enter the target
        if y[chain[-1]] >= y[chain[0]]:
            pts[0, 1] = bottoms[chain[0]]
            pts[-1, 1] = tops[chain[-1]]
        else:
            pts[0, 1] = tops[chain[0]]
            pts[-1, 1] = bottoms[chain[-1]]
        polylines.append(pts)
        if len(polylines) % 4096 == 0:
            check()

    xs, ys = x[:n], y[:n]
    w, h = width[:n], height[:n]
    bounds = (float((xs - w / 2).min()), float((ys - h / 2).min()),
              float((x + width / 2).max()), float((y + height / 2).max()))
    return Layout(ids, xs.copy(), ys.copy(), w.copy(), h.copy(), layer[:n].copy(), polylines, bounds)


def _break_cycles(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reverse the back edges of an iterative DFS so the structure is a DAG. Model graphs are
    acyclic already (this is a no-op for them), but a malformed file must not hang the layout."""
    if len(u) == 0:
        return u, v
    order = np.argsort(u, kind="stable")
    starts = np.searchsorted(u[order], np.arange(n + 1))
    succ = v[order]
    state = np.zeros(n, np.int8)  # 0 new, 1 on stack, 2 done
    # Quick exit: if a topological order exists (Kahn), nothing is reversed.
    indeg = np.bincount(v, minlength=n)
    stack = list(np.flatnonzero(indeg == 0))
    seen = 0
    indeg = indeg.copy()
    while stack:
        a = stack.pop()
        seen += 1
        for b in succ[starts[a]:starts[a + 1]]:
            indeg[b] -= 1
            if indeg[b] == 0:
                stack.append(b)
    if seen == n:
        return u, v
    back_set = set()
    for root in range(n):
        if state[root]:
            continue
        it_stack = [(root, starts[root])]
        state[root] = 1
        while it_stack:
            a, i = it_stack[-1]
            if i < starts[a + 1]:
                it_stack[-1] = (a, i + 1)
                b = int(succ[i])
                if state[b] == 1:
                    back_set.add((a, b))
                elif state[b] == 0:
                    state[b] = 1
                    it_stack.append((b, starts[b]))
            else:
                state[a] = 2
                it_stack.pop()
    back = np.array([(a, b) in back_set for a, b in zip(u.tolist(), v.tolist())])
    u2 = np.where(back, v, u)
    v2 = np.where(back, u, v)
    return u2, v2


def _longest_path_layers(n: int, u: np.ndarray, v: np.ndarray, check) -> np.ndarray:
    """layer[v] = 1 + max layer of its predecessors, in Kahn's topological order (a plain
    Python pass: deep graphs have thousands of frontiers, so per-frontier numpy calls would
    cost more than the walk itself); then sources move down to just above their first
    consumer."""
    layer = np.zeros(n, np.int64)
    if len(u) == 0:
        return layer
    succ: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(u.tolist(), v.tolist()):
        succ[a].append(b)
    indeg = np.bincount(v, minlength=n).tolist()
    lay = [0] * n
    stack = [i for i in range(n) if indeg[i] == 0]
    seen = 0
    while stack:
        a = stack.pop()
        seen += 1
        if seen % 8192 == 0:
            check()
        la = lay[a] + 1
        for b in succ[a]:
            if lay[b] < la:
                lay[b] = la
            indeg[b] -= 1
            if indeg[b] == 0:
                stack.append(b)
    layer[:] = lay
    # Pull sources (no predecessors) down next to their nearest consumer.
    has_pred = np.zeros(n, bool)
    has_pred[v] = True
    src_edges = ~has_pred[u]
    if src_edges.any():
        nearest = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(nearest, u[src_edges], layer[v[src_edges]] - 1)
        movable = (~has_pred) & (nearest != np.iinfo(np.int64).max)
        layer[movable] = np.maximum(layer[movable], nearest[movable])
    return layer


def _group_edges(a: np.ndarray, b: np.ndarray, key_layer: np.ndarray, n_layers: int):
    """Per layer l: (other_end, this_end) of edges whose `b` end lies in layer l."""
    order = np.argsort(key_layer, kind="stable")
    a, b, kl = a[order], b[order], key_layer[order]
    starts = np.searchsorted(kl, np.arange(n_layers + 1))
    return [(a[starts[l]:starts[l + 1]], b[starts[l]:starts[l + 1]]) for l in range(n_layers)]


def _barycenter(members: np.ndarray, edges, pos: np.ndarray, slot: np.ndarray) -> None:
    other, this = edges
    m = len(members)
    if m < 2 or len(this) == 0:
        return
    local = slot[this]  # index within `members`, so the work is per layer, not per graph
    cnt = np.bincount(local, minlength=m)
    tot = np.bincount(local, weights=pos[other], minlength=m)
    cur = pos[members]
    bary = np.where(cnt > 0, tot / np.maximum(cnt, 1), cur)
    # ties keep the current order: sort by (bary, cur)
    order = np.lexsort((cur, bary))
    pos[members[order]] = np.arange(m, dtype=np.float64)


def _barycenter_all(other: np.ndarray, this: np.ndarray, pos: np.ndarray, layer: np.ndarray,
                    n_all: int) -> np.ndarray:
    """Every layer reordered by the mean position of its neighbours in the adjacent layer."""
    cnt = np.bincount(this, minlength=n_all)
    tot = np.bincount(this, weights=pos[other], minlength=n_all)
    bary = np.where(cnt > 0, tot / np.maximum(cnt, 1), pos)
    order = np.lexsort((pos, bary, layer))
    starts = np.searchsorted(layer[order], np.arange(int(layer.max()) + 2))
    new = np.empty(n_all, np.float64)
    new[order] = np.arange(n_all) - starts[layer[order]]
    return new


def _align_all(other: np.ndarray, this: np.ndarray, x: np.ndarray, order: np.ndarray, seg: np.ndarray,
               c: np.ndarray, n_all: int) -> None:
    """_align for all layers at once. `order` lists nodes by (layer, position); `c` is each
    node's minimum offset from its layer's first node. A per-layer running max becomes one
    running max once each layer is lifted above the previous ones by a constant."""
    cnt = np.bincount(this, minlength=n_all)
    tot = np.bincount(this, weights=x[other], minlength=n_all)
    want = np.where(cnt > 0, tot / np.maximum(cnt, 1), x)[order]
    v = want - c
    big = float(v.max() - v.min()) + 1.0
    lift = seg * big
    right = np.maximum.accumulate(v + lift) - lift
    left = (np.minimum.accumulate((v + lift)[::-1]) - lift[::-1])[::-1]
    x[order] = (right + left) / 2 + c


def _align(members: np.ndarray, edges, x: np.ndarray, width: np.ndarray, gap: float,
           slot: np.ndarray) -> None:
    """Move each node of a layer towards the mean x of its neighbours in the adjacent layer,
    keeping the layer's order and at least `gap` between boxes (two cumulative-max passes:
    push right, push left, average)."""
    other, this = edges
    m = len(members)
    if m == 0 or len(this) == 0:
        return
    local = slot[this]
    cnt = np.bincount(local, minlength=m)
    tot = np.bincount(local, weights=x[other], minlength=m)
    cur = x[members]
    want = np.where(cnt > 0, tot / np.maximum(cnt, 1), cur)
    w = width[members]
    # offsets so that "x_i - c_i non-decreasing" means "separation respected"
    sep = (w[:-1] + w[1:]) / 2 + gap
    c = np.concatenate([[0.0], np.cumsum(sep)])
    right = np.maximum.accumulate(want - c) + c
    left = (np.minimum.accumulate((want - c)[::-1])[::-1]) + c
    x[members] = (right + left) / 2
    # the average of two valid placements is valid (constraints are linear), so no overlap
