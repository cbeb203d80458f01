"""homogen_analysis.bias (analysis/bias_shift.py): the chi-square shift of a histogram against
exact probabilities or a second histogram, checked on multinomial draws whose shift is known, and
its command line on the run folders in data/."""
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from homogen_analysis import bias

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SCRIPT = HERE.parent / "bias_shift.py"


def grid(n=16):
    """A smooth positive density on an n x n grid, as cell probabilities."""
    x = (np.arange(n) + 0.5) / n
    p = np.outer(1 + 0.5 * np.cos(2 * np.pi * x), 1 + 0.3 * np.sin(2 * np.pi * x))
    return p / p.sum()


def test_scales_merge_like_the_control():
    assert bias.coarsenings(64) == [1, 2, 4, 8, 16]
    assert bias.coarsenings(32) == [1, 2, 4, 8]
    assert bias.coarsenings(3) == [1]
    p = np.arange(16.0).reshape(4, 4)
    assert bias.merge(p, 2).tolist() == [[10, 18], [42, 50]]
    assert bias.merge(np.arange(8.0), 4).tolist() == [6, 22]


def mean_and_error(values):
    values = np.asarray(values)
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


@pytest.mark.parametrize("two_sample", [False, True])
def test_the_shift_is_unbiased_with_and_without_a_bias(two_sample):
    """Over 400 seeded multinomial draws: λ̂ averages 0 under the null and N Σ b²/p with a bias b,
    within four standard errors of the mean (a test of this size fails by chance with probability
    about 6e-5); the null draws' spread matches √(2(k − 1)) within 15 % (the standard error of a
    standard deviation from 400 draws is 3.5 %)."""
    rng = np.random.default_rng(20)
    p = grid()
    n, n_ref, m = 20_000, 80_000, 100_000
    b = 0.05 / p.size * np.cos(2 * np.pi * np.arange(16) / 16)[:, None] * np.ones(16)   # sums to zero
    assert abs(b.sum()) < 1e-15 and (p + b).min() > 0
    for shifted, expected_fine in ((p, 0.0), (p + b, m * np.sum(b ** 2 / p))):
        fine = []
        for _ in range(400):
            p_hat = rng.multinomial(n, shifted.ravel()).reshape(p.shape) / n
            if two_sample:
                reference = rng.multinomial(n_ref, p.ravel()).reshape(p.shape) / n_ref
                records = bias.shifts(p_hat, n, reference, n_ref, particles=m)
            else:
                records = bias.shifts(p_hat, n, p, particles=m)
            assert [r.groups for r in records] == [256, 64, 16]
            fine.append(records[0].shift)
        mean, error = mean_and_error(fine)
        assert abs(mean - expected_fine) < 4 * error, (mean, expected_fine, error)
        if expected_fine == 0:
            assert np.std(fine, ddof=1) == pytest.approx(records[0].null_sd, rel=0.15)
    assert records[0].threshold == pytest.approx(0.25 * np.sqrt(2 * 255))


def run(capsys, *args):
    argv = sys.argv
    sys.argv = [str(SCRIPT), *map(str, args)]
    try:
        with pytest.raises(SystemExit) as done:
            runpy.run_path(str(SCRIPT), run_name="__main__")
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def test_command_line(capsys):
    code, out, _ = run(capsys, DATA / "compare-1d", "--particles", 100000)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("chi-square shift scaled to 100000 particles")
    assert len(lines) > 2 and all(len(line.split()) == 7 for line in lines[2:])
    code, out, _ = run(capsys, DATA / "sample-1d", DATA / "sample-1d")
    assert code == 0
    # A folder against itself: X² = 0, so the shift is −(k − 1) scaled by M (1/N + 1/N) = 2.
    for line in out.splitlines()[2:]:
        fields = line.split()
        assert float(fields[3]) == pytest.approx(-2 * (int(fields[2]) - 1), rel=1e-3)
    code, _, err = run(capsys, DATA / "sample-1d")
    assert code == 1 and "needs a reference folder" in err
    code, _, err = run(capsys, DATA / "sample-1d", DATA / "compare-2d")
    assert code == 1 and "summary.json" in err
    code, _, err = run(capsys, DATA / "compare-1d", "--particles", 0)
    assert code == 2 and "--particles must be positive" in err
