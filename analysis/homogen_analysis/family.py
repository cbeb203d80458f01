"""B_bar against C_gh over a family of 1D media (Section 5.2), computed by `homogen effective`.

For B(y) = 2 + sin(2 pi y) and pi = B^a, a in [-0.5, 1.5], runs `HOMOGEN effective --json` and writes
OUT_DIR/family.json ({"a": [...], "B_bar": [...], "C_gh": [...]}), which plots.metrics draws.
B_bar >= C_gh always, with equality exactly at a = 1/2 (pi proportional to sqrt(B), (5.14)).
"""
import json
import subprocess
import tempfile
from pathlib import Path

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


def compute(homogen, out):
    """Runs `homogen effective --json` (the binary at path `homogen`) over the family and writes
    out/family.json atomically; returns its path. Raises RuntimeError when homogen cannot run or fails."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    family = {"a": [], "B_bar": [], "C_gh": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(17):
            a = -0.5 + k / 8
            path = Path(tmp) / f"a{k}.toml"
            path.write_text(SCENARIO.format(a=a))
            try:
                result = subprocess.run([str(homogen), "effective", str(path), "--json"], capture_output=True, text=True)
            except OSError as e:
                raise RuntimeError(f"cannot run {homogen}: {e.strerror}") from None
            if result.returncode != 0:
                raise RuntimeError(f"{homogen} effective failed for a = {a}: {result.stderr}")
            data = json.loads(result.stdout)
            family["a"].append(a)
            family["B_bar"].append(data["B_bar"])
            family["C_gh"].append(data["C_gh"])
    tmp_json = out / ".family.json.tmp"
    tmp_json.write_text(json.dumps(family))
    return tmp_json.replace(out / "family.json")
