"""Travel-time matrices and coverage on a Dask cluster, in chunks of sources.

The same work as :func:`geoplan.routing.travel_time_matrix`, spread over the
workers of a ``dask.distributed`` cluster: a local one on this machine
(``"local"``) or a real one given by its scheduler address
(``"tcp://host:8786"``). The client side snaps the points and builds the
augmented graph (one virtual node per point, see :mod:`geoplan.routing`); the
graph is shipped to every worker once per call (``client.scatter(...,
broadcast=True)``); each task runs Dijkstra from one chunk of sources. Results
are identical to the single-machine path, element for element (the same
Dijkstra per source, the same rounding).

:func:`coverage_distributed` goes one step further for national-scale runs:
each task reduces its chunk on the worker (nearest site per demand point,
weight covered per site within each threshold, the sparse cover sets within
the largest threshold), so no full matrix ever travels or sits in memory.

Choosing the cluster
--------------------
``client=None`` reads ``$GEOPLAN_DASK_SCHEDULER``: unset or empty means no
Dask (single machine, :func:`geoplan.routing.travel_time_matrix`); ``local``
starts (once per process) a ``LocalCluster`` of
:func:`geoplan.routing.routing_workers` single-threaded worker processes; any
other value is a scheduler address. A ``distributed.Client`` can also be passed.

Limits
------
Workers must have geoplan (same version) and its dependencies installed. A
``LocalCluster`` starts worker processes with ``spawn``: a script that uses it
needs the ``if __name__ == "__main__":`` guard. The scattered graph is
replicated on every worker (about 40 bytes per edge); the client holds the
float32 result (4 bytes per pair) for :func:`travel_time_matrix_distributed`,
and only per-point and per-site vectors plus the cover pairs for
:func:`coverage_distributed`.
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.errors import InputError
from geoplan.progress import task
from geoplan.routing import (
    AccessModel,
    CompiledGraph,
    TravelTimeMatrix,
    _dijkstra_rows,
    _plan_matrix,
    _to_minutes,
    routing_workers,
    travel_time_matrix,
)

#: Environment variable naming the Dask scheduler ("local" or an address such as tcp://host:8786).
SCHEDULER_ENV = "GEOPLAN_DASK_SCHEDULER"

_LOCAL: dict = {}


def dask_client(scheduler=None):
    """The ``distributed.Client`` a setting asks for, or ``None`` for no Dask.

    Parameters
    ----------
    scheduler
        ``None`` (read ``$GEOPLAN_DASK_SCHEDULER``; unset or empty → ``None``),
        ``"local"`` (a ``LocalCluster`` started once per process and reused),
        a scheduler address (``"tcp://host:8786"``), or a ``Client``.

    Returns
    -------
    distributed.Client or None

    Raises
    ------
    InputError
        Dask is not installed, or the scheduler cannot be reached.
    """
    from_env = scheduler is None
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV, "").strip() or None
        if scheduler is None:
            return None
    if not isinstance(scheduler, str):
        return scheduler  # a Client (or something that behaves like one)
    _check_scheduler(scheduler, from_env=from_env)
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError(
            None,
            f"Dask scheduler {scheduler!r} requested but dask.distributed is not installed",
            "pip install 'dask[distributed]' (or unset GEOPLAN_DASK_SCHEDULER)",
        ) from exc
    if scheduler.lower() == "local":
        client = _LOCAL.get("client")
        if client is None or client.status not in ("running", "connecting"):
            n = routing_workers()
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
            _LOCAL.update(cluster=cluster, client=client)
        return client
    try:
        return Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise InputError(
            None,
            f"cannot reach the Dask scheduler at {scheduler!r}: {exc}",
            f"start it (dask scheduler; dask worker {scheduler}) or fix {SCHEDULER_ENV}",
        ) from exc


def _check_scheduler(scheduler: str, *, from_env: bool) -> None:
    """'local', 'scheme://host[:port]' or 'host:port'; anything else is an InputError naming the setting."""
    import re

    v = scheduler.strip()
    if v.lower() == "local" or re.fullmatch(r"[a-z][a-z0-9+]*://\S+|[^\s:/]+:\d+", v):
        return
    where = f"${SCHEDULER_ENV}" if from_env else "[routing] dask_scheduler"
    raise InputError(None, f"{where} = {scheduler!r}: neither 'local' nor a Dask scheduler address",
                     "give 'local' or an address such as tcp://host:8786"
                     + (f" (or unset {SCHEDULER_ENV})" if from_env else ""))


def close_local_cluster() -> None:
    """Close the ``LocalCluster`` started by :func:`dask_client` (if any)."""
    client, cluster = _LOCAL.pop("client", None), _LOCAL.pop("cluster", None)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


atexit.register(close_local_cluster)


# --------------------------------------------------------------------------- tasks (run on workers)


def _matrix_chunk(A, L, chunk, targets, limit_s, with_km):
    sec, met = _dijkstra_rows(A, L, chunk, targets, limit_s, with_km)
    return _to_minutes(sec, met)


def _coverage_chunk(A, chunk, targets, limit_s, transposed, weights, thresholds):
    """Reduce one chunk to nearest-site and coverage partials (oriented demand × sites)."""
    sec, _ = _dijkstra_rows(A, None, chunk, targets, limit_s, False)
    minutes, _ = _to_minutes(sec, None)
    block = minutes.T if transposed else minutes  # demand × sites
    w = weights if transposed else weights[: block.shape[0]]
    return _reduce_block(block, w, thresholds)


def _reduce_block(block: np.ndarray, w: np.ndarray, thresholds: np.ndarray):
    if block.shape[1]:
        j = np.argmin(block, axis=1)
        t = block[np.arange(block.shape[0]), j]
    else:
        j = np.zeros(block.shape[0], dtype=np.int64)
        t = np.full(block.shape[0], np.inf, dtype=np.float32)
    covered = np.stack([(block <= T).T.astype(np.float64) @ w for T in thresholds], axis=1)
    r, c = np.nonzero(block <= thresholds[-1])
    return t, j.astype(np.int64), covered, r.astype(np.int32), c.astype(np.int32), block[r, c]


# --------------------------------------------------------------------------- public API


def travel_time_matrix_distributed(
    cg: CompiledGraph,
    *,
    origins_xy: np.ndarray,
    destinations_xy: np.ndarray,
    origin_ids=None,
    destination_ids=None,
    access: AccessModel | None = None,
    max_minutes: float | None = None,
    with_km: bool = False,
    client=None,
    chunk_size: int = 64,
    origins_file=None,
    destinations_file=None,
    description: str = "Travel times (Dask)",
) -> TravelTimeMatrix:
    """:func:`geoplan.routing.travel_time_matrix` on a Dask cluster, in chunks of sources.

    Parameters
    ----------
    cg, origins_xy, destinations_xy, origin_ids, destination_ids, access, max_minutes, with_km
        As :func:`geoplan.routing.travel_time_matrix`.
    client
        ``None`` (``$GEOPLAN_DASK_SCHEDULER``), ``"local"``, a scheduler
        address or a ``distributed.Client`` (see :func:`dask_client`). When it
        resolves to no Dask, this is :func:`~geoplan.routing.travel_time_matrix`.
    chunk_size
        Sources (points of the smaller side) per task; one Dijkstra call each.

    Returns
    -------
    TravelTimeMatrix
        Equal, element for element, to the single-machine result.
    """
    c = dask_client(client)
    if c is None:
        return travel_time_matrix(
            cg,
            origins_xy=origins_xy,
            destinations_xy=destinations_xy,
            origin_ids=origin_ids,
            destination_ids=destination_ids,
            access=access,
            max_minutes=max_minutes,
            with_km=with_km,
            batch_size=chunk_size,
            origins_file=origins_file,
            destinations_file=destinations_file,
            description=description,
        )
    _check_chunk(chunk_size)
    plan = _plan_matrix(
        cg,
        origins_xy=origins_xy,
        destinations_xy=destinations_xy,
        origin_ids=origin_ids,
        destination_ids=destination_ids,
        access=access,
        max_minutes=max_minutes,
        with_km=with_km,
        origins_file=origins_file,
        destinations_file=destinations_file,
    )
    ns, nt = len(plan.sources), len(plan.targets)
    minutes = np.full((ns, nt), np.inf, dtype=np.float32)
    km = np.full((ns, nt), np.inf, dtype=np.float32) if with_km else None
    A_f, L_f, t_f = _scatter(c, plan.A, plan.L, plan.targets)
    from distributed import as_completed

    futures = {}
    for s in range(0, ns, chunk_size):
        f = c.submit(
            _matrix_chunk,
            A_f,
            L_f,
            plan.sources[s : s + chunk_size],
            t_f,
            plan.limit_s,
            with_km,
            pure=False,
        )
        futures[f] = s
    with task(description, total=ns) as advance:
        for f in as_completed(list(futures)):
            s = futures[f]
            m, k = f.result()
            minutes[s : s + len(m)] = m
            if km is not None:
                km[s : s + len(m)] = k
            advance(len(m))
            f.release()
    return plan.matrix(minutes, km)


@dataclass
class CoverageSummary:
    """Coverage of demand points by sites, reduced without a full matrix.

    Attributes
    ----------
    demand, sites
        Ids (``pandas.Index``).
    nearest_minutes
        float32 per demand point: minutes to the nearest site (inf = none).
    nearest_site
        Id of the nearest site per demand point (``None`` where none); ties go
        to the first site in ``sites`` order, as :meth:`TravelTimeMatrix.nearest`.
    covered_weight
        DataFrame (sites × thresholds): demand weight within each threshold of
        each site.
    thresholds
        The thresholds (minutes), ascending.
    within
        Sparse (demand × sites) float32 CSR of the minutes of every pair
        within the largest threshold (explicit entries; a pair at 0 minutes is
        stored as an explicit zero) — the cover sets of LSCP / MCLP.
    """

    demand: pd.Index
    sites: pd.Index
    nearest_minutes: np.ndarray
    nearest_site: np.ndarray
    covered_weight: pd.DataFrame
    thresholds: tuple[float, ...]
    within: sp.csr_matrix

    def cover_sets(self, threshold: float) -> sp.csr_matrix:
        """Boolean (demand × sites) CSR: site covers demand point within ``threshold``."""
        if threshold > self.thresholds[-1] + 1e-9:
            raise InputError(
                None,
                f"threshold {threshold} exceeds the largest computed ({self.thresholds[-1]})",
                "compute the summary with that threshold",
            )
        w = self.within.tocoo()
        keep = w.data <= threshold
        return sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=bool), (w.row[keep], w.col[keep])),
            shape=self.within.shape,
        )


def coverage_distributed(
    cg: CompiledGraph,
    *,
    demand_xy: np.ndarray,
    sites_xy: np.ndarray,
    thresholds: Sequence[float],
    weights: np.ndarray | None = None,
    demand_ids=None,
    site_ids=None,
    access: AccessModel | None = None,
    max_minutes: float | None = None,
    client=None,
    chunk_size: int = 64,
    description: str = "Coverage (Dask)",
) -> CoverageSummary:
    """Nearest site, covered weight per site and cover sets, reduced chunk by chunk on the workers.

    Travel time is from each demand point to each site (as the pipeline's
    ``cells_to``). With no Dask (``client`` resolving to ``None``) the chunks
    run in this process, one after the other, with the same results.

    Parameters
    ----------
    cg, access
        As :func:`geoplan.routing.travel_time_matrix`.
    demand_xy, sites_xy
        Coordinates (EPSG:25832).
    thresholds
        Minutes; the cover sets are kept within the largest.
    weights
        Demand weight (population) per point; default 1.
    max_minutes
        Dijkstra cutoff; default the largest threshold when nearest times
        beyond it are not needed — pass ``numpy.inf`` for exact nearest times
        everywhere.
    client, chunk_size
        As :func:`travel_time_matrix_distributed`.

    Returns
    -------
    CoverageSummary
    """
    th = np.array(sorted(float(t) for t in thresholds), dtype=np.float64)
    if th.size == 0:
        raise InputError(
            None, "no coverage thresholds given", "pass thresholds=[15, 30, ...] (minutes)"
        )
    _check_chunk(chunk_size)
    limit = (
        th[-1] if max_minutes is None else (None if not np.isfinite(max_minutes) else max_minutes)
    )
    if limit is not None and limit < th[-1]:
        raise InputError(
            None,
            f"max_minutes={max_minutes} is below the largest threshold {th[-1]}",
            "raise max_minutes or drop the threshold",
        )
    plan = _plan_matrix(
        cg,
        origins_xy=demand_xy,
        destinations_xy=sites_xy,
        origin_ids=demand_ids,
        destination_ids=site_ids,
        access=access,
        max_minutes=limit,
    )
    n_d, n_s = len(plan.origins), len(plan.destinations)
    w = np.ones(n_d) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape[0] != n_d:
        raise InputError(
            None, f"{w.shape[0]} weights for {n_d} demand points", "pass one weight per point"
        )
    best_t = np.full(n_d, np.inf, dtype=np.float32)
    best_j = np.full(n_d, -1, dtype=np.int64)
    covered = np.zeros((n_s, len(th)))
    rows, cols, vals = [], [], []

    def merge(s: int, part) -> None:
        t, j, cov, r, c, v = part
        n = len(plan.sources[s : s + chunk_size])
        if plan.transposed:  # chunk = sites s..s+n, all demand rows
            j = j + s
            better = t < best_t  # strict: earlier sites win ties (chunks are merged in any order)
            tie = (t == best_t) & (j < best_j)
            upd = better | tie
            best_t[upd], best_j[upd] = t[upd], j[upd]
            covered[s : s + n] += cov
            c = c + s
        else:  # chunk = demand rows s..s+n, all sites
            best_t[s : s + n], best_j[s : s + n] = t, j
            covered[:] += cov
            r = r + s
        rows.append(r)
        cols.append(c)
        vals.append(v)

    c = dask_client(client)
    starts = range(0, len(plan.sources), chunk_size)
    with task(description, total=len(plan.sources)) as advance:
        if c is None:
            for s in starts:
                chunk = plan.sources[s : s + chunk_size]
                wc: object = w if plan.transposed else w[s : s + chunk_size]
                merge(
                    s,
                    _coverage_chunk(
                        plan.A, chunk, plan.targets, plan.limit_s, plan.transposed, wc, th
                    ),
                )
                advance(len(chunk))
        else:
            from distributed import as_completed

            A_f, _, t_f = _scatter(c, plan.A, None, plan.targets)
            w_f = c.scatter(w, broadcast=True) if plan.transposed else None
            futures = {}
            for s in starts:
                chunk = plan.sources[s : s + chunk_size]
                wc = w_f if plan.transposed else w[s : s + chunk_size]
                f = c.submit(
                    _coverage_chunk,
                    A_f,
                    chunk,
                    t_f,
                    plan.limit_s,
                    plan.transposed,
                    wc,
                    th,
                    pure=False,
                )
                futures[f] = s
            for f in as_completed(list(futures)):
                s = futures[f]
                merge(s, f.result())
                advance(len(plan.sources[s : s + chunk_size]))
                f.release()
    best_j[~np.isfinite(best_t)] = -1
    site_arr = np.asarray(plan.destinations, dtype=object)
    nearest = np.where(best_j >= 0, site_arr[np.maximum(best_j, 0)], np.array(None, dtype=object))
    r = np.concatenate(rows) if rows else np.zeros(0, np.int32)
    cc = np.concatenate(cols) if cols else np.zeros(0, np.int32)
    v = np.concatenate(vals) if vals else np.zeros(0, np.float32)
    order = np.lexsort((cc, r))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n_d))]).astype(np.int64)
    within = sp.csr_matrix(
        (v[order].astype(np.float32), cc[order].astype(np.int64), indptr), shape=(n_d, n_s)
    )
    cols_names = [f"within_{_fmt(t)}" for t in th]
    return CoverageSummary(
        demand=plan.origins,
        sites=plan.destinations,
        nearest_minutes=best_t,
        nearest_site=nearest,
        covered_weight=pd.DataFrame(covered, index=plan.destinations, columns=cols_names),
        thresholds=tuple(float(t) for t in th),
        within=within,
    )


# --------------------------------------------------------------------------- helpers


def _scatter(client, A, L, targets):
    """Ship the graph (and targets) to every worker once; returns futures."""
    A_f = client.scatter(A, broadcast=True, hash=False)
    L_f = client.scatter(L, broadcast=True, hash=False) if L is not None else None
    t_f = client.scatter(targets, broadcast=True, hash=False)
    return A_f, L_f, t_f


def _check_chunk(chunk_size: int) -> None:
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise InputError(
            None,
            f"chunk_size must be a positive integer, got {chunk_size!r}",
            "pass chunk_size=64 (sources per task)",
        )


def _fmt(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else str(t)


__all__ = [
    "SCHEDULER_ENV",
    "CoverageSummary",
    "close_local_cluster",
    "coverage_distributed",
    "dask_client",
    "travel_time_matrix_distributed",
]
