"""VJP form against Jacobian form: cross-entropy through softmax at a large shape.

The catalog's ``softmax_cross_entropy_grad_logits`` (Jacobian form: the gradient
of the scalar cost, reference ``jax.jacrev``) and the same result written as a
backward pass (``form="vjp"``: the closed form takes the cost's cotangent Ē and
returns Ē·∂E/∂z, reference ``jax.vjp``), each checked at one point of
batch × classes = m × k in float32 (``--dtype``; the reference is float64
either way), each in a fresh Python, reporting the check's time and the
process's peak resident memory.

    PYTHONPATH=. python bench/forms.py --m 1024 --k 32000 [--dtype float64] [--form vjp]

``--form`` runs one form only (both by default), each row a fresh process.

With ``--attention``: instead, the ``jax.custom_vjp`` attention of
``tests/forms_files/backward.py`` (softmax(Q·Kᵀ/√d)·V with a hand-written
backward pass for dQ, dK, dV), its rule checked by ``checks.rule`` against
autodiff of its primal at sequence length ``--t`` and head size ``--d``:

    PYTHONPATH=. python bench/forms.py --attention --t 1024 --d 64 [--dtype float64]
"""

from __future__ import annotations

import argparse
import json

from bench.scale import PEAK, child

JACOBIAN = """
from derivations.softmax_regression import softmax_cross_entropy_grad_logits as d
"""

VJP = """
import jax
from checks import derivation, domain
from derivations.softmax_regression import softmax_cross_entropy

@derivation(of=softmax_cross_entropy, wrt="z", form="vjp",
            inputs={"z": domain.real(("m", "k")), "y": domain.one_hot(("m", "k"))},
            dims={"m": (1, 3), "k": (4,)})
def softmax_cross_entropy_vjp(z, y, E_bar):
    m = z.shape[0]
    return E_bar * (-(1 / m) * (y - jax.nn.softmax(z, axis=-1)))

d = softmax_cross_entropy_vjp
"""

ATTENTION = """
from tests.forms_files.backward import attention as d
"""

RUN = """
import json, time
import checks
start = time.perf_counter()
r = checks.verify(d, samples=1, sizes={sizes!r}, dtypes=[{dtype!r}])
seconds = time.perf_counter() - start
c = r.cases[0]
print(json.dumps({{"status": r.status, "ratio": c.ratio, "message": c.message,
                  "seconds_check": seconds, "peak_gib": peak_gib()}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=1024)
    parser.add_argument("--k", type=int, default=32000)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument(
        "--form", choices=("jacobian", "vjp"), help="run this form only (default: both)"
    )
    parser.add_argument("--attention", action="store_true")
    parser.add_argument("--t", type=int, default=1024, help="sequence length")
    parser.add_argument("--d", type=int, default=64, help="head size")
    args = parser.parse_args()
    if args.attention:
        sizes = {"T": args.t, "d": args.d}
        row = child(PEAK + ATTENTION + RUN.format(sizes=sizes, dtype=args.dtype))
        row.update(form="custom_vjp rule", sizes=sizes, dtype=args.dtype)
        print(json.dumps(row), flush=True)
        return
    sizes = {"m": args.m, "k": args.k}
    for form, declare in (("jacobian", JACOBIAN), ("vjp", VJP)):
        if args.form not in (None, form):
            continue
        row = child(PEAK + declare + RUN.format(sizes=sizes, dtype=args.dtype))
        row.update(form=form, sizes=sizes, dtype=args.dtype)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
