"""A corpus of user-style derivations the catalog does not exercise.

Matrix calculus on well-conditioned matrices, CS231n-style backward passes
(integer labels, convolutions, pooling, scatter-adds), loops (``lax.scan``,
``lax.fori_loop``, prefix operations), special functions and mixed-precision
kernels (float32 accumulators and casts, ``finfo`` epsilons), right and wrong
(each wrong one declared ``expect="fail"`` with ``why``). ``CATALOG`` lists them in
module order; ``tests/test_corpus.py`` checks each under both engines.
"""

from checks import derivations_in
from tests.corpus import (
    backward_passes,
    matrix_calculus,
    mixed_precision,
    sequences,
    special,
)

MODULES = (matrix_calculus, backward_passes, sequences, special, mixed_precision)
CATALOG = [d for module in MODULES for d in derivations_in(module)]
