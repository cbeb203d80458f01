"""Plot B_bar against C_gh for a family of 1D media (written by effective_family.py).

Usage: python3 analysis/plot_metrics.py DIR  ->  DIR/metrics.png (reads DIR/family.json)
Left: B_bar and C_gh against the exponent a of pi = B^a; right: B_bar against C_gh with the line of
equality, reached at a = 1/2 (pi proportional to sqrt(B)): W_GH = sqrt(C_gh) W2 < W_bar = sqrt(B_bar) W2 elsewhere.
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runfolder import RunFolderError, main, save_png  # noqa: E402


def plot(folder):
    folder = Path(folder)
    path = folder / "family.json"
    try:
        family = json.loads(path.read_text())
        a, b, c = (np.array(family[k], dtype=float) for k in ("a", "B_bar", "C_gh"))
    except FileNotFoundError:
        raise RunFolderError(f"{path}: missing (run analysis/effective_family.py first)") from None
    except (KeyError, ValueError, TypeError) as e:
        raise RunFolderError(f"{path}: malformed ({e})") from None
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(a, b, "o-", label="B_bar (effective metric, A.9)")
    left.plot(a, c, "s-", label="C_gh (Gromov–Hausdorff, 5.13)")
    left.axvline(0.5, color="k", linestyle=":", label="pi proportional to sqrt(B)")
    left.set_xlabel("a in pi = B^a, B = 2 + sin(2 pi y)")
    left.set_ylabel("metric constant")
    left.set_title("B_bar and C_gh along the family (1D)", fontsize=9)
    left.legend(fontsize=8)
    right.plot(c, b, "o")
    lo, hi = min(b.min(), c.min()), max(b.max(), c.max())
    right.plot([lo, hi], [lo, hi], "k--", label="B_bar = C_gh")
    right.set_xlabel("C_gh")
    right.set_ylabel("B_bar")
    right.set_title("B_bar >= C_gh, equal only for pi proportional to sqrt(B)", fontsize=9)
    right.legend(fontsize=8)
    return [save_png(fig, folder / "metrics.png")]


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, plot))
