"""Print satprofit's PLS path model against R plspm on ECSI, figure by figure.

Run from the repository root: ``.venv/bin/python -m tests.survey.agreement [--boot N]``.
Prints every path coefficient and R-squared side by side (the reference's settings: centroid
scheme, unscaled items; and satprofit's default, path weighting), the largest absolute
differences of paths, R-squared, direct/indirect/total effects and bootstrap interval ends.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from satprofit.survey import fit_pls, load_spec, read_survey
from tests.survey.conftest import ECSI_CSV, reference


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    spec = load_spec("ecsi")
    data = read_survey(ECSI_CSV, spec)
    effects = reference(".effects").set_index(["from", "to"])
    r2_ref = reference(".inner-summary")["r_squared"]
    boot_ref = reference("_boot_paths")
    boot_ref.index = boot_ref.index.str.split(" -> ").map(tuple)
    fits = {
        "centroid": fit_pls(data, spec, scheme="centroid", n_boot=args.boot, seed=args.seed),
        "path": fit_pls(data, spec, n_boot=args.boot, seed=args.seed),
    }
    paths = pd.DataFrame({"plspm": effects.query("direct != 0")["direct"]})
    for name, fit in fits.items():
        paths[f"satprofit {name}"] = fit.paths.set_index(["from", "to"])["estimate"]
    r2 = pd.DataFrame({"plspm": r2_ref.loc[spec.endogenous]})
    for name, fit in fits.items():
        r2[f"satprofit {name}"] = fit.r_squared
    with pd.option_context("display.width", 160, "display.float_format", "{:.6f}".format):
        print("path coefficients\n", paths, "\n\nR-squared\n", r2, "\n", sep="")
    rows = []
    for name, fit in fits.items():
        eff = fit.effects.set_index(["from", "to"]).loc[effects.index]
        ours = fit.paths.set_index(["from", "to"]).loc[boot_ref.index]
        rows.append(
            {
                "settings": name,
                "paths": np.abs(paths[f"satprofit {name}"] - paths["plspm"]).max(),
                "r_squared": np.abs(r2[f"satprofit {name}"] - r2["plspm"]).max(),
                "direct": np.abs(eff["direct"] - effects["direct"]).max(),
                "indirect": np.abs(eff["indirect"] - effects["indirect"]).max(),
                "total": np.abs(eff["total"] - effects["total"]).max(),
                "ci_low": np.abs(ours["ci_low"] - boot_ref["perc.025"]).max(),
                "ci_high": np.abs(ours["ci_high"] - boot_ref["perc.975"]).max(),
                "boot_se": np.abs(ours["se"] - boot_ref["std.error"]).max(),
            }
        )
    print(f"largest absolute differences from plspm ({args.boot} resamples, seed {args.seed})")
    with pd.option_context("display.width", 160):
        print(pd.DataFrame(rows).set_index("settings").to_string(float_format="{:.2e}".format))


if __name__ == "__main__":
    main()
