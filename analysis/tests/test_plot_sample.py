"""plot_sample.py renders 1D and 2D run folders and refuses malformed ones."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "plot_sample.py"


def make_run(tmp_path, dimension, cells=8):
    run = tmp_path / f"run{dimension}d"
    run.mkdir()
    outputs = []
    rng = np.random.default_rng(1)
    for k, t in enumerate([0.0, 0.01]):
        name = f"histogram_{k:03d}.csv"
        edges = np.linspace(0, 1, cells + 1)
        if dimension == 1:
            counts = rng.integers(50, 150, cells)
            rows = [f"{edges[i]},{edges[i+1]},{counts[i]},{counts[i] * cells / counts.sum()}" for i in range(cells)]
            header = "x_lo,x_hi,count,density"
        else:
            counts = rng.integers(50, 150, (cells, cells))
            rows = [f"{edges[i]},{edges[i+1]},{edges[j]},{edges[j+1]},{counts[i, j]},"
                    f"{counts[i, j] * cells * cells / counts.sum()}" for i in range(cells) for j in range(cells)]
            header = "x1_lo,x1_hi,x2_lo,x2_hi,count,density"
        (run / name).write_text(header + "\n" + "\n".join(rows) + "\n")
        outputs.append({"index": k, "t": t, "histogram": name, "particles": int(counts.sum())})
    scenario = {"name": "t", "epsilon": "1/4", "particles": 1000, "convention": "backward-ito", "dimension": dimension}
    (run / "summary.json").write_text(json.dumps({"scenario": scenario, "outputs": outputs}))
    return run


def run_script(path):
    return subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("dimension", [1, 2])
def test_renders_a_non_blank_png(tmp_path, dimension):
    run = make_run(tmp_path, dimension)
    result = run_script(run)
    assert result.returncode == 0, result.stderr
    png = run / "histograms.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
    import matplotlib.image as mpimg
    image = mpimg.imread(png)
    assert image[..., :3].std() > 0.05  # not blank


def test_malformed_folder_fails_loudly(tmp_path):
    result = run_script(tmp_path)
    assert result.returncode == 1
    assert "summary.json: missing" in result.stderr
    run = make_run(tmp_path, 1)
    (run / "histogram_001.csv").write_text("a,b\n1,2\n")
    result = run_script(run)
    assert result.returncode == 1
    assert "histogram_001.csv: unexpected columns" in result.stderr
