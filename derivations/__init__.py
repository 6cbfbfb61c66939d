"""The catalog: every derivative, and every value, identity and inequality, that
the four source documents state, as they state it.

One module per topic. A derivation is a closed form declared with
``@checks.derivation`` next to the function it differentiates; a claim is a stated
value, identity, inequality, "not in general" or convexity statement declared with
``checks.claim``. Each names the document and section in ``source``; the ones that
are wrong as written carry ``expect="fail"`` and a ``why``. ``check-derivations``
with no target checks ``CATALOG``.

Documents:
  - Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review".
  - "Cross Entropy" notes, pages CE.1–CE.3.
  - Ngo Huy Bien, "Logistic Regression" lecture slides.
  - "Machine Learning – Cross-Entropy Loss for Softmax" (blog post, 2017).
"""

from checks import Derivation, derivations_in
from derivations import (
    cost_functions,
    cross_entropy,
    entropy,
    jacobian_review,
    logistic_regression,
    softmax,
    softmax_regression,
)

MODULES = (
    entropy,
    cross_entropy,
    softmax,
    softmax_regression,
    logistic_regression,
    cost_functions,
    jacobian_review,
)

CATALOG: tuple[Derivation, ...] = tuple(d for m in MODULES for d in derivations_in(m))

__all__ = ["CATALOG", "MODULES"]
