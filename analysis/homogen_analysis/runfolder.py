"""Reading homogen run folders: summary.json, the cell CSVs (densities_NNN.csv, pi_eps.csv,
pi_eps_coarse.csv), energy.csv and positions_NNN.npy.

Every reader fails loudly with a `RunFolderError` whose message starts with the file and, where
known, the line: `path:line: what is wrong`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class RunFolderError(Exception):
    """A run folder (or another figure input) with a missing file or malformed data."""

    def __init__(self, path, message, line=None):
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path, self.line = Path(path), line


def read_json(path, hint=""):
    """The JSON file at path as a dict (hint: appended to the message when the file is missing)."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RunFolderError(path, "missing" + (f" ({hint})" if hint else "")) from None
    except json.JSONDecodeError as e:
        raise RunFolderError(path, f"not valid JSON ({e.msg})", e.lineno) from None
    except OSError as e:
        raise RunFolderError(path, f"cannot read ({e.strerror})") from None


def read_csv(path, required=()):
    """A CSV file with a header line and numbers below it, as {column: 1D float array}.

    Refuses a missing file, a row with the wrong number of fields or a field that is not a number,
    a file without rows and a header without one of the `required` columns."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise RunFolderError(path, f"cannot read ({e.strerror})") from None
    names = lines[0].split(",") if lines else []
    for column in required:
        if column not in names:
            raise RunFolderError(path, f"no '{column}' column (header: {','.join(names)})", 1)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",")
        if len(fields) != len(names):
            raise RunFolderError(path, f"{len(fields)} fields, the header has {len(names)}", number)
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            raise RunFolderError(path, f"not a number in {line!r}", number) from None
    if not rows:
        raise RunFolderError(path, "no rows below the header")
    data = np.array(rows)
    return {name: data[:, i] for i, name in enumerate(names)}


@dataclass(frozen=True)
class Cells:
    """Columns of one cell CSV on their grid of cells of the torus [0, 1)^d.

    values[name][i1, ..., id] is the value in the cell with lower corner
    (edges[0][i1], ..., edges[d-1][id]); axes are ("x",) in 1D, ("x1", ..., "xd") otherwise."""

    axes: tuple
    edges: tuple
    values: dict
    path: Path | None = None
    t: float | None = None

    @property
    def dimension(self):
        return len(self.axes)

    @property
    def shape(self):
        return tuple(len(e) - 1 for e in self.edges)

    @property
    def centres(self):
        """Cell centres, one vector per axis."""
        return tuple((e[:-1] + e[1:]) / 2 for e in self.edges)

    def __getitem__(self, name):
        if name not in self.values:
            raise RunFolderError(self.path or "<table>", f"no '{name}' column (has {', '.join(self.values)})", 1)
        return self.values[name]

    def slice(self, axis, index):
        """The cells with index `index` along `axis` (0-based): d - 1 dimensions, e.g. a plane of a 3D grid."""
        if self.dimension < 2:
            raise ValueError("a 1D grid has no slices")
        keep = [j for j in range(self.dimension) if j != range(self.dimension)[axis]]
        return Cells(tuple(self.axes[j] for j in keep), tuple(self.edges[j] for j in keep),
                     {k: np.take(v, index, axis=axis) for k, v in self.values.items()}, self.path, self.t)

    def marginal(self, axis):
        """The density integrated over `axis` (0-based): d - 1 dimensions. Cells are equal, so the
        integral over the unit period is the mean along the axis."""
        if self.dimension < 2:
            raise ValueError("a 1D grid has no marginals")
        keep = [j for j in range(self.dimension) if j != range(self.dimension)[axis]]
        return Cells(tuple(self.axes[j] for j in keep), tuple(self.edges[j] for j in keep),
                     {k: np.mean(v, axis=axis) for k, v in self.values.items()}, self.path, self.t)


def cells_from_table(table, path=None, t=None):
    """Cells from the columns of a cell CSV (as read_csv returns them).

    Reads the edge columns x_lo, x_hi (1D) or x1_lo, x1_hi, ..., xd_lo, xd_hi (rows row-major, x1
    slowest, as homogen writes them); the grid has as many cells along an axis as that axis has
    distinct lower edges, and every other column is reshaped to it."""
    where = path or "<table>"
    axes = tuple(name[:-3] for name in table if name.endswith("_lo"))
    if not axes or any(a + "_hi" not in table for a in axes):
        raise RunFolderError(where, "no cell edge columns (x_lo,x_hi or x1_lo,x1_hi,x2_lo,x2_hi,...)", 1)
    shape = tuple(len(np.unique(table[a + "_lo"])) for a in axes)
    rows = len(table[axes[0] + "_lo"])
    if int(np.prod(shape)) != rows:
        raise RunFolderError(where, f"{rows} rows are not a grid of {' x '.join(map(str, shape))} cells")
    edges = []
    for i, a in enumerate(axes):
        lo, hi = table[a + "_lo"].reshape(shape), table[a + "_hi"].reshape(shape)
        line = tuple(slice(None) if j == i else 0 for j in range(len(axes)))
        e = np.append(lo[line], hi[line][-1])
        along = [-1 if j == i else 1 for j in range(len(axes))]
        if not (np.all(np.diff(e) > 0) and np.array_equal(lo, np.broadcast_to(e[:-1].reshape(along), shape))):
            raise RunFolderError(where, f"rows are not row-major ({axes[0]} slowest) with increasing edges")
        edges.append(e)
    values = {name: column.reshape(shape) for name, column in table.items()
              if not name.endswith(("_lo", "_hi"))}
    return Cells(axes, tuple(edges), values, Path(path) if path else None, t)


# The cell CSV of each output time, and the columns it must have, by the command that made the folder.
SNAPSHOTS = {
    "compare": (lambda s: s["densities"], ("particles", "epsilon", "homogenised", "pi_eps", "pi_bar")),
    "sample": (lambda s: [o["histogram"] for o in s["outputs"]], ("count", "density")),
    "solve": (lambda s: [o["density"] for o in s["outputs"]], ("density",)),
    "stationary": (lambda s: [], ()),
}


class Run:
    """A homogen run folder, read from its summary.json; the CSVs are read when asked for.

    summary: summary.json as a dict; kind: the command that wrote the folder (compare, sample,
    solve, stationary); dimension: 1 or 2 (any d for the readers); outputs: the summary's per-time
    records (t, verdict and distances in compare); times: their t (empty for stationary)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        hint = f"is {folder} a homogen run folder?"
        if (self.folder / "partial.json").exists():
            hint = f"{folder} is a stationary shard: combine shards with homogen stationary --merge"
        self.summary = read_json(self.folder / "summary.json", hint)
        self.kind = self.summary.get("command")
        if self.kind not in SNAPSHOTS:
            raise RunFolderError(self.folder / "summary.json", f"unknown command {self.kind!r}")
        files, self._columns = SNAPSHOTS[self.kind]
        try:
            self.dimension = int(self.summary["scenario"]["dimension"])
            self.outputs = self.summary.get("outputs", [])
            self.files = list(files(self.summary))
            self.times = np.array([float(o["t"]) for o in self.outputs])
        except KeyError as e:
            raise RunFolderError(self.folder / "summary.json",
                                 f"no {e} key (not a complete {self.kind} run folder?)") from None
        if len(self.times) != len(self.files):
            raise RunFolderError(self.folder / "summary.json", f"{len(self.files)} density files, {len(self.times)} outputs")
        self._snapshots = {}

    def __repr__(self):
        return f"<Run {self.kind} {self.dimension}D {self.folder} times={self.times.tolist()}>"

    def grid(self, name, required=()):
        """Cells of the cell CSV `name` in the folder (a densities_NNN.csv, pi_eps.csv, pi_eps_coarse.csv)."""
        path = self.folder / name
        return cells_from_table(read_csv(path, required), path)

    def snapshot(self, k):
        """Cells of output time k (negative counts from the last): compare's particles, epsilon,
        homogenised, pi_eps and pi_bar; sample's count and density; solve's density; cells.t = time."""
        k = range(len(self.files))[k]
        if k not in self._snapshots:
            path = self.folder / self.files[k]
            self._snapshots[k] = cells_from_table(read_csv(path, self._columns), path, self.times[k])
        return self._snapshots[k]

    def density(self, name, k=-1):
        """Column `name` of output time k on its grid: shape (n,), (n, n), ... (index [i1, i2, ...])."""
        return self.snapshot(k)[name]

    def energy(self):
        """solve: energy.csv (t, energy, psi_star, balance_residual at every time step) as {column: array}."""
        name = self.summary.get("energy_history", "energy.csv")
        return read_csv(self.folder / name, ("t", "energy", "psi_star", "balance_residual"))

    def positions(self, k):
        """sample --positions: the particles' positions at output time k, shape (N,) in 1D, (N, d) otherwise."""
        name = self.outputs[k].get("positions")
        if name is None:
            raise RunFolderError(self.folder / "summary.json", f"output {k} has no positions (homogen sample --positions)")
        try:
            return np.load(self.folder / name)
        except (OSError, ValueError) as e:
            raise RunFolderError(self.folder / name, f"cannot read ({e})") from None


def open_run(folder):
    """Opens the run folder `folder` (reads its summary.json; see Run)."""
    return Run(folder)
