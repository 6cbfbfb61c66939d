"""A corpus of user-style derivations the catalog does not exercise.

Matrix calculus on well-conditioned matrices, CS231n-style backward passes
(integer labels, convolutions, pooling, scatter-adds), loops (``lax.scan``,
``lax.fori_loop``, prefix operations), special functions and mixed-precision
kernels (float32 accumulators and casts, ``finfo`` epsilons), right and wrong
(each wrong one declared ``expect="fail"`` with ``why``). ``CATALOG`` lists them in
module order; ``tests/test_corpus.py`` checks each under both engines.

``DEFAULT_ENGINE_ONLY`` lists the modules checked under the default engine alone,
in float64 and float32 at their first sizes (``tests/test_corpus_default_engine.py``):
array programs (FFTs, convolutions, sorts, scans), control flow (while loops,
``cond``, ``switch``) and matrix functions (``expm``, ``pinv``, norms, ``eigh``).
Their checks that XLA compiles (an FFT, the generic rule's Jacobians, ``expm``) cost
minutes under both engines in three dtypes; run them from the command line for
the rest (``python -m checks tests/corpus/arrays.py --engine xla``).
"""

from checks import derivations_in
from tests.corpus import (
    arrays,
    backward_passes,
    iterations,
    matrix_calculus,
    matrix_functions,
    mixed_precision,
    sequences,
    special,
)

MODULES = (matrix_calculus, backward_passes, sequences, special, mixed_precision)
CATALOG = [d for module in MODULES for d in derivations_in(module)]
DEFAULT_ENGINE_ONLY = (arrays, iterations, matrix_functions)
