"""Synthetic road-like instances for tests and benchmarks (until real road travel times are used).

Demand points are 1-km cells clustered around towns of log-normal size plus a
thin rural background, inside a 130 × 110 km box (about the size of Region
Midtjylland). Candidate sites are drawn from the populated cells, favouring
big ones. Travel time = straight-line km × 1.3 (detour) / 70 km/h × 60 plus
a uniform 0–3 min access noise per pair. Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np


def road_like_instance(
    n_demand: int = 13_000,
    n_sites: int = 300,
    *,
    n_towns: int = 40,
    seed: int = 0,
    box_km: tuple[float, float] = (130.0, 110.0),
    speed_kph: float = 70.0,
    detour: float = 1.3,
    noise_minutes: float = 3.0,
):
    """Return ``(cost, weights, demand_xy, site_xy)``; cost in minutes (float64, demand × sites)."""
    rng = np.random.default_rng(seed)
    W, H = box_km
    towns = rng.uniform([5, 5], [W - 5, H - 5], size=(n_towns, 2))
    size = rng.lognormal(mean=0.0, sigma=1.0, size=n_towns)
    size /= size.sum()
    n_rural = n_demand // 4
    n_town = n_demand - n_rural
    k = rng.choice(n_towns, size=n_town, p=size)
    spread = 2.0 + 6.0 * np.sqrt(size[k] * n_towns)
    pts_town = towns[k] + rng.normal(size=(n_town, 2)) * spread[:, None]
    pts_rural = rng.uniform([0, 0], [W, H], size=(n_rural, 2))
    xy = np.clip(np.vstack([pts_town, pts_rural]), 0, [W, H])
    xy = (
        np.floor(xy) + 0.5
    )  # snap to 1-km cell centres (duplicates allowed: cells with several draws)
    weights = np.concatenate([rng.lognormal(3.0, 1.0, n_town), rng.lognormal(1.0, 0.8, n_rural)])
    weights = np.round(weights, 0) + 1.0
    p = weights / weights.sum()
    site_rows = rng.choice(n_demand, size=n_sites, replace=False, p=p)
    sxy = xy[site_rows] + rng.uniform(-0.4, 0.4, size=(n_sites, 2))
    d = np.sqrt(((xy[:, None, :] - sxy[None, :, :]) ** 2).sum(axis=2))
    cost = d * detour / speed_kph * 60.0 + rng.uniform(0, noise_minutes, size=d.shape)
    return cost, weights, xy, sxy


def random_instance(
    n_demand: int = 12, n_sites: int = 7, *, seed: int = 0, unreachable: float = 0.0
):
    """Small uniform random instance (minutes 1–60, optional share of unreachable pairs) for brute-force tests."""
    rng = np.random.default_rng(seed)
    cost = np.round(rng.uniform(1, 60, size=(n_demand, n_sites)), 1)
    if unreachable > 0:
        mask = rng.random(cost.shape) < unreachable
        cost[mask] = np.inf
    weights = np.round(rng.uniform(1, 100, size=n_demand), 0)
    return cost, weights
