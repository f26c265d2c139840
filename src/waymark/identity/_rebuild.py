"""Batch rebuild: the whole identity state from the event log, equal to what streaming built.

1. ``_scan``: every event's identifiers as interned integer rows (Arrow kernels; JSON parsed
   only where a configured field is mentioned).
2. ``_lineage``: connected components of the identifiers (SciPy). A component within every
   per-type limit can never have refused anything (a refusal needs a group over a limit, and
   a group lies inside one component), so streaming made it exactly one profile; its founders
   and merges come from integer arrays and a union-find over the few events that can merge.
3. A component over a limit (a shared family email, a reused device) is replayed event by
   event through the streaming rules (``_graph.Graph.step``): exact by construction.
4. Statistics (events, first/last seen, channels, identifier times) are grouped with NumPy
   from the event -> profile assignment; traits fold through the same mergeable summary
   streaming uses. The result is materialised as the streaming engine's state.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from waymark.core import collector
from waymark.identity import _traits
from waymark.identity._engine import Engine
from waymark.identity._graph import Merge, ProfileState, profile_id_for
from waymark.identity._lineage import Links, distinct
from waymark.identity._scan import Scanned, scan
from waymark.identity.config import IdentityConfig
from waymark.identity.contracts import MergeRecord, RebuildReport

I64 = npt.NDArray[np.int64]


def rebuild(
    config: IdentityConfig, batches: Iterable[pa.RecordBatch]
) -> tuple[Engine, pa.Table, RebuildReport]:
    """A fresh engine holding the state streaming would have built from these events (in
    seq order), the final profile of every event (``seq``, ``profile_id``), and a report."""
    with collector.paused():
        return _rebuild(config, batches)


class _Laps:
    def __init__(self) -> None:
        self.started = self._last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now


def _rebuild(
    config: IdentityConfig, batches: Iterable[pa.RecordBatch]
) -> tuple[Engine, pa.Table, RebuildReport]:
    lap = _Laps()
    engine = Engine(config)
    g = engine.graph
    sc = scan(engine.extractor, batches)
    engine.checkpoint = int(sc.seq[-1]) if sc.events else 0
    lap("scan")

    links = Links(sc.r_ev, sc.r_node, sc.node_first_row)
    n_nodes = links.n_nodes
    n_comp, comp = links.components()
    limits = np.array([t.limit for t in config.types], np.int64)
    n_types = len(limits)
    per_type = np.bincount(comp * n_types + sc.node_prio, minlength=n_comp * n_types)
    conflict_comp: npt.NDArray[np.bool_] = np.any(
        per_type.reshape(n_comp, n_types) > limits, axis=1
    )
    conflict_node = conflict_comp[comp]
    conflict_group = conflict_node[links.first_node]
    lap("components")

    # clean components: one profile each, lineage from the arrays
    lineage = links.lineage(conflict_group)
    clean_nodes = np.flatnonzero(~conflict_node)
    founders = distinct(lineage.birth[clean_nodes], n_nodes)
    pid_of = {f: profile_id_for(sc.node_key[f]) for f in founders.tolist()}
    final = lineage.final[lineage.birth]
    roots = distinct(final[clean_nodes], n_nodes)
    root_index = np.full(n_nodes, -1, np.int64)
    root_index[roots] = np.arange(len(roots))
    node_pidx = np.full(n_nodes, -1, np.int64)
    node_pidx[clean_nodes] = root_index[final[clean_nodes]]
    ev_pidx = np.full(sc.events, -1, np.int64)
    clean_groups = ~conflict_group
    ev_pidx[links.group_ev[clean_groups]] = node_pidx[links.first_node[clean_groups]]
    live: list[ProfileState] = []
    absorbed_by: dict[int, list[str]] = {}
    records: list[MergeRecord] = []
    merge_events = _Events(sc, [m[0] for m in lineage.merges])
    for e, survivor, absorbed, via in lineage.merges:
        merge = Merge((pid_of[survivor], pid_of[absorbed], sc.node_key[via]))
        records.append(engine.merge_record(merge, *merge_events[e]))
        root = int(lineage.final[absorbed])
        absorbed_by.setdefault(root, []).append(pid_of[absorbed])
        g.alias[pid_of[absorbed]] = pid_of[root]
    created = sc.seq[links.node_first_ev[roots]].tolist()
    for r, c in zip(roots.tolist(), created, strict=True):
        state = ProfileState(pid_of[r], c)
        if r in absorbed_by:
            state.merged = sorted(absorbed_by[r])
        live.append(state)
    n_clean = len(live)
    lap("lineage")

    # components over a limit: replay their events through the streaming rules
    replay = np.flatnonzero(conflict_group)
    replay_groups = replay.tolist()
    replay_events = _Events(sc, links.group_ev[replay].tolist())
    rows = np.flatnonzero(conflict_group[links.group_of_row])  # in group order
    row_nodes = links.r_node[rows].tolist()
    bounds = np.r_[0, np.cumsum(links.ends[replay] - links.starts[replay])].tolist()
    at_time: dict[int, str] = {}
    node_key = sc.node_key
    for i, grp in enumerate(replay_groups):
        e = int(links.group_ev[grp])
        seq, message_id, ts = replay_events[e]
        keys = [node_key[n] for n in row_nodes[bounds[i] : bounds[i + 1]]]
        node, _, merges, refusals = g.step(keys, seq)
        pid = None if node is None else node.pid
        if pid is not None:
            at_time[e] = pid
        records.extend(engine.merge_record(m, seq, message_id, ts) for m in merges)
        records.extend(engine.refusal_record(r, pid, seq, message_id, ts) for r in refusals)
    replay_index: dict[str, int] = {}
    for pid, state in g.profiles.items():
        replay_index[pid] = len(live)
        live.append(state)
    for n in np.flatnonzero(conflict_node).tolist():
        owned = g.owner.get(sc.node_key[n])
        if owned is not None:
            node_pidx[n] = replay_index[owned.pid]
    for e, pid in at_time.items():
        ev_pidx[e] = replay_index[g.canonical(pid) or pid]
    lap("replay")

    _stats(live, engine, sc, ev_pidx, node_pidx)
    for state in live[:n_clean]:
        g.profiles[state.pid] = state
    owner = g.owner
    for n, p in zip(clean_nodes.tolist(), node_pidx[clean_nodes].tolist(), strict=True):
        key = sc.node_key[n]
        state = live[p]
        owner[key] = state
        state.keys.append(key)
        counts = state.counts
        counts[key[0]] = counts.get(key[0], 0) + 1
    records.sort(key=lambda r: r.seq)  # stable: one event's records come from one path
    engine.record(records)
    engine.logged = 0
    engine.dirty = set(g.profiles)
    pids = pa.array([state.pid for state in live], pa.string())
    assignment = pa.table(
        {
            "seq": pa.array(sc.seq, pa.int64()),
            "profile_id": pids.take(pa.array(ev_pidx, mask=ev_pidx < 0)),
        }
    )
    lap("materialise")

    report = RebuildReport(
        events=sc.events,
        identifiers=n_nodes,
        profiles=len(g.profiles),
        merges=sum(1 for r in records if r.kind == "merge"),
        refused=sum(1 for r in records if r.kind == "refused"),
        components=n_comp,
        conflicting_components=int(conflict_comp.sum()),
        replayed_events=len(replay_groups),
        unattributed_events=int((ev_pidx < 0).sum()),
        seconds=sum(lap.laps.values()),
        checkpoint=engine.checkpoint,
        timings=lap.laps,
    )
    return engine, assignment, report


class _Events:
    """(seq, message id, time in us) of some events, fetched from the columns in bulk."""

    def __init__(self, sc: Scanned, positions: list[int]) -> None:
        at = np.asarray(positions, np.int64)
        self._index = {e: i for i, e in enumerate(positions)}
        self._seq = sc.seq[at].tolist()
        self._ts = sc.ts[at].tolist()
        self._ids = sc.message_id.take(pa.array(at)).to_pylist() if len(at) else []

    def __getitem__(self, e: int) -> tuple[int, str, int]:
        i = self._index[e]
        return self._seq[i], self._ids[i], self._ts[i]


def _stats(
    live: list[ProfileState], engine: Engine, sc: Scanned, ev_pidx: I64, node_pidx: I64
) -> None:
    """Events, first/last seen, channels, identifier times and traits of every profile."""
    n_live = len(live)
    valid = ev_pidx >= 0
    p = ev_pidx[valid]
    t = sc.ts[valid]
    counts = np.bincount(p, minlength=n_live)
    first = np.full(n_live, np.iinfo(np.int64).max, np.int64)
    last = np.full(n_live, np.iinfo(np.int64).min, np.int64)
    np.minimum.at(first, p, t)
    np.maximum.at(last, p, t)
    for state, c, f, la in zip(live, counts.tolist(), first.tolist(), last.tolist(), strict=True):
        state.event_count = c
        state.first_us = f if c else None
        state.last_us = la if c else None
    if sc.events:
        channel = sc.channel.combine_chunks().dictionary_encode()
        names = channel.dictionary.to_pylist()
        codes = np.asarray(channel.indices.to_numpy(), np.int64)[valid]
        for pair in distinct(p * len(names) + codes, n_live * len(names)).tolist():
            live[pair // len(names)].channels.add(names[pair % len(names)])

    # an identifier's times span the events it was kept in: those that went to its profile
    r_ev, r_node = sc.r_ev, sc.r_node
    row_p = ev_pidx[r_ev]
    kept = (row_p >= 0) & (node_pidx[r_node] == row_p)
    n_nodes = len(sc.node_key)
    seen_first = np.full(n_nodes, np.iinfo(np.int64).max, np.int64)
    seen_last = np.full(n_nodes, np.iinfo(np.int64).min, np.int64)
    np.minimum.at(seen_first, r_node[kept], sc.ts[r_ev[kept]])
    np.maximum.at(seen_last, r_node[kept], sc.ts[r_ev[kept]])
    owned = np.flatnonzero(node_pidx >= 0)
    engine.seen.update(
        zip(
            [sc.node_key[n] for n in owned.tolist()],
            map(list, zip(seen_first[owned].tolist(), seen_last[owned].tolist(), strict=True)),
            strict=True,
        )
    )

    keep = engine.keep_traits
    if sc.trait_obs:
        pidx = ev_pidx.tolist()
        for e, values in sc.trait_obs:
            i = pidx[e]
            if i >= 0:
                _traits.observe(live[i].traits, values, (int(sc.ts[e]), int(sc.seq[e])), keep)
