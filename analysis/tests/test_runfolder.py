"""homogen_analysis reads every kind of run folder in data/ (made by make_test_runs.sh), reshapes
cell CSVs of any dimension, names the file and line of malformed input, and its entry points work."""
import csv
import json
import shutil
import sys
from importlib import import_module
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import homogen_analysis as ha
from homogen_analysis import cli

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def csv_rows(path):
    with open(path) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def test_the_package_is_this_checkouts():
    assert Path(ha.__file__).resolve().parent == HERE.parent / "homogen_analysis"


def test_compare_1d():
    run = ha.open_run(DATA / "compare-1d")
    assert (run.kind, run.dimension) == ("compare", 1)
    assert run.times.tolist() == [0, 0.005, 0.01]
    assert run.outputs[-1]["verdict"].startswith("particles")
    last = run.snapshot(-1)
    assert last.t == 0.01 and last.axes == ("x",) and last.shape == (16,)
    rows = csv_rows(DATA / "compare-1d" / "densities_002.csv")
    assert last.edges[0].tolist() == [r["x_lo"] for r in rows] + [1.0]
    assert last.centres[0][0] == pytest.approx(1 / 32)
    for name in ("particles", "epsilon", "homogenised", "pi_eps", "pi_bar"):
        assert last[name].tolist() == [r[name] for r in rows]
        assert np.sum(last[name]) / 16 == pytest.approx(1, abs=0.02)
    assert run.density("epsilon", 0).tolist() == [r["epsilon"] for r in csv_rows(DATA / "compare-1d" / "densities_000.csv")]


@pytest.mark.parametrize("folder,kind,columns", [
    ("compare-2d", "compare", ("particles", "epsilon", "homogenised", "pi_eps", "pi_bar")),
    ("sample-2d", "sample", ("count", "density")),
    ("solve-2d", "solve", ("density",)),
])
def test_2d_snapshot_is_indexed_x1_x2(folder, kind, columns):
    run = ha.open_run(DATA / folder)
    assert (run.kind, run.dimension, len(run.times)) == (kind, 2, 3)
    cells = run.snapshot(1)
    assert cells.axes == ("x1", "x2") and cells.shape == (8, 8)
    assert cells.edges[0].tolist() == cells.edges[1].tolist() == [i / 8 for i in range(9)]
    for row in csv_rows(DATA / folder / "densities_001.csv"):
        i1, i2 = round(row["x1_lo"] * 8), round(row["x2_lo"] * 8)
        for name in columns:
            assert cells[name][i1, i2] == row[name]


def test_sample_1d_and_positions(tmp_path):
    target = tmp_path / "run"
    shutil.copytree(DATA / "sample-1d", target)
    run = ha.open_run(target)
    assert run.kind == "sample"
    assert run.density("count", 1).sum() == run.outputs[1]["particles"]
    with pytest.raises(ha.RunFolderError, match=r"summary\.json: output 1 has no positions"):
        run.positions(1)
    # As `homogen sample --positions` records them: positions_NNN.npy named in the output.
    x = np.linspace(0, 1, 7, endpoint=False)
    np.save(target / "positions_001.npy", x)
    summary = json.loads((target / "summary.json").read_text())
    summary["outputs"][1]["positions"] = "positions_001.npy"
    (target / "summary.json").write_text(json.dumps(summary))
    assert ha.open_run(target).positions(1).tolist() == x.tolist()


def test_solve_1d_energy():
    run = ha.open_run(DATA / "solve-1d")
    assert (run.kind, run.summary["equation"]) == ("solve", "epsilon")
    energy = run.energy()
    assert energy["t"][0] == 0 and energy["energy"][0] == run.outputs[0]["energy"]
    assert len(energy["t"]) == run.summary["steps"] + 1
    assert run.snapshot(-1)["density"].shape == (16,)


@pytest.mark.parametrize("folder,fine,coarse", [("stationary-1d", (16,), (4,)), ("stationary-2d", (8, 8), (4, 4))])
def test_stationary_grids(folder, fine, coarse):
    run = ha.open_run(DATA / folder)
    assert run.kind == "stationary" and len(run.times) == 0
    pi = run.grid("pi_eps.csv")
    assert pi.shape == fine and pi["estimate"].sum() == pytest.approx(1)
    assert run.grid("pi_eps_coarse.csv")["pi_bar"].shape == coarse


def table(shape, f):
    """A cell CSV's columns for the grid `shape` on [0, 1)^d, row-major with x1 slowest, value f(i1, ..., id)."""
    names = ["x"] if len(shape) == 1 else [f"x{i + 1}" for i in range(len(shape))]
    cols = {c: [] for n in names for c in (n + "_lo", n + "_hi")} | {"value": []}
    for index in np.ndindex(*shape):
        for n, i, m in zip(names, index, shape):
            cols[n + "_lo"].append(i / m)
            cols[n + "_hi"].append((i + 1) / m)
        cols["value"].append(f(*index))
    return {k: np.array(v, dtype=float) for k, v in cols.items()}


@pytest.mark.parametrize("shape", [(5,), (4, 4), (3, 5), (3, 3, 3), (2, 3, 4)])
def test_reshape_any_dimension(shape):
    f = lambda *i: sum(10 ** k * j for k, j in enumerate(i))  # noqa: E731
    cells = ha.cells_from_table(table(shape, f))
    assert cells.shape == shape and cells.dimension == len(shape)
    assert all(cells["value"][i] == f(*i) for i in np.ndindex(*shape))
    for e, m in zip(cells.edges, shape):
        assert e.tolist() == [i / m for i in range(m + 1)]
    if len(shape) == 3:
        plane = cells.slice(1, 2)
        assert plane.axes == ("x1", "x3") and plane.shape == (shape[0], shape[2])
        assert plane["value"].tolist() == cells["value"][:, 2, :].tolist()
        assert [e.tolist() for e in plane.edges] == [cells.edges[0].tolist(), cells.edges[2].tolist()]
        marginal = cells.marginal(2)
        assert marginal.axes == ("x1", "x2") and marginal.shape == shape[:2]
        assert np.allclose(marginal["value"], cells["value"].mean(axis=2))


def test_reshape_refuses_what_is_not_a_row_major_grid():
    t = table((4, 4), lambda i, j: i)
    with pytest.raises(ha.RunFolderError, match="not row-major"):
        ha.cells_from_table({k: v[::-1] for k, v in t.items()})
    column_major = np.arange(16).reshape(4, 4).T.ravel()
    with pytest.raises(ha.RunFolderError, match="not row-major"):
        ha.cells_from_table({k: v[column_major] for k, v in t.items()})
    with pytest.raises(ha.RunFolderError, match="15 rows are not a grid of 4 x 4 cells"):
        ha.cells_from_table({k: v[:-1] for k, v in t.items()})
    with pytest.raises(ha.RunFolderError, match="no cell edge columns"):
        ha.cells_from_table({"value": t["value"]})


@pytest.mark.parametrize("text,line,message", [
    ("x_lo,x_hi,density\n0,0.5,1\n0.5,1,oops\n", 3, "not a number in '0.5,1,oops'"),
    ("x_lo,x_hi,density\n0,0.5,1\n0.5,1\n", 3, "2 fields, the header has 3"),
    ("x_lo,x_hi,dens\n0,0.5,1\n", 1, "no 'density' column (header: x_lo,x_hi,dens)"),
])
def test_csv_error_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "densities_000.csv"
    path.write_text(text)
    with pytest.raises(ha.RunFolderError) as e:
        ha.read_csv(path, ("density",))
    assert str(e.value) == f"{path}:{line}: {message}"
    assert (e.value.path, e.value.line) == (path, line)


def test_a_broken_snapshot_is_named_when_read(tmp_path):
    target = tmp_path / "run"
    shutil.copytree(DATA / "compare-2d", target)
    (target / "densities_002.csv").write_text("x1_lo,x1_hi,x2_lo,x2_hi,particles\n0,1,0,1,1\n")
    run = ha.open_run(target)
    assert run.snapshot(0).shape == (8, 8)
    with pytest.raises(ha.RunFolderError, match=r"densities_002\.csv:1: no 'epsilon' column"):
        run.snapshot(2)


def test_folders_that_are_not_run_folders(tmp_path):
    with pytest.raises(ha.RunFolderError, match=r"summary\.json: missing \(is .* a homogen run folder\?\)"):
        ha.open_run(tmp_path)
    (tmp_path / "partial.json").write_text("{}")
    with pytest.raises(ha.RunFolderError, match="stationary shard"):
        ha.open_run(tmp_path)
    (tmp_path / "summary.json").write_text('{"command": "sample",\n "scenario": }')
    with pytest.raises(ha.RunFolderError, match=r"summary\.json:2: not valid JSON"):
        ha.open_run(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"command": "compare", "scenario": {"dimension": 1}, "outputs": []}))
    with pytest.raises(ha.RunFolderError, match="no 'densities' key"):
        ha.open_run(tmp_path)


def test_image_draws_cells_between_their_edges():
    cells = ha.cells_from_table(table((3, 4), lambda i, j: 10 * i + j))
    ax = Figure().subplots()
    mesh = ha.plots.image(ax, cells, "value")
    corners = mesh.get_coordinates()
    assert corners[0, :, 0].tolist() == cells.edges[0].tolist()  # x1 across
    assert corners[:, 0, 1].tolist() == cells.edges[1].tolist()  # x2 up
    assert np.asarray(mesh.get_array()).reshape(4, 3).tolist() == cells["value"].T.tolist()
    with pytest.raises(ValueError, match="slice"):
        ha.plots.image(ax, ha.cells_from_table(table((2, 2, 2), lambda *i: 0)), "value")


def test_homogen_plot_entry_point(tmp_path, monkeypatch, capsys):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    scripts = tomllib.loads((HERE.parent / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["homogen-plot"].split(":")
    entry = getattr(import_module(module), function)
    target = tmp_path / "run"
    shutil.copytree(DATA / "solve-2d", target)
    monkeypatch.setattr(sys, "argv", ["homogen-plot", str(target)])
    assert entry() == 0
    assert capsys.readouterr().out.split() == ["wrote", str(target / "energy.png"), "wrote", str(target / "density.png")]
    monkeypatch.setattr(sys, "argv", ["homogen-plot", str(DATA)])
    assert entry() == 1
    assert "summary.json: missing" in capsys.readouterr().err


def test_a_script_refuses_another_commands_folder():
    with pytest.raises(ha.RunFolderError, match="a sample run folder, not a compare one"):
        cli.plot_folder(DATA / "sample-1d", "compare")
