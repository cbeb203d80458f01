"""B_bar against C_gh over a family of 1D media (Section 5.2), computed by `homogen effective`
(homogen_analysis.family).

Usage: python3 analysis/effective_family.py HOMOGEN OUT_DIR
For B(y) = 2 + sin(2 pi y) and pi = B^a, a in [-0.5, 1.5], writes OUT_DIR/family.json and
OUT_DIR/metrics.png. B_bar >= C_gh always, with equality exactly at a = 1/2 (pi proportional to sqrt(B)).
"""
import sys

from homogen_analysis import cli

if __name__ == "__main__":
    sys.exit(cli.effective_family(sys.argv, __doc__))
