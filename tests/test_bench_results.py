"""``bench/run.py`` rewrites only the blocks of ``bench/RESULTS.md`` it generates:
sections measured by hand, and blocks of sections not run, stay as they were."""

import sys

import pytest

from bench import results_md

SAMPLE = """\
<!-- bench/run.py: header -->
# Benchmark results

- date: 2026-01-01
<!-- /bench/run.py: header -->

<!-- bench/run.py: throughput -->
## 2. Throughput

| derivation | ratio |
| old | 1× |
<!-- /bench/run.py: throughput -->

## 2a. Measured by hand

Commands and load, written by hand.

<!-- bench/run.py: large -->
## 3. Large shapes

| old large |
<!-- /bench/run.py: large -->

Notes on section 3, by hand.
"""


def test_only_the_given_blocks_are_replaced():
    new = results_md.update(SAMPLE, {"throughput": "## 2. Throughput\n\n| new | 9× |"})
    assert "| new | 9× |" in new and "| old | 1× |" not in new
    # every line outside the replaced block as it was
    assert new == SAMPLE.replace(
        "## 2. Throughput\n\n| derivation | ratio |\n| old | 1× |\n",
        "## 2. Throughput\n\n| new | 9× |\n",
    )


def test_a_block_without_markers_is_added_at_the_end():
    new = results_md.update(SAMPLE, {"shards": "## 4. Many devices"})
    assert new.startswith(SAMPLE)
    assert new.endswith(
        "\n<!-- bench/run.py: shards -->\n## 4. Many devices\n"
        "<!-- /bench/run.py: shards -->\n"
    )
    # and is replaced, not added again, the next time
    again = results_md.update(new, {"shards": "## 4. Again"})
    assert again.count("bench/run.py: shards -->") == 2
    assert "## 4. Again" in again and "## 4. Many devices" not in again


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<!-- bench/run.py: a -->\nx\n", "never closed"),
        ("x\n<!-- /bench/run.py: a -->\n", "closes but is not open"),
        (
            "<!-- bench/run.py: a -->\n<!-- bench/run.py: b -->\n"
            "<!-- /bench/run.py: b -->\n<!-- /bench/run.py: a -->\n",
            "opens inside",
        ),
        (
            "<!-- bench/run.py: a -->\n<!-- /bench/run.py: a -->\n"
            "<!-- bench/run.py: a -->\n<!-- /bench/run.py: a -->\n",
            "appears twice",
        ),
    ],
)
def test_broken_markers_are_refused(text, why):
    with pytest.raises(ValueError, match=why):
        results_md.update(text, {"a": "new"})


def test_the_results_file_has_a_block_for_every_section():
    from pathlib import Path

    from bench.run import SECTIONS

    text = (Path(__file__).resolve().parent.parent / "bench" / "RESULTS.md").read_text()
    spans = results_md._spans(text.splitlines())  # well formed
    assert set(spans) == {"header", "footer", *SECTIONS}


def test_a_run_of_one_section_rewrites_only_its_block(tmp_path, monkeypatch):
    """``bench/run.py --sections throughput`` with the measurement replaced: the
    file's other blocks and hand-written sections are kept."""
    from bench import run

    (tmp_path / "bench").mkdir()
    results = tmp_path / "bench" / "RESULTS.md"
    results.write_text(SAMPLE)
    monkeypatch.setattr(run, "ROOT", tmp_path)
    monkeypatch.setattr(
        run, "throughput_section", lambda device, samples: ["## 2. Throughput", "| m |"]
    )
    argv = ["run.py", "--sections", "throughput", "--samples", "10"]
    monkeypatch.setattr(sys, "argv", argv)
    run.main()
    new = results.read_text()
    body = new.split("<!-- bench/run.py: throughput -->\n")[1].split("<!-- /")[0]
    lines = body.splitlines()
    assert lines[0] == "## 2. Throughput" and lines[-1] == "| m |"
    assert lines[2].startswith("*Measured ") and "--sections throughput" in lines[2]
    assert "| old | 1× |" not in new
    # the header (a full run's date) and everything else as it was
    assert new.replace(body, "") == SAMPLE.replace(
        "## 2. Throughput\n\n| derivation | ratio |\n| old | 1× |\n", ""
    )


def test_an_unknown_section_is_refused(monkeypatch, capsys):
    from bench import run

    monkeypatch.setattr(sys, "argv", ["run.py", "--sections", "throughput,nope"])
    with pytest.raises(SystemExit) as exc:
        run.main()
    assert exc.value.code == 2
    assert "unknown sections: nope" in capsys.readouterr().err


def test_the_scale_warm_up_plans_the_checkers_chunk():
    """bench/scale.py warms up on two chunks' points; its chunk is the checker's
    (``MAX_CHUNK``, not public), or the warm-up compiles other programs."""
    from bench import scale
    from checks._src.evaluate.case_plan import MAX_CHUNK

    assert scale.CHUNK == MAX_CHUNK
