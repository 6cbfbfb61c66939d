"""The catalog: every derivative the four source documents state, as they state it.

One module per topic. Each entry is a closed form declared with
``@checks.derivation`` next to the function it differentiates, with the document
and section in ``source``; the ones that are wrong as written carry
``expect="fail"`` and a ``why``. ``check-derivations`` with no target checks
``CATALOG``.

Documents:
  - Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review".
  - "Cross Entropy" notes, pages CE.1–CE.3.
  - Ngo Huy Bien, "Logistic Regression" lecture slides.
  - "Machine Learning – Cross-Entropy Loss for Softmax" (blog post, 2017).
"""

from checks.declare import Derivation, derivations_in
from derivations import (
    cross_entropy,
    jacobian_review,
    logistic_regression,
    softmax,
    softmax_regression,
)

MODULES = (
    cross_entropy,
    softmax,
    softmax_regression,
    logistic_regression,
    jacobian_review,
)

CATALOG: tuple[Derivation, ...] = tuple(d for m in MODULES for d in derivations_in(m))

__all__ = ["CATALOG", "MODULES"]
