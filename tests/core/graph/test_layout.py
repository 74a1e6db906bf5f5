import threading

import numpy as np
import pytest

from studio.core.errors import Cancelled, StudioError
from studio.core.graph.layout import layered_layout


def _random_dag(n, extra, seed):
    rng = np.random.default_rng(seed)
    ids = [f"n{i}" for i in range(n)]
    edges = [(f"n{i}", f"n{i + 1}") for i in range(n - 1)]
    for _ in range(extra):
        a, b = sorted(rng.choice(n, 2, replace=False))
        edges.append((f"n{a}", f"n{b}"))
    sizes = [(40 + (i % 5) * 20, 20 + (i % 3) * 8) for i in range(n)]
    return ids, sizes, edges


def _overlaps(lay):
    x0 = lay.x - lay.width / 2
    x1 = lay.x + lay.width / 2
    y0 = lay.y - lay.height / 2
    y1 = lay.y + lay.height / 2
    bad = 0
    order = np.argsort(x0)
    # sweep: compare each box with the ones that start before it ends (small n in tests)
    for ii, i in enumerate(order):
        for j in order[ii + 1:]:
            if x0[j] >= x1[i]:
                break
            if y0[j] < y1[i] and y0[i] < y1[j]:
                bad += 1
    return bad


def test_layers_respect_edges_and_boxes_do_not_overlap():
    ids, sizes, edges = _random_dag(300, 250, seed=1)
    lay = layered_layout(ids, sizes, edges)
    for s, d in edges:
        i, j = ids.index(s), ids.index(d)
        assert lay.layer[i] < lay.layer[j]
        assert lay.y[i] < lay.y[j]
    assert _overlaps(lay) == 0
    assert len(lay.edges) == len(edges)
    for (s, d), pts in zip(edges, lay.edges):
        sx, sy = lay.position(s)
        dx, dy = lay.position(d)
        assert pts[0][0] == pytest.approx(sx) and pts[-1][0] == pytest.approx(dx)
        assert np.all(np.diff(pts[:, 1]) > 0)  # downward polylines


def test_sources_sit_next_to_their_consumer():
    # a constant feeding the last node of a long chain must not sit at the top
    ids = [f"c{i}" for i in range(20)] + ["const"]
    edges = [(f"c{i}", f"c{i + 1}") for i in range(19)] + [("const", "c19")]
    lay = layered_layout(ids, [(50, 20)] * len(ids), edges)
    assert lay.layer[ids.index("const")] == lay.layer[ids.index("c19")] - 1


def test_deterministic():
    ids, sizes, edges = _random_dag(200, 150, seed=2)
    a = layered_layout(ids, sizes, edges)
    b = layered_layout(ids, sizes, edges)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert all(np.array_equal(p, q) for p, q in zip(a.edges, b.edges))


def test_barycenter_sweeps_untangle_a_crossed_bipartite_graph():
    # top row a0..a4, bottom row b0..b4 listed in reverse: a_i -> b_(4-i) crosses everything
    ids = [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
    edges = [(f"a{i}", f"b{4 - i}") for i in range(5)]
    lay = layered_layout(ids, [(40, 20)] * 10, edges)
    xa = [lay.position(f"a{i}")[0] for i in range(5)]
    xb = [lay.position(f"b{4 - i}")[0] for i in range(5)]
    assert np.argsort(xa).tolist() == np.argsort(xb).tolist()


def test_cycles_and_parallel_edges_do_not_break_it():
    ids = ["a", "b", "c"]
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "b")]
    lay = layered_layout(ids, [(30, 10)] * 3, edges)
    assert len(lay.edges) == 4 and len(set(lay.layer.tolist())) == 3


def test_unknown_node_is_a_clear_error():
    with pytest.raises(StudioError, match="unknown node 'zz'"):
        layered_layout(["a"], [(1, 1)], [("a", "zz")])


def test_cancel_stops_the_layout():
    ids, sizes, edges = _random_dag(2000, 2000, seed=3)
    ev = threading.Event()
    ev.set()
    with pytest.raises(Cancelled):
        layered_layout(ids, sizes, edges, cancel=ev)
    calls = []

    def cancel_later():
        calls.append(1)
        return len(calls) > 3
    with pytest.raises(Cancelled):
        layered_layout(ids, sizes, edges, cancel=cancel_later)


def test_empty_graph():
    lay = layered_layout([], [], [])
    assert len(lay.x) == 0
