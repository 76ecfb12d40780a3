"""A calibration study stopped part way goes on where it stopped (``--resume``).

``run_tasks`` appends each finished replication to the progress CSV; with ``resume`` the
replications already there are kept and not run again, a replication cut short while its rows
were being appended is run again, and without ``resume`` an old progress file is replaced.
"""

from __future__ import annotations

import pandas as pd

from satprofit.validation.causal_calibration import run_tasks

CALLS: list[tuple] = []


def _fake(task: tuple) -> list[dict]:
    CALLS.append(task)
    design, seed = task[0], task[1]
    return [
        {"design": design, "seed": seed, "estimand": e, "estimate": seed + i}
        for i, e in enumerate(("a", "b"))
    ]


TASKS = [("d1", 1), ("d1", 2), ("d2", 1)]


def test_resume_runs_only_the_missing_replications(tmp_path):
    progress = tmp_path / "rows.csv.partial"
    CALLS.clear()
    first = run_tasks(_fake, TASKS[:2], jobs=1, progress=str(progress))
    assert len(first) == 4 and len(CALLS) == 2
    # the stopped run wrote half of d2's replication when it was killed
    with open(progress, "a") as fh:
        fh.write("d2,1,a,1\n")
    CALLS.clear()
    rows = run_tasks(_fake, TASKS, jobs=1, progress=str(progress), resume=True)
    assert CALLS == [("d2", 1)]  # the whole replications were kept, the cut one rerun
    assert len(rows) == 6
    assert sorted(set(zip(rows["design"], rows["seed"], strict=True))) == sorted(TASKS)
    saved = pd.read_csv(progress)
    assert len(saved) == 6 and not saved.duplicated(["design", "seed", "estimand"]).any()


def test_without_resume_an_old_progress_file_is_replaced(tmp_path):
    progress = tmp_path / "rows.csv.partial"
    run_tasks(_fake, TASKS, jobs=1, progress=str(progress))
    CALLS.clear()
    rows = run_tasks(_fake, TASKS[:1], jobs=1, progress=str(progress))
    assert len(CALLS) == 1 and len(rows) == 2
    assert len(pd.read_csv(progress)) == 2


def test_resume_without_a_progress_file_runs_everything(tmp_path):
    CALLS.clear()
    rows = run_tasks(_fake, TASKS, jobs=1, progress=str(tmp_path / "none.csv"), resume=True)
    assert len(CALLS) == 3 and len(rows) == 6
