"""Cost functions for a classifier: classification error, cross-entropy, squared error.

The worked comparison of Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief
Review", Sections 5.1–5.2: two models predict the same three items (a), (b), (c);
both get (a) and (b) right and (c) wrong, so their classification errors agree, while
the average cross-entropy and the squared error tell them apart. Then the stated
"flatness" of the squared-error cost against the cross-entropy cost.

The prediction vectors are the text's ("In Figure 4, Prediction Probability of (a)
is [0.3, 0.3, 0.4], ..."); the figures themselves are missing from the extracted text,
so the labels are read from what it says: (a) is class 3, from "−{(ln 0.3)×0 +
(ln 0.3)×0 + (ln 0.4)×1}"; (a) and (b) are "correctly predicted", so (b) is class 2,
the argmax of [0.3, 0.4, 0.3]; (c) is wrong, and the term "ln 0.1" it contributes to
the average says its class is 1. Figure 5 predicts the same three items. Every stated
number then comes out (McCaffrey's example, the text's reference [2]).

Logs are natural logs. The "squared error" of an item is the sum over the classes of
(prediction − target)², not divided by the number of classes, as the text computes it.

Not checked:

- Chen, Section 5: Loss = H(Q, P) = −Σᵢᴺ q_{yᵢ} log p_{xᵢ}: a definition, its
  subscripts garbled (read as −Σ q log p, which the Figure 4–5 entries compute);
  "the objective is to optimize arg min_{P(X)} Loss": prose.
- Chen, Section 5.1: "Classification Error = count of error items / count of all
  items": a definition, applied by figure_4_classification_error_is_one_third.
- Chen, Section 5.1: the prediction vectors of Figures 4 and 5 are data (the
  figures themselves are missing); every entry here uses them.
- Chen, Section 5.1: "the second model has lower entropy" means lower average
  cross-entropy, 0.64 < 1.38 (figure_5_has_lower_cross_entropy).
- Chen, Section 5.2: "such difference in loss helps distinguish two models":
  0.81 ≠ 0.34, from the checked values.
"""

import jax
import jax.numpy as jnp

from checks import claim, domain
from derivations.logistic_regression import (
    ONE_EXAMPLE_MODERATE,
    logistic_regression_cost,
    squared_error_cost,
)

_CHEN = 'Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review"'

# Rows are the items (a), (b), (c); columns the three classes.
FIGURE_4 = ((0.3, 0.3, 0.4), (0.3, 0.4, 0.3), (0.1, 0.2, 0.7))
FIGURE_5 = ((0.1, 0.2, 0.7), (0.1, 0.7, 0.2), (0.3, 0.4, 0.3))
TARGETS = ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0))


def classification_error(predictions: jax.Array, targets: jax.Array) -> jax.Array:
    """Classification Error = count of error items / count of all items.

    An item is an error when its most probable class is not its target class.
    """
    wrong = jnp.argmax(predictions, axis=-1) != jnp.argmax(targets, axis=-1)
    return jnp.mean(wrong.astype(predictions.dtype))


def cross_entropy_per_item(predictions: jax.Array, targets: jax.Array) -> jax.Array:
    """−Σ_classes target·ln(prediction), one number per item (row)."""
    return -jnp.sum(targets * jnp.log(predictions), axis=-1)


def squared_error_per_item(predictions: jax.Array, targets: jax.Array) -> jax.Array:
    """Σ_classes (prediction − target)², one number per item (row)."""
    return jnp.sum((predictions - targets) ** 2, axis=-1)


def _figure(rows: tuple[tuple[float, ...], ...]) -> jax.Array:
    return jnp.asarray(rows, jnp.float64)


_FIGURE_4_INPUTS = {
    "predictions": domain.fixed(FIGURE_4),
    "targets": domain.fixed(TARGETS),
}
_FIGURE_5_INPUTS = {
    "predictions": domain.fixed(FIGURE_5),
    "targets": domain.fixed(TARGETS),
}


# --- Section 5.1: classification error ------------------------------------------------


@claim.identity(
    inputs=_FIGURE_4_INPUTS,
    source=f"{_CHEN}, Section 5.1, Figure 4",
)
def figure_4_classification_error_is_one_third(
    predictions: jax.Array, targets: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Figure 4: "a and b are correctly predicted items, Classification_Error = 1/3".

    argmax of (a) [0.3, 0.3, 0.4] is class 3 = target, of (b) [0.3, 0.4, 0.3] class 2
    = target, of (c) [0.1, 0.2, 0.7] class 3 ≠ target 1: one error in three items.
    Domain: the targets read from the text (module docstring).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.1, Figure 4 caption and note.
    """
    return classification_error(predictions, targets), jnp.asarray(1 / 3)


@claim.identity(
    inputs=_FIGURE_5_INPUTS,
    source=f"{_CHEN}, Section 5.1, Figure 5",
)
def figure_5_classification_error_is_one_third(
    predictions: jax.Array, targets: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Figure 5: "Classification_Error = 1/3; same as Example shown in Figure 4".

    argmax of (a) [0.1, 0.2, 0.7] is class 3 = target, of (b) [0.1, 0.7, 0.2] class 2
    = target, of (c) [0.3, 0.4, 0.3] class 2 ≠ target 1: one error in three items.
    Domain: the targets read from the text (module docstring).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.1, Figure 5 caption and note.
    """
    return classification_error(predictions, targets), jnp.asarray(1 / 3)


# --- Section 5.1: cross-entropy ----------------------------------------------------


@claim.identity(
    inputs={
        "prediction": domain.fixed([0.3, 0.3, 0.4]),
        "target": domain.fixed([0.0, 0.0, 1.0]),
    },
    source=f"{_CHEN}, Section 5.1, Figure 4 (a)",
)
def figure_4_item_a_cross_entropy_is_minus_log_point_four(
    prediction: jax.Array, target: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "the cross-entropy of prediction (a) is −{(ln 0.3)×0 + (ln 0.3)×0 +
    (ln 0.4)×1} = −ln 0.4".

    Left: −Σ target·ln(prediction) for (a); right: −ln 0.4 (≈ 0.916).
    Domain: natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.1.
    """
    return -jnp.sum(target * jnp.log(prediction)), -jnp.log(jnp.asarray(0.4))


@claim.value(stated="1.38", source=f"{_CHEN}, Section 5.1, Figure 4 average")
def figure_4_average_cross_entropy() -> jax.Array:
    """The average cross-entropy error of the Figure 4 model is 1.38.

    (−ln 0.4 − ln 0.4 − ln 0.1)/3 = (0.9163 + 0.9163 + 2.3026)/3 = 1.3784: the mean
    over (a), (b), (c) of −Σ target·ln(prediction).
    Domain: natural log; targets as read in the module docstring.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.1.
    """
    return jnp.mean(cross_entropy_per_item(_figure(FIGURE_4), _figure(TARGETS)))


@claim.value(
    stated="1.38",
    source=f"{_CHEN}, Section 5.1, Figure 4 average, expression as written",
    expect="fail",
    why="the signs of the 2nd and 3rd terms are lost: as written it is −0.77",
)
def figure_4_average_cross_entropy_as_written() -> jax.Array:
    """(−ln 0.4 + ln 0.4 + ln 0.1)/3 = 1.38.

    Computed as written: (0.9163 − 0.9163 − 2.3026)/3 = −0.7675.
    Domain: natural log.
    Why wrong: each item contributes −ln(probability of its class), so the sum is
      −ln 0.4 − ln 0.4 − ln 0.1 = −(ln 0.4 + ln 0.4 + ln 0.1), whose third is 1.3784
      (``figure_4_average_cross_entropy``). The extracted text may have lost a
      parenthesis, −(ln 0.4 + ln 0.4 + ln 0.1)/3; as it stands the value is −0.77.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.1.
    """
    ln = jnp.log
    return (-ln(0.4) + ln(0.4) + ln(0.1)) / 3


@claim.value(stated="0.64", source=f"{_CHEN}, Section 5.1, Figure 5 average")
def figure_5_average_cross_entropy() -> jax.Array:
    """ "the model from Figure 5 has an average cross-entropy error 0.64".

    (−ln 0.7 − ln 0.7 − ln 0.3)/3 = (0.3567 + 0.3567 + 1.2040)/3 = 0.6391.
    Domain: natural log; targets as read in the module docstring.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.1.
    """
    return jnp.mean(cross_entropy_per_item(_figure(FIGURE_5), _figure(TARGETS)))


@claim.inequality(
    inputs={
        "figure_4": domain.fixed(FIGURE_4),
        "figure_5": domain.fixed(FIGURE_5),
        "targets": domain.fixed(TARGETS),
    },
    strict=True,
    source=f"{_CHEN}, Section 5.1, 0.64 < 1.38",
)
def figure_5_has_lower_cross_entropy(
    figure_4: jax.Array, figure_5: jax.Array, targets: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "As 0.64 < 1.38; therefore, the second model has lower entropy".

    Smaller: the Figure 5 model's average cross-entropy; larger: Figure 4's.
    Domain: natural log; targets as read in the module docstring.
    Note: "lower entropy" is read as lower average cross-entropy error, the
      quantity compared.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.1.
    """
    return (
        jnp.mean(cross_entropy_per_item(figure_5, targets)),
        jnp.mean(cross_entropy_per_item(figure_4, targets)),
    )


# --- Section 5.2: squared error ---------------------------------------------------


@claim.value(
    stated=["0.54", "0.54", "1.34"],
    source=f"{_CHEN}, Section 5.2, Figure 4 items",
)
def figure_4_squared_errors() -> jax.Array:
    """ "the prediction loss from Figure 4 (a) is (0.3 − 0)² + (0.3 − 0)² + (0.4 − 1)²
    = 0.54", and (b), (c) are 0.54 and 1.34 (the terms of the average).

    (a) 0.09 + 0.09 + 0.36 = 0.54;  (b) 0.09 + 0.36 + 0.09 = 0.54;
    (c) 0.81 + 0.04 + 0.49 = 1.34.
    Domain: targets as read in the module docstring.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2.
    """
    return squared_error_per_item(_figure(FIGURE_4), _figure(TARGETS))


@claim.value(stated="0.81", source=f"{_CHEN}, Section 5.2, Figure 4 average")
def figure_4_average_squared_error() -> jax.Array:
    """ "The average loss from the model in Figure 4 is (0.54 + 0.54 + 1.34)/3 = 0.81".

    2.42/3 = 0.8067, printed rounded to 0.81.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2.
    """
    return jnp.mean(squared_error_per_item(_figure(FIGURE_4), _figure(TARGETS)))


@claim.value(stated="0.34", source=f"{_CHEN}, Section 5.2, Figure 5 average")
def figure_5_average_squared_error() -> jax.Array:
    """ "the one in Figure 5 is 0.34".

    (a) 0.01 + 0.04 + 0.09 = 0.14;  (b) 0.01 + 0.09 + 0.04 = 0.14;
    (c) 0.49 + 0.16 + 0.09 = 0.74;  (0.14 + 0.14 + 0.74)/3 = 0.34.
    Domain: targets as read in the module docstring.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2.
    """
    return jnp.mean(squared_error_per_item(_figure(FIGURE_5), _figure(TARGETS)))


@claim.inequality(
    inputs=ONE_EXAMPLE_MODERATE,
    dims={"n": (3,)},
    source=f"{_CHEN}, Section 5.2, Effect of the Cost Function (Figure 7)",
)
def squared_error_gradient_is_smaller_than_cross_entropy_gradient(
    theta: jax.Array, x: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "squared error cost function are relatively 'flat' than using cross-entropy
    loss function, which implies that cross-entropy are more likely to have larger
    gradient".

    For one example of the logistic model (Eqs. 13, 14, 17), per component j:
      ∂J_squared/∂θ_j = (h − y)·h(1 − h)·x_j,  ∂J_cross-entropy/∂θ_j = (h − y)·x_j
      |∂J_squared/∂θ_j| ≤ ¼·|∂J_cross-entropy/∂θ_j|        (0 ≤ h(1 − h) ≤ ¼)
    Smaller: |∇_θ| of Eq. 14's cost; larger: |∇_θ| of Eq. 17's; both by jax.grad.
    Domain: one example (m = 1), y ∈ {0, 1}; h = σ(θᵀx); natural log.
    Note: the text's statement is about Figure 7, a two-layer network (Glorot and
      Bengio), and is hedged ("more likely"); it is checked here for the logistic
      unit of Eqs. 14 and 17, where it holds at every point. Over a batch the
      per-example factors differ and the comparison need not hold componentwise.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2, "Section 4.1 Effect of the Cost Function", Figure 7.
    """
    X, Y = x[None, :], y[None]
    squared = jax.grad(squared_error_cost)(theta, X, Y)
    cross_entropy = jax.grad(logistic_regression_cost)(theta, X, Y)
    return jnp.abs(squared), jnp.abs(cross_entropy)
