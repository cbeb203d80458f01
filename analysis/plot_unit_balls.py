"""Draw the unit balls of the Gromov-Hausdorff integrand phi (5.17) and of the effective metric B_bar.

Usage: python3 analysis/plot_unit_balls.py DIR  ->  DIR/unit_balls.png
DIR holds one or more `homogen effective SCENARIO --json > DIR/NAME.json` outputs (2D, with gh_norm).
Each panel: {v : phi(v) <= 1} (a Finsler ball, not an ellipse in general) against the ellipse
{v : <B_bar v, v> <= 1} (B_bar at the first slow point where it depends on x). phi <= <B_bar v, v>
everywhere means the phi ball contains the ellipse: W_GH < W_bar, as in (5.18)-(5.19).
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


def read(path):
    try:
        j = json.loads(path.read_text())
        gh = j["gh_norm"]
        angles = np.array(gh["angles"], dtype=float)
        phi = np.array(gh["phi"], dtype=float)
        b = j["B_bar"]
        b = np.array(b["values"][0] if isinstance(b, dict) else b, dtype=float)
        if angles.shape != phi.shape or b.shape != (2, 2) or np.any(phi <= 0):
            raise ValueError("shapes or values")
    except (KeyError, ValueError, TypeError) as e:
        raise RunFolderError(f"{path}: malformed ({e})") from None
    return angles, phi, b


def plot(folder):
    folder = Path(folder)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise RunFolderError(f"{folder}: no *.json (write `homogen effective SCENARIO --json` outputs there)")
    fig, axes = plt.subplots(1, len(files), figsize=(4.5 * len(files), 4.5), squeeze=False)
    for ax, path in zip(axes[0], files):
        angles, phi, b = read(path)
        # Both halves of the symmetric ball.
        t = np.concatenate([angles, angles + np.pi, angles[:1] + 2 * np.pi])
        r = 1 / np.sqrt(np.concatenate([phi, phi, phi[:1]]))
        ax.plot(r * np.cos(t), r * np.sin(t), "o-", ms=3, label="phi(v) = 1 (Gromov–Hausdorff)")
        s = np.linspace(0, 2 * np.pi, 400)
        v = np.stack([np.cos(s), np.sin(s)])
        q = np.einsum("ik,ij,jk->k", v, b, v)
        ax.plot(v[0] / np.sqrt(q), v[1] / np.sqrt(q), "k--", label="<B_bar v, v> = 1 (effective)")
        ax.set_aspect("equal")
        ax.set_title(path.stem)
        ax.legend(fontsize=7, loc="lower left")
    return [save_png(fig, folder / "unit_balls.png")]


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, plot))
