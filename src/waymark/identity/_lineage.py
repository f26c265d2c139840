"""Connected components and profile lineage over interned identifier rows (NumPy, SciPy).

Rows are (event, identifier) pairs in (event, priority, source) order; each event with
identifiers is a *group*. Within components that never hit a limit, streaming's rules reduce
to three facts this module computes from arrays:
- a group whose identifiers are all new founds a profile, named by its first identifier;
- a new identifier joins the profile of its group's first known identifier;
- only groups with two or more known identifiers can merge profiles; those run, in seq order,
  through a union-find over founders in which the earliest founder always survives.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


class Lineage:
    def __init__(self, birth: I64, final: I64, merges: list[tuple[int, int, int, int]]) -> None:
        self.birth = birth
        """Identifier -> the founder of the profile it first joined."""
        self.final = final
        """Founder -> the founder of the profile that survives it (itself if it survives)."""
        self.merges = merges
        """(event, surviving founder, absorbed founder, linking identifier), in event order."""


class Links:
    def __init__(self, r_ev: I64, r_node: I64, node_first_row: I64) -> None:
        self.r_ev = r_ev
        self.r_node = r_node
        n_rows = len(r_ev)
        if n_rows:
            self.starts = np.flatnonzero(np.r_[True, r_ev[1:] != r_ev[:-1]])
        else:
            self.starts = np.zeros(0, np.int64)
        self.ends = np.r_[self.starts[1:], n_rows].astype(np.int64)
        self.group_ev = r_ev[self.starts]
        self.group_of_row = np.repeat(np.arange(len(self.starts)), self.ends - self.starts)
        self.first_node = r_node[self.starts]
        self.node_first_row = node_first_row
        self.node_first_ev = r_ev[node_first_row]
        """The event that first carried each identifier (it founded or joined a profile)."""

    @property
    def n_nodes(self) -> int:
        return len(self.node_first_row)

    def components(self) -> tuple[int, I64]:
        """Connected components of the identifiers (each group links its first identifier
        to the others)."""
        n_nodes = self.n_nodes
        if n_nodes == 0:
            return 0, np.zeros(0, np.int64)
        # SciPy's graph module takes half a second to import; only a rebuild needs it, so every
        # CLI command and server start does not pay for it.
        from scipy.sparse import coo_matrix  # noqa: PLC0415
        from scipy.sparse.csgraph import connected_components  # noqa: PLC0415

        linked = np.ones(len(self.r_ev), bool)
        linked[self.starts] = False
        src = self.first_node[self.group_of_row[linked]]
        dst = self.r_node[linked]
        matrix = coo_matrix(
            (np.ones(len(src), np.int8), (src, dst)), shape=(n_nodes, n_nodes)
        ).tocsr()
        n_comp, labels = connected_components(matrix, directed=False)
        return int(n_comp), np.asarray(labels, np.int64)

    def lineage(self, skip_group: Bools) -> Lineage:
        """Founders, joins and merges of every group not skipped (see the module doc)."""
        r_node, group_of_row = self.r_node, self.group_of_row
        n_groups = len(self.starts)
        is_old = self.node_first_ev[r_node] < self.r_ev
        if n_groups:
            old_count = np.add.reduceat(is_old.astype(np.int64), self.starts)
        else:
            old_count = np.zeros(0, np.int64)
        old_rows = np.flatnonzero(is_old)
        old_group = group_of_row[old_rows]
        first_of_group = np.ones(len(old_rows), bool)
        first_of_group[1:] = old_group[1:] != old_group[:-1]
        first_old = np.full(n_groups, -1, np.int64)
        first_old[old_group[first_of_group]] = r_node[old_rows[first_of_group]]
        # each identifier's parent, at the group that first carried it: a founder points at
        # itself, a joiner at that group's first known identifier
        home = group_of_row[self.node_first_row]
        founding = old_count[home] == 0
        birth = roots(np.where(founding, self.first_node[home], first_old[home]))

        # Only groups whose known identifiers were born in different profiles can merge
        # anything, and only the first group linking the same two founders: later ones find
        # them merged already (within limits, merges are never refused).
        old_birth = birth[r_node[old_rows]]
        run_starts = np.flatnonzero(first_of_group)
        runs_group = old_group[run_starts]
        low = np.minimum.reduceat(old_birth, run_starts) if len(run_starts) else old_birth
        high = np.maximum.reduceat(old_birth, run_starts) if len(run_starts) else old_birth
        mixed = np.zeros(n_groups, bool)
        mixed[runs_group] = low != high
        candidates = mixed & ~skip_group
        pair = candidates & (old_count == 2)
        pair_groups = np.flatnonzero(pair)
        if len(pair_groups):
            at = np.searchsorted(runs_group, pair_groups)
            key = low[at] * self.n_nodes + high[at]
            _, first = np.unique(key, return_index=True)
            candidates[pair_groups] = False
            candidates[pair_groups[first]] = True
        rows = np.flatnonzero(is_old & candidates[group_of_row])
        merges, up = _union(
            group_of_row[rows].tolist(),
            r_node[rows].tolist(),
            birth[r_node[rows]].tolist(),
            self.node_first_ev,
            self.group_ev,
        )
        final = np.arange(self.n_nodes, dtype=np.int64)
        if up:
            final[np.fromiter(up.keys(), np.int64)] = np.fromiter(up.values(), np.int64)
            final = roots(final)
        return Lineage(birth, final, merges)


def _union(
    c_group: list[int], c_node: list[int], c_birth: list[int], created: I64, group_ev: I64
) -> tuple[list[tuple[int, int, int, int]], dict[int, int]]:
    """Union-find over founders for the candidate rows (known identifiers of groups that may
    merge), in group order. Within a group, profiles merge into the earliest-founded one and
    each absorbed profile is linked through the first of its identifiers in the group."""
    up: dict[int, int] = {}
    merges: list[tuple[int, int, int, int]] = []
    i, n = 0, len(c_group)
    while i < n:
        grp = c_group[i]
        found: list[int] = []
        via: list[int] = []
        while i < n and c_group[i] == grp:
            x = c_birth[i]
            while x in up:  # find, splitting the path as it goes
                nxt = up[x]
                if nxt in up:
                    up[x] = up[nxt]
                x = nxt
            if x not in found:
                found.append(x)
                via.append(c_node[i])
            i += 1
        if len(found) > 1:
            order = sorted(range(len(found)), key=lambda k: int(created[found[k]]))
            survivor = found[order[0]]
            for k in order[1:]:
                up[found[k]] = survivor
                merges.append((int(group_ev[grp]), survivor, found[k], via[k]))
    return merges, up


def distinct(values: I64, size: int) -> I64:
    """The distinct values (all in ``range(size)``), ascending, without sorting."""
    seen = np.zeros(size, bool)
    seen[values] = True
    return np.flatnonzero(seen)


def roots(parent: I64) -> I64:
    """Follow parent pointers to their fixed points (pointer doubling)."""
    while True:
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            return parent
        parent = nxt
