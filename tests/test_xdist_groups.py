"""The suite's `xdist_group` marks keep a group on one worker.

Corpus and form tests share one cached run per (module, engine) through an
``xdist_group``; were the group split over workers, each would repeat that run
(minutes of CPU each). pytest-xdist's ``--dist loadgroup`` marks a grouped test
by a ``@group`` suffix of its node id, which pytest 9.2 no longer lets it set:
this test fails there, which is why pyproject.toml bounds pytest.
"""

import pytest

pytest.importorskip("xdist")
pytest_plugins = ["pytester"]

GROUPED = """
import os
import pytest

@pytest.mark.xdist_group(name="shared")
@pytest.mark.parametrize("i", range(4))
def test_grouped(i):
    print("worker", os.environ["PYTEST_XDIST_WORKER"])
"""


def test_a_group_runs_on_one_worker(pytester):
    pytester.makepyfile(test_grouped=GROUPED)
    result = pytester.runpytest_subprocess(
        "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=4)
    workers = {
        line.split()[0]
        for line in result.outlines
        if "PASSED" in line and line.startswith("[gw")
    }
    assert len(workers) == 1, result.outlines
    assert any("test_grouped[0]@shared" in line for line in result.outlines)
