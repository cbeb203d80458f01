"""B_bar against C_gh over a family of 1D media (Section 5.2), computed by `homogen effective`.

Usage: python3 analysis/effective_family.py HOMOGEN OUT_DIR
For B(y) = 2 + sin(2 pi y) and pi = B^a, a in [-0.5, 1.5], runs `HOMOGEN effective --json` and writes
OUT_DIR/family.json ({"a": [...], "B_bar": [...], "C_gh": [...]}) and OUT_DIR/metrics.png (via
plot_metrics.py). B_bar >= C_gh always, with equality exactly at a = 1/2 (pi proportional to sqrt(B), (5.14)).
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plot_metrics  # noqa: E402

SCENARIO = """name = "family"
description = "member of the B_bar / C_gh family"
dimension = 1
epsilon = "1/8"
[medium]
B = "2 + sin(2*pi*y)"
[equilibrium]
pi = "(2 + sin(2*pi*y))^({a})"
[initial]
f = "1"
[time]
final = 0.01
outputs = [0.01]
dt = 1e-5
[particles]
count = 1
seed = 1
[grid]
cells = 16
"""


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    homogen, out = argv[1], Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    family = {"a": [], "B_bar": [], "C_gh": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(17):
            a = -0.5 + k / 8
            path = Path(tmp) / f"a{k}.toml"
            path.write_text(SCENARIO.format(a=a))
            result = subprocess.run([homogen, "effective", str(path), "--json"], capture_output=True, text=True)
            if result.returncode != 0:
                print(f"error: {homogen} effective failed for a = {a}: {result.stderr}", file=sys.stderr)
                return 1
            data = json.loads(result.stdout)
            family["a"].append(a)
            family["B_bar"].append(data["B_bar"])
            family["C_gh"].append(data["C_gh"])
    tmp_json = out / ".family.json.tmp"
    tmp_json.write_text(json.dumps(family))
    tmp_json.replace(out / "family.json")
    for path in plot_metrics.plot(out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
