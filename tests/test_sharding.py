"""Points sharded over several devices: four CPU devices in a child process
(``--xla_force_host_platform_device_count`` must be set before JAX starts)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).parent

SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {here!r})
    import jax
    import checks
    from checks._src.evaluate import blocks
    from checks._src.evaluate import case_program
    from checks._src.declare import sampling
    from checks._src.evaluate import blocks as blocking
    from checks._src.declare.declare import as_derivation
    from checks._src.evaluate.precision import numerics
    from examples import bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian

    out = {{"devices": len(jax.devices())}}
    d = as_derivation(softmax_jacobian)
    devices = blocks.shard_devices(jax.devices()[0], None)
    with numerics():  # the checker's internals, called here directly
        program = case_program._program(d, {{"k": 3}}, ["float64"], 1000, devices, True)
        c = program(sampling.stream(0), 1000)["float64"]["cmp"].ratio
    out["shards"] = [s.data.shape[0] for s in c.addressable_shards]
    out["cases"] = {{}}
    for blocks in ("whole", "blocks"):
        if blocks == "blocks":  # each device maps its points 5 at a time
            blocking.MIN_BLOCKS, blocking.MAX_BLOCK_POINTS = 2, 5
            checks.clear_caches()
        for fn in (bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian):
            for shards in (1, 2, None):
                for samples in (1000, 1001):
                    r = checks.verify(fn, samples=samples, shards=shards, engine="xla")
                    key = f"{{fn.__name__}} {{shards}} {{samples}} {{blocks}}"
                    out["cases"][key] = [
                        [c.status, c.checked, c.ratio,
                         c.counterexample.inputs if c.counterexample else None]
                        for c in r.cases
                    ]
    print(json.dumps(out))
    """
)


def test_points_are_sharded_and_verdicts_do_not_depend_on_it():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(here=str(HERE))],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["devices"] == 4
    assert out["shards"] == [250, 250, 250, 250]
    cases = out["cases"]
    names = ("bce_grad_beta", "bce_grad_beta_sign_flipped", "softmax_jacobian")
    for name in names:
        for samples in (1000, 1001):
            one = cases[f"{name} 1 {samples} whole"]
            for shards, blocks in [
                ("2", "whole"),
                ("None", "whole"),
                ("1", "blocks"),
                ("2", "blocks"),
                ("None", "blocks"),
            ]:
                many = cases[f"{name} {shards} {samples} {blocks}"]
                assert [c[0] for c in many] == [c[0] for c in one]
                assert [c[1] for c in many] == [c[1] for c in one] == [samples] * 2
                # Same points drawn; rounding may differ by an ulp between programs.
                assert [c[3] for c in many] == [c[3] for c in one]
                for a, b in zip(one, many):
                    assert (a[2] <= 1.0) == (b[2] <= 1.0)
    for blocks in ("whole", "blocks"):
        wrong = cases[f"bce_grad_beta_sign_flipped None 1001 {blocks}"]
        assert {c[0] for c in wrong} == {"fail"}
        assert {c[0] for c in cases[f"bce_grad_beta None 1001 {blocks}"]} == {"pass"}
