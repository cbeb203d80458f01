"""Every figure script (analysis/*.py, thin wrappers of homogen_analysis) renders from the small
committed run folders in data/ (made by make_test_runs.sh with homogen itself) and fails loudly on
a malformed folder."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import pytest

HERE = Path(__file__).resolve().parent
ANALYSIS = HERE.parent
DATA = HERE / "data"

CASES = [
    ("sample-1d", "plot_run.py", ["histograms.png"], "densities_001.csv"),
    ("compare-1d", "plot_run.py", ["densities.png", "w2.png", "w2_vs_eps.png"], "densities_002.csv"),
    ("compare-2d", "plot_run.py", ["densities.png", "w2.png"], "densities_000.csv"),
    ("solve-1d", "plot_run.py", ["energy.png", "density.png"], "energy.csv"),
    ("stationary-1d", "plot_run.py", ["stationary.png", "bias.png"], "pi_eps_coarse.csv"),
    ("sample-2d", "plot_run.py", ["histograms.png"], "densities_002.csv"),
    ("solve-2d", "plot_run.py", ["energy.png", "density.png"], "densities_001.csv"),
    ("stationary-2d", "plot_run.py", ["stationary.png"], "pi_eps.csv"),
    ("sample-3d", "plot_run.py", ["histograms.png"], "densities_002.csv"),
    ("compare-3d", "plot_run.py", ["densities.png", "w2.png"], "densities_001.csv"),
    ("solve-3d", "plot_run.py", ["energy.png", "density.png"], "densities_001.csv"),
    ("stationary-3d", "plot_run.py", ["stationary.png"], "pi_eps.csv"),
    ("family", "plot_metrics.py", ["metrics.png"], "family.json"),
    ("gh", "plot_unit_balls.py", ["unit_balls.png"], "laminate-2d.json"),
]


def run(script, folder):
    return subprocess.run([sys.executable, str(ANALYSIS / script), str(folder)], capture_output=True, text=True)


@pytest.mark.parametrize("folder,script,pngs,broken", CASES)
def test_figure_is_written_and_not_blank(tmp_path, folder, script, pngs, broken):
    target = tmp_path / folder
    shutil.copytree(DATA / folder, target)
    result = run(script, target)
    assert result.returncode == 0, result.stderr
    for name in pngs:
        png = target / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert png.stat().st_size > 10_000, name
        assert mpimg.imread(png)[..., :3].std() > 0.05, name


@pytest.mark.parametrize("folder,script,pngs,broken", CASES)
def test_malformed_folder_fails_loudly(tmp_path, folder, script, pngs, broken):
    target = tmp_path / folder
    shutil.copytree(DATA / folder, target)
    # Break a file the figure reads and expect a clear error naming it, exit status 1.
    (target / broken).write_text("garbage\n")
    result = run(script, target)
    assert result.returncode == 1, result.stdout
    assert broken in result.stderr, result.stderr


def test_missing_summary_is_named(tmp_path):
    result = run("plot_run.py", tmp_path)
    assert result.returncode == 1
    assert "summary.json: missing" in result.stderr


def test_unknown_run_kind_is_refused(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({"scenario": {}, "command": "nonsense"}))
    result = run("plot_run.py", tmp_path)
    assert result.returncode == 1
    assert "unknown command 'nonsense'" in result.stderr


@pytest.mark.parametrize("script", ["plot_run.py", "plot_compare.py", "plot_sample.py", "plot_solve.py", "plot_stationary.py"])
def test_help_is_not_taken_for_a_run_folder(script):
    for flag in ("--help", "-h"):
        result = run(script, flag)
        assert result.returncode == 0, result.stderr
        assert "Usage: python3 analysis/" in result.stdout
