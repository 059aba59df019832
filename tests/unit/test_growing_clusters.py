"""Clusters kept as the graph grows are those of a computation from nothing over every edge added so far."""

from __future__ import annotations

import random

import pytest

from admitall.domain.tracing import GrowingClusters, components


@pytest.mark.parametrize("seed", range(40))
def test_clusters_grown_round_by_round_equal_the_components_of_every_edge(seed):
    rng = random.Random(seed)
    grown, edges = GrowingClusters(), []
    nodes = rng.randrange(2, 60)
    for _ in range(rng.randrange(1, 6)):  # rounds
        new = [(rng.randrange(nodes), rng.randrange(nodes)) for _ in range(rng.randrange(0, 25))]
        edges += new
        grown.add(new)
        for top in (None, 1, 3):
            assert grown.summary(top) == components(edges, top)


def test_an_empty_graph_has_no_clusters_and_the_answer_is_a_copy():
    grown = GrowingClusters()
    assert grown.summary(5) == (0, 0, [])
    grown.add([(1, 2)])
    (_, _, [largest]) = grown.summary(5)
    largest.add(99)
    assert grown.summary(5) == (1, 2, [{1, 2}])
