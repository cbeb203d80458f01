"""plot_compare.py renders 1D and 2D compare run folders and refuses malformed ones."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "plot_compare.py"


def make_run(tmp_path, dimension, cells=8, study=True):
    run = tmp_path / f"cmp{dimension}d"
    run.mkdir()
    rng = np.random.default_rng(2)
    names, outputs = [], []
    edges = np.linspace(0, 1, cells + 1)
    for k, t in enumerate([0.0, 0.01]):
        name = f"densities_{k:03d}.csv"
        if dimension == 1:
            rows = [f"{edges[i]},{edges[i+1]},{1 + 0.1 * rng.random()},{1 + 0.1 * rng.random()},1" for i in range(cells)]
            header = "x_lo,x_hi,particles,epsilon,homogenised"
        else:
            rows = [f"{edges[i]},{edges[i+1]},{edges[j]},{edges[j+1]},{1 + rng.random()},{1 + rng.random()},1"
                    for i in range(cells) for j in range(cells)]
            header = "x1_lo,x1_hi,x2_lo,x2_hi,particles,epsilon,homogenised"
        (run / name).write_text(header + "\n" + "\n".join(rows) + "\n")
        names.append(name)
        outputs.append({"t": t, "w2_particles_epsilon": 1e-3, "p_value_particles_epsilon": 0.5,
                        "w2_monte_carlo_floor": 9e-4, "w2_epsilon_homogenised": 3e-3})
    summary = {"scenario": {"name": "t", "epsilon": "1/4", "dimension": dimension}, "particles": 1000,
               "outputs": outputs, "densities": names}
    if study:
        summary["epsilon_study"] = {"epsilon_values": [0.25, 0.125, 0.0625], "w2_epsilon_homogenised": [4e-3, 2e-3, 1e-3],
                                    "fitted_rate": 1.0, "time": 0.01}
    (run / "summary.json").write_text(json.dumps(summary))
    return run


def run_script(path):
    return subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("dimension", [1, 2])
def test_renders_non_blank_pngs(tmp_path, dimension):
    run = make_run(tmp_path, dimension)
    result = run_script(run)
    assert result.returncode == 0, result.stderr
    import matplotlib.image as mpimg
    for name in ("densities.png", "w2.png", "w2_vs_eps.png"):
        png = run / name
        assert png.stat().st_size > 10_000, name
        assert mpimg.imread(png)[..., :3].std() > 0.05, name


def test_malformed_folder_fails_loudly(tmp_path):
    run = make_run(tmp_path, 1)
    (run / "densities_001.csv").write_text("x_lo,x_hi,particles\n0,1,1\n")
    result = run_script(run)
    assert result.returncode == 1
    assert "densities_001.csv: no 'epsilon' column" in result.stderr
    (run / "summary.json").write_text(json.dumps({"scenario": {}, "outputs": []}))
    result = run_script(run)
    assert result.returncode == 1
    assert "no 'densities' key" in result.stderr
