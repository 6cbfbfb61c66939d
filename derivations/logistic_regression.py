"""Logistic regression: the gradient of the log-loss cost, as two documents state it.

Covers the binary logistic regression cost (cross-entropy of a sigmoid) and every
gradient these documents state for it:

- Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review": the cost J(θ)
  (Section 5.2, Eq. 17), its gradient (Section 5.3, Eq. 20), the derivatives of the
  two terms of the simplified cost (Section 5.3, Eq. 21), the step-by-step derivation
  of the gradient (Appendix, Eqs. 28–39) and the gradient that Listing 1
  (``update_weights``) applies.
- Ngo Huy Bien, "Logistic Regression" lecture slides: the log-loss gradient ("Cost
  Function (II)"), the per-example gradients of stochastic gradient descent
  ("Stochastic Gradient Descent"), the vectorized gradients ("Vectorized
  Representation"), the batch gradient descent step ("Batch Gradient Descent") and
  the derivatives the listing "Calculating Derivatives and Cost" computes.

Chen's Appendix Eqs. 29–31 each hold the derivative of an inner function still
unevaluated; their entries evaluate that inner derivative with jax.jacobian and check
the step around it.

Not checked:

- Chen, Section 5.2: h_θ = 1/(1 + e^{−θᵀx}) (Eq. 13), the squared-error J(θ) and
  Sig(θᵀX): definitions; Eq. 14 writes θᵀx without the example's superscript i
  (read as θᵀxⁱ, as in squared_error_cost_is_not_convex).
- Chen, Section 5.2: "(Refer to the Convexity tutorial by Po-Shen Loh)", "Prove
  Convexity", "Learning Strategies Note": margin notes with no content.
- Chen, Section 5.3: θ_j := θ_j − α·∂J(θ)/∂θ_j applies Eq. 20
  (logistic_regression_grad_theta); "There are many advanced numerical
  optimization algorithms": prose. "Note again that the index j refers to the j-th
  feature": notation.
- Chen, Section 5.4: P(y₁, …, y_n) = ∏ P(y_n|x_n) (Eq. 24) is the independence
  assumption, a definition (its product runs to N where the list runs to n).
- Chen, Section 5.4: the "⇔" steps of Eq. 25 (maximize ∏ ⇔ maximize ln ∏;
  maximize Σ ln ⇔ minimize −(1/N) Σ ln) equate optimization problems (ln is
  increasing; the factor −1/N turns a maximum into a minimum): no value to
  compare. The equalities between them are checked.
- Chen, Appendix, Eq. 28: ∂J(θ)/∂θ_j of J (Eq. 17), the definition the steps start
  from.
- Chen, Appendix, Figure 8 ("GD vs. SGD"): missing from the text.
- slides, Classification Problems: the table of classes (spam, malignant,
  fraudulent): prose.
- slides, Binary Classifier: "If the estimated probability is greater than 50%,
  then the model predicts ... 1": the decision rule, a definition.
- slides, Cost Function (I): c(θ) by cases and p̂ = σ(θᵀ·x): definitions (the
  cost's direction is checked).
- slides, Cost Function (II): "∂/∂θ_i J(θ)" names θ_i with the summation index i;
  as written the left side is no derivative of the right (whose x_j names j);
  read as ∂/∂θ_j (log_loss_grad_theta).
- slides, Loading Data: "Dataset keys: ['data', 'target', 'target_names', 'DESCR',
  'feature_names', 'filename']" lists names, no value (and depends on the
  scikit-learn version).
- slides, Preparing Training Data: "X[0]:" is never shown, and "y: [0 ac o a c …]"
  is garbled by the extraction.
- slides, Training A LogisticRegression Model: "Precision score:
  0.9230769230769231", "Recall score: 0.96" come from cross_val_predict(log_reg,
  X, y, cv=3), and log_reg's settings are not shown: LogisticRegression() with
  its defaults gives 0.9245283018867925 and 0.98 (scikit-learn 1.9), so nothing
  fixes the printed pair. (They agree with each other: recall 0.96 = 48/50 and
  precision 12/13 = 48/52.)
- slides, Stochastic Gradient Descent: the b update's "b_{j,[n]}" carries a
  stray index j; read as b_[n] (example_log_loss_grad_b).
- slides, Vectorized Representation: Z = WᵀX + B, Ŷ = σ(Z), J(w, b) and 𝓛(ŷ, y):
  definitions. The chain-rule middle terms "∂𝓛/∂ŷ ∂ŷ/∂w_j ∂x⁽ⁱ⁾/∂w_j" (∂x for ∂z)
  and "∂z/∂b" are factors, not evaluated; the entries check each side's result.
- slides, Calculating Derivatives and Cost: the listing is garbled ("yhat.y",
  "dM", prints labelled 'bi:' and 'db:' twice); its intended derivatives are
  checked (calculate_derivatives_dW, calculate_derivatives_db).
- slides, Calculating Derivatives and Cost: "Cost (iteration 1000) = 0.126957"
  (printed twice), 2000 = 0.099479, 3000 = 0.087918: the training loop (learning
  rate, update) is not shown, so they cannot be recomputed; the last printed cost
  is checked against the printed weights (final_cost_against_final_weights).
- slides, Binary Cross-Entropy: checked in derivations.cross_entropy
  (binary_cross_entropy_is_two_outcome_cross_entropy; a second copy here was
  merged into it).

Chen's Listing 1 calls ``predict(features, weights)`` without showing it; it is read
here as sigmoid(features @ weights), the model h_θ(x) = σ(θᵀx) of Eq. 13.

Labels are integers in {0, 1}; logs are natural logs. The slides' example
superscript [i] (ŷ^[i], x_j^[i]) is written ⁽ⁱ⁾, as in Chen.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from checks import claim, derivation, domain

CHEN = 'Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review"'
BIEN = 'Ngo Huy Bien, "Logistic Regression" slides'

# θ and the rows x⁽ⁱ⁾ of X have n entries; X holds m examples. One example (m = 1)
# and several (m = 5, where a lost 1/m shows); n = 3 ≠ m, so a transpose shows.
THETA_X_Y = {
    "theta": domain.real(shape=("n",)),
    "X": domain.real(shape=("m", "n")),
    "y": domain.integers(0, 2, shape=("m",)),
}
EXAMPLES_FEATURES = {"m": (1, 5), "n": (3,)}


# --- Chen, Section 5.2–5.3 and Appendix: J(θ) of Eq. 17 -------------------------------


def logistic_regression_cost(theta: jax.Array, X: jax.Array, y: jax.Array) -> jax.Array:
    """J(θ) = −(1/m) Σᵢ [y⁽ⁱ⁾ log h_θ(x⁽ⁱ⁾) + (1 − y⁽ⁱ⁾) log(1 − h_θ(x⁽ⁱ⁾))] (Eq. 17).

    h_θ(x) = σ(θᵀx) (Eq. 13); x⁽ⁱ⁾ is row i of X, shape (m, n).
    """
    m = X.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    y = y.astype(h.dtype)
    return -(1 / m) * jnp.sum(y * jnp.log(h) + (1 - y) * jnp.log(1 - h))


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Section 5.3, Eq. 20",
)
def logistic_regression_grad_theta(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J(θ)/∂θ_j = (1/m) Σᵢ (h_θ(x⁽ⁱ⁾) − y⁽ⁱ⁾)·x_j⁽ⁱ⁾, for j = 0, …, n (Eq. 20).

    Derivation (the document's Appendix, Eqs. 28–39):
      ∂/∂θ_j log h = (∂h/∂θ_j)/h,  ∂/∂θ_j log(1 − h) = −(∂h/∂θ_j)/(1 − h)  (chain rule)
      ∂h/∂θ_j = σ(θᵀx)(1 − σ(θᵀx))·x_j = h(1 − h)·x_j  (σ' = σ(1 − σ), ∂θᵀx/∂θ_j = x_j)
      ∂J/∂θ_j = −(1/m) Σᵢ [y(1 − h) − (1 − y)h]·x_j        (substitute, cancel h, 1 − h)
              = −(1/m) Σᵢ [y − h]·x_j = (1/m) Σᵢ [h − y]·x_j  (distribute, cancel y·h)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Note: "j := 0, …, n" counts an intercept θ_0 with x_0 = 1; here the columns of X
      are all the inputs, an intercept being a column of ones.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.3, Eq. 20.
    """
    m = X.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    return (1 / m) * (X.T @ (h - y.astype(h.dtype)))


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eqs. 32–33",
)
def logistic_regression_grad_theta_with_sigmoid_derivative(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = −(1/m) Σᵢ [y⁽ⁱ⁾ σ(θᵀx⁽ⁱ⁾)(1 − σ(θᵀx⁽ⁱ⁾)) ∂(θᵀx⁽ⁱ⁾)/∂θ_j / h_θ(x⁽ⁱ⁾)
    − (1 − y⁽ⁱ⁾) σ(θᵀx⁽ⁱ⁾)(1 − σ(θᵀx⁽ⁱ⁾)) ∂(θᵀx⁽ⁱ⁾)/∂θ_j / (1 − h_θ(x⁽ⁱ⁾))].

    Derivation:
      ∂J/∂θ_j = −(1/m) Σᵢ [y ∂/∂θ_j log h + (1 − y) ∂/∂θ_j log(1 − h)]  (linearity, 29)
              = −(1/m) Σᵢ [y (∂h/∂θ_j)/h + (1 − y) (∂(1 − h)/∂θ_j)/(1 − h)] (chain, 30)
              = −(1/m) Σᵢ [y (∂σ(θᵀx)/∂θ_j)/h + (1 − y) (∂(1 − σ(θᵀx))/∂θ_j)/(1 − h)]
                                                              (h = σ(θᵀx), Eq. 31)
      ∂σ(θᵀx)/∂θ_j = σ(θᵀx)(1 − σ(θᵀx))·∂(θᵀx)/∂θ_j           (σ' = σ(1 − σ), 32–33)
    Evaluated here with ∂(θᵀx⁽ⁱ⁾)/∂θ_j = x_j⁽ⁱ⁾, the one factor the step leaves open.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Domain: 0 < h_θ(x⁽ⁱ⁾) < 1 as computed: the form divides h(1 − h) by h and by
      1 − h, 0/0 where σ(θᵀx) rounds to 1 or 0 (in float32, θᵀx ≳ 16.6 or
      ≲ −87). There the document's J is not finite in float32 either, so the
      checker leaves those points out of the float32 cases and counts them.
    Note: the extracted text splits this one equation over two numbered lines: the
      bracket opens in Eq. 32 ("… / h_θ(x⁽ⁱ⁾) −") and closes in Eq. 33; read as one
      expression, the (1 − y) term subtracted.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eqs. 32–33.
    """
    m = X.shape[0]
    sigma = jax.nn.sigmoid(X @ theta)
    h = jax.nn.sigmoid(X @ theta)
    y = y.astype(h.dtype)
    dz_dtheta = X  # ∂(θᵀx⁽ⁱ⁾)/∂θ_j = x_j⁽ⁱ⁾, one row per example
    first = (y * sigma * (1 - sigma) / h)[:, None] * dz_dtheta
    second = ((1 - y) * sigma * (1 - sigma) / (1 - h))[:, None] * dz_dtheta
    return -(1 / m) * jnp.sum(first - second, axis=0)


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eqs. 34–35",
)
def logistic_regression_grad_theta_with_sigmoid_as_h(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = −(1/m) Σᵢ [y⁽ⁱ⁾ h_θ(x⁽ⁱ⁾)(1 − h_θ(x⁽ⁱ⁾)) ∂(θᵀx⁽ⁱ⁾)/∂θ_j / h_θ(x⁽ⁱ⁾)
    − (1 − y⁽ⁱ⁾) h_θ(x⁽ⁱ⁾)(1 − h_θ(x⁽ⁱ⁾)) ∂(θᵀx⁽ⁱ⁾)/∂θ_j / (1 − h_θ(x⁽ⁱ⁾))].

    Derivation:
      Eqs. 32–33, with σ(θᵀx) rewritten as h_θ(x)     (σ(θᵀx) = h_θ(x), Eq. 13)
    Evaluated here with ∂(θᵀx⁽ⁱ⁾)/∂θ_j = x_j⁽ⁱ⁾, the one factor the step leaves open.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Domain: 0 < h_θ(x⁽ⁱ⁾) < 1 as computed: the form divides h(1 − h) by h and by
      1 − h, 0/0 where σ(θᵀx) rounds to 1 or 0 (in float32, θᵀx ≳ 16.6 or
      ≲ −87). There the document's J is not finite in float32 either, so the
      checker leaves those points out of the float32 cases and counts them.
    Note: as with Eqs. 32–33, the extracted text splits this one equation over two
      numbered lines; read as one expression, the (1 − y) term subtracted.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eqs. 34–35.
    """
    m = X.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    y = y.astype(h.dtype)
    dz_dtheta = X  # ∂(θᵀx⁽ⁱ⁾)/∂θ_j = x_j⁽ⁱ⁾, one row per example
    first = (y * h * (1 - h) / h)[:, None] * dz_dtheta
    second = ((1 - y) * h * (1 - h) / (1 - h))[:, None] * dz_dtheta
    return -(1 / m) * jnp.sum(first - second, axis=0)


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eq. 36",
)
def logistic_regression_grad_theta_with_inner_derivative(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = −(1/m) Σᵢ [y⁽ⁱ⁾(1 − h_θ(x⁽ⁱ⁾))x_j⁽ⁱ⁾ − (1 − y⁽ⁱ⁾)h_θ(x⁽ⁱ⁾)x_j⁽ⁱ⁾].

    Derivation:
      Eqs. 34–35, cancelling h in the first term and 1 − h in the second
      ∂(θᵀx⁽ⁱ⁾)/∂θ_j = x_j⁽ⁱ⁾                         (derivative of a dot product)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eq. 36.
    """
    m = X.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    y = y.astype(h.dtype)
    terms = (y * (1 - h))[:, None] * X - ((1 - y) * h)[:, None] * X
    return -(1 / m) * jnp.sum(terms, axis=0)


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eq. 37",
)
def logistic_regression_grad_theta_distributed(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = −(1/m) Σᵢ [y⁽ⁱ⁾ − y⁽ⁱ⁾h_θ(x⁽ⁱ⁾) − h_θ(x⁽ⁱ⁾) + y⁽ⁱ⁾h_θ(x⁽ⁱ⁾)] x_j⁽ⁱ⁾.

    Derivation:
      y(1 − h)x_j − (1 − y)h x_j = [y − yh − h + yh] x_j   (distribute, from Eq. 36)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eq. 37.
    """
    m = X.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    y = y.astype(h.dtype)
    return -(1 / m) * (X.T @ (y - y * h - h + y * h))


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eq. 38",
)
def logistic_regression_grad_theta_cancelled(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = −(1/m) Σᵢ [y⁽ⁱ⁾ − h_θ(x⁽ⁱ⁾)] x_j⁽ⁱ⁾ (Eq. 38).

    Derivation:
      y − yh − h + yh = y − h                                  (cancel, from Eq. 37)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eq. 38.
    """
    m = X.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    return -(1 / m) * (X.T @ (y.astype(h.dtype) - h))


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eq. 39",
)
def logistic_regression_grad_theta_appendix_result(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = (1/m) Σᵢ [h_θ(x⁽ⁱ⁾) − y⁽ⁱ⁾] x_j⁽ⁱ⁾ (Eq. 39).

    Derivation:
      −(1/m) Σᵢ [y − h] x_j = (1/m) Σᵢ [h − y] x_j      (move the sign, from Eq. 38)
    The appendix's stated result; the same as Eq. 20.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eq. 39.
    """
    m = X.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    return (1 / m) * (X.T @ (h - y.astype(h.dtype)))


# --- Chen, Section 5.3, Eq. 21: the two terms of the simplified cost (Eq. 18) ---------

ONE_EXAMPLE = {
    "theta": domain.real(shape=("n",)),
    "x": domain.real(shape=("n",)),
    "y": domain.integers(0, 2),
}


def label_times_logit(theta: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    """Term A of Eq. 21 for one example: y_i θx^i, where θx^i stands for θᵀx^i."""
    return y.astype(theta.dtype) * (theta @ x)


@derivation(
    of=label_times_logit,
    wrt="theta",
    inputs=ONE_EXAMPLE,
    dims={"n": (2, 3)},
    source=f"{CHEN}, Section 5.3, Eq. 21 (term A)",
)
def label_times_logit_grad_theta(
    theta: jax.Array, x: jax.Array, y: jax.Array
) -> jax.Array:
    """A: d/dθ_j y_i θ_j x_j^i = y_i·x_j^i (Eq. 21).

    Derivation:
      y θᵀx = y Σ_k θ_k x_k                                    (dot product)
      d/dθ_j y Σ_k θ_k x_k = y x_j           (linearity; only θ_j x_j depends on θ_j)
    Domain: y_i ∈ {0, 1} (any constant y_i gives the same result).
    Note: the document differentiates "y_i θ_j x_j^i", the j-th summand of y_i θx^i;
      the result is the same for the whole term.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.3, Eq. 21, term A.
    """
    return y.astype(x.dtype) * x


def log_one_plus_exp_logit(theta: jax.Array, x: jax.Array) -> jax.Array:
    """Term B of Eq. 21 for one example: log(1 + e^{θx^i}), θx^i standing for θᵀx^i."""
    return jnp.log(1 + jnp.exp(theta @ x))


@derivation(
    of=log_one_plus_exp_logit,
    wrt="theta",
    inputs={"theta": domain.real(shape=("n",)), "x": domain.real(shape=("n",))},
    dims={"n": (2, 3)},
    source=f"{CHEN}, Section 5.3, Eq. 21 (term B)",
    expect="fail",
    why="uses θ_j x_j^i in place of the whole θᵀx^i inside exp",
)
def log_one_plus_exp_logit_grad_theta(theta: jax.Array, x: jax.Array) -> jax.Array:
    """B: d/dθ_j log(1 + e^{θx^i}) = x_j^i exp[θ_j x_j^i] / (1 + exp[θ_j x_j^i]).

    Derivation (as the document would have it):
      d/dθ_j log(1 + e^u) = e^u/(1 + e^u)·du/dθ_j                  (chain rule)
      u = θ_j x_j^i, du/dθ_j = x_j^i                   (the document's reading of u)
    Domain: natural log.
    Why wrong: u is the whole logit θᵀx^i = Σ_k θ_k x_k^i, not its j-th summand, so
      exp[θ_j x_j^i] should be exp[θᵀx^i]; the right result is
      x_j^i e^{θᵀx^i}/(1 + e^{θᵀx^i}) = σ(θᵀx^i)·x_j^i. The two agree only when every
      other summand θ_k x_k^i (k ≠ j) is 0.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.3, Eq. 21, term B.
    """
    return x * jnp.exp(theta * x) / (1 + jnp.exp(theta * x))


# --- Chen, Appendix, Eqs. 29–31: the steps that keep ∂/∂θ_j of an inner function -----
#
# Each step holds the derivative of an inner function (log h, h, σ(θᵀx)) still
# unevaluated; the closed form evaluates that inner derivative with jax.jacobian and
# checks the structure the step states (linearity, the chain rule for log) around it.


def _per_example_jacobian(fn, theta: jax.Array) -> jax.Array:
    """∂fᵢ/∂θ_j for a function θ -> (f₁, …, f_m): shape (m, n)."""
    return jax.jacobian(fn)(theta)


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eq. 29",
)
def logistic_regression_grad_theta_by_linearity(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = −(1/m) Σᵢ [y⁽ⁱ⁾ ∂/∂θ_j log h_θ(x⁽ⁱ⁾)
    + (1 − y⁽ⁱ⁾) ∂/∂θ_j log(1 − h_θ(x⁽ⁱ⁾))].

    ∂/∂θ_j of −(1/m) Σᵢ [y log h + (1 − y) log(1 − h)]      (Eq. 28)
      = −(1/m) Σᵢ [y ∂/∂θ_j log h + (1 − y) ∂/∂θ_j log(1 − h)]   (linearity, Eq. 29)
    The inner derivatives ∂/∂θ_j log h and ∂/∂θ_j log(1 − h) are evaluated by
    jax.jacobian; checked is the linearity step around them.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eq. 29.
    """
    m = X.shape[0]
    y = y.astype(theta.dtype)
    d_log_h = _per_example_jacobian(lambda t: jnp.log(jax.nn.sigmoid(X @ t)), theta)
    d_log_1mh = _per_example_jacobian(
        lambda t: jnp.log(1 - jax.nn.sigmoid(X @ t)), theta
    )
    return -(1 / m) * jnp.sum(y[:, None] * d_log_h + (1 - y)[:, None] * d_log_1mh, 0)


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eq. 30",
)
def logistic_regression_grad_theta_by_chain_rule(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = −(1/m) Σᵢ [y⁽ⁱ⁾ (∂h/∂θ_j)/h + (1 − y⁽ⁱ⁾) (∂(1 − h)/∂θ_j)/(1 − h)].

    ∂/∂θ_j log u = (∂u/∂θ_j)/u                    (chain rule, u = h and u = 1 − h)
    The inner derivatives ∂h/∂θ_j and ∂(1 − h)/∂θ_j are evaluated by jax.jacobian.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; h = h_θ(x⁽ⁱ⁾) = σ(θᵀx⁽ⁱ⁾).
    Domain: 0 < h < 1 as computed (the form divides by h and by 1 − h).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eq. 30.
    """
    m = X.shape[0]
    y = y.astype(theta.dtype)
    h = jax.nn.sigmoid(X @ theta)
    dh = _per_example_jacobian(lambda t: jax.nn.sigmoid(X @ t), theta)
    d1mh = _per_example_jacobian(lambda t: 1 - jax.nn.sigmoid(X @ t), theta)
    terms = (y / h)[:, None] * dh + ((1 - y) / (1 - h))[:, None] * d1mh
    return -(1 / m) * jnp.sum(terms, 0)


@derivation(
    of=logistic_regression_cost,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Eq. 31",
)
def logistic_regression_grad_theta_with_sigmoid_inside(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂J/∂θ_j = −(1/m) Σᵢ [y⁽ⁱ⁾ (∂σ(θᵀx⁽ⁱ⁾)/∂θ_j)/h + (1 − y⁽ⁱ⁾)
    (∂(1 − σ(θᵀx⁽ⁱ⁾))/∂θ_j)/(1 − h)].

    h_θ(x) = σ(θᵀx) substituted inside the derivatives (Eq. 31); the derivatives
    of σ(θᵀx) and 1 − σ(θᵀx), written as functions of θ, are evaluated by
    jax.jacobian; the denominators stay h_θ(x⁽ⁱ⁾) as written.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; 0 < h < 1 as computed.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Eq. 31.
    """
    m = X.shape[0]
    y = y.astype(theta.dtype)
    h = jax.nn.sigmoid(X @ theta)

    def sigma_of_theta(t: jax.Array) -> jax.Array:
        return 1 / (1 + jnp.exp(-(X @ t)))

    d_sigma = _per_example_jacobian(sigma_of_theta, theta)
    d_one_minus = _per_example_jacobian(lambda t: 1 - sigma_of_theta(t), theta)
    terms = (y / h)[:, None] * d_sigma + ((1 - y) / (1 - h))[:, None] * d_one_minus
    return -(1 / m) * jnp.sum(terms, 0)


@claim.output(shape="(200, 1)", source=f"{CHEN}, Appendix, Listing 1, predictions")
def update_weights_predictions_shape() -> np.ndarray:
    """ "# predictions: (200, 1)", for "Features:(200, 3) ... Weights:(3, 1)".

    Checked: predict(features, weights) = sigmoid(features @ weights) on arrays of
    the listing's stated shapes (values are irrelevant to the shape).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Listing 1 (update_weights), comments.
    """
    features, weights = np.ones((200, 3)), np.zeros((3, 1))
    return 1 / (1 + np.exp(-np.dot(features, weights)))


@claim.output(shape="(3, 200)", source=f"{CHEN}, Appendix, Listing 1, features.T")
def update_weights_transposed_features_shape() -> np.ndarray:
    """ "#2 Transpose features from (200, 3) to (3, 200)".

    Checked: features.T for features of shape (200, 3).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Listing 1 (update_weights), comments.
    """
    return np.ones((200, 3)).T


@claim.output(shape="(3, 1)", source=f"{CHEN}, Appendix, Listing 1, gradient")
def update_weights_gradient_shape() -> np.ndarray:
    """ "Returns a (3,1) matrix holding 3 partial derivatives -- one for each
    feature".

    Checked: np.dot(features.T, predictions − labels) / N with features (200, 3),
    labels (200, 1), weights (3, 1), as the listing computes it.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Listing 1 (update_weights), comments.
    """
    features, labels, weights = np.ones((200, 3)), np.zeros((200, 1)), np.zeros((3, 1))
    predictions = 1 / (1 + np.exp(-np.dot(features, weights)))
    gradient = np.dot(features.T, predictions - labels)
    return gradient / len(features)


# --- Chen, Appendix, Listing 1 (update_weights): the cost in the listing's layout -----


def logistic_regression_cost_of_weights(
    features: jax.Array, labels: jax.Array, weights: jax.Array
) -> jax.Array:
    """J of Eq. 17 in Listing 1's layout.

    features (N, n), labels (N, 1), weights (n, 1);
    predictions = sigmoid(features @ weights), shape (N, 1).
    """
    N = features.shape[0]
    predictions = jax.nn.sigmoid(features @ weights)
    labels = labels.astype(predictions.dtype)
    return -(1 / N) * jnp.sum(
        labels * jnp.log(predictions) + (1 - labels) * jnp.log(1 - predictions)
    )


@derivation(
    of=logistic_regression_cost_of_weights,
    wrt="weights",
    inputs={
        "features": domain.real(shape=("m", "n")),
        "labels": domain.integers(0, 2, shape=("m", 1)),
        "weights": domain.real(shape=("n", 1)),
    },
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Appendix, Listing 1 (update_weights)",
)
def update_weights_gradient(
    features: jax.Array, labels: jax.Array, weights: jax.Array
) -> jax.Array:
    """gradient = np.dot(features.T, predictions − labels) / N (Listing 1).

    Derivation:
      ∂J/∂θ_j = (1/m) Σᵢ (h_θ(x⁽ⁱ⁾) − y⁽ⁱ⁾)·x_j⁽ⁱ⁾          (Eq. 20)
              = (1/N) [featuresᵀ (predictions − labels)]_j
                         (rows of features are x⁽ⁱ⁾; Σᵢ over rows is featuresᵀ·)
    The listing then scales this by alpha and subtracts it from weights; checked is
    the gradient, before the learning rate.
    Domain: labels ∈ {0, 1}; natural log; J as in Eq. 17.
    Note: the listing calls predict(features, weights) without showing it; read as
      sigmoid(features @ weights), h_θ(x) = σ(θᵀx) of Eq. 13. Shapes are the
      listing's (200, 3), (200, 1) and (3, 1) with N examples and n features.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Listing 1 (update_weights).
    """
    N = features.shape[0]
    predictions = jax.nn.sigmoid(features @ weights)
    loss = predictions - labels.astype(predictions.dtype)
    gradient = features.T @ loss
    return gradient / N


# --- Bien, "Cost Function (II)": the log loss J(θ) ------------------------------------


def log_loss(theta: jax.Array, X: jax.Array, y: jax.Array) -> jax.Array:
    """J(θ) = −(1/m) Σᵢ [y⁽ⁱ⁾ log(p̂⁽ⁱ⁾) + (1 − y⁽ⁱ⁾) log(1 − p̂⁽ⁱ⁾)], p̂ = σ(θᵀ·x).

    x⁽ⁱ⁾ is row i of X, shape (m, n), as in the slides' iris data X (150, 4).
    """
    m = X.shape[0]
    p_hat = jax.nn.sigmoid(X @ theta)
    y = y.astype(p_hat.dtype)
    return -(1 / m) * jnp.sum(y * jnp.log(p_hat) + (1 - y) * jnp.log(1 - p_hat))


@derivation(
    of=log_loss,
    wrt="theta",
    inputs=THETA_X_Y,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Cost Function (II)"',
)
def log_loss_grad_theta(theta: jax.Array, X: jax.Array, y: jax.Array) -> jax.Array:
    """∂/∂θ_i J(θ) = (1/m) Σᵢ (σ(θᵀ·x⁽ⁱ⁾) − y⁽ⁱ⁾) x_j⁽ⁱ⁾ ("Cost Function (II)").

    Derivation:
      ∂/∂z [y log σ(z) + (1 − y) log(1 − σ(z))] = y − σ(z)   (chain rule, σ' = σ(1 − σ))
      ∂(θᵀx⁽ⁱ⁾)/∂θ_j = x_j⁽ⁱ⁾                                  (dot product)
      ∂J/∂θ_j = −(1/m) Σᵢ (y⁽ⁱ⁾ − σ(θᵀx⁽ⁱ⁾)) x_j⁽ⁱ⁾ = (1/m) Σᵢ (σ(θᵀx⁽ⁱ⁾) − y⁽ⁱ⁾) x_j⁽ⁱ⁾
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; p̂ = h_θ(x) = σ(θᵀ·x).
    Note: the left side reads ∂/∂θ_i, a typo for ∂/∂θ_j (i is the summation index,
      j the component that x_j⁽ⁱ⁾ picks).
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides, "Cost Function (II)".
    """
    m = X.shape[0]
    return (1 / m) * (X.T @ (jax.nn.sigmoid(X @ theta) - y.astype(X.dtype)))


# --- Bien, "Stochastic Gradient Descent": the loss L(ŷ, y) of one example -------------


def example_log_loss(
    w: jax.Array, b: jax.Array, x: jax.Array, y: jax.Array
) -> jax.Array:
    """L(ŷ, y) = −(y log ŷ + (1 − y) log(1 − ŷ)), ŷ = σ(z), z = wᵀx + b, one example."""
    y_hat = jax.nn.sigmoid(w @ x + b)
    y = y.astype(y_hat.dtype)
    return -(y * jnp.log(y_hat) + (1 - y) * jnp.log(1 - y_hat))


SGD_EXAMPLE = {
    "w": domain.real(shape=("n",)),
    "b": domain.real(),
    "x": domain.real(shape=("n",)),
    "y": domain.integers(0, 2),
}


@derivation(
    of=example_log_loss,
    wrt="w",
    inputs=SGD_EXAMPLE,
    dims={"n": (2, 3)},
    source=f'{BIEN}, "Stochastic Gradient Descent"',
    expect="fail",
    why="1 − ŷ in place of ŷ − y: drops the label y and flips the sign",
)
def example_log_loss_grad_w(
    w: jax.Array, b: jax.Array, x: jax.Array, y: jax.Array
) -> jax.Array:
    """∂L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾)/∂w_j = (1 − ŷ⁽ⁱ⁾) x_j⁽ⁱ⁾ ("Stochastic Gradient Descent").

    Derivation (as stated, inside the update rule):
      w_j ← w_j − γ ∂L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾)/∂w_j = w_j − γ (1 − ŷ⁽ⁱ⁾) x_j⁽ⁱ⁾
    Domain: y ∈ {0, 1}; natural log; ŷ = σ(wᵀx + b).
    Why wrong: ∂L/∂ŷ·∂ŷ/∂z = (−y/ŷ + (1 − y)/(1 − ŷ))·ŷ(1 − ŷ) = ŷ − y (chain rule,
      σ' = σ(1 − σ)), so ∂L/∂w_j = (ŷ − y) x_j. The stated (1 − ŷ) x_j is the
      negative of this for y = 1 and wrong for y = 0, where it should be ŷ x_j.
    Note: the slide indexes the iteration as a subscript, w_{j,[n]}, and the example
      as a superscript [i], written ⁽ⁱ⁾ here.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Stochastic Gradient Descent".
    """
    y_hat = jax.nn.sigmoid(w @ x + b)
    return (1 - y_hat) * x


@derivation(
    of=example_log_loss,
    wrt="b",
    inputs=SGD_EXAMPLE,
    dims={"n": (2, 3)},
    source=f'{BIEN}, "Stochastic Gradient Descent"',
    expect="fail",
    why="1 − ŷ in place of ŷ − y: drops the label y and flips the sign",
)
def example_log_loss_grad_b(
    w: jax.Array, b: jax.Array, x: jax.Array, y: jax.Array
) -> jax.Array:
    """∂L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾)/∂b = (1 − ŷ⁽ⁱ⁾) ("Stochastic Gradient Descent").

    Derivation (as stated, inside the update rule):
      b ← b − γ ∂L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾)/∂b = b − γ (1 − ŷ⁽ⁱ⁾)
    Domain: y ∈ {0, 1}; natural log; ŷ = σ(wᵀx + b).
    Why wrong: ∂L/∂b = ∂L/∂ŷ·∂ŷ/∂z·∂z/∂b = (ŷ − y)·1 = ŷ − y (chain rule,
      σ' = σ(1 − σ)); the stated 1 − ŷ is its negative for y = 1 and wrong for y = 0.
    Note: the slide's right side reads b_{j,[n]}, a stray index j on the scalar b.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Stochastic Gradient Descent".
    """
    y_hat = jax.nn.sigmoid(w @ x + b)
    return 1 - y_hat


# --- Bien, "Vectorized Representation" and "Batch Gradient Descent": J(w, b) ----------


def batch_log_loss(w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
    """J(w, b) = (1/m) Σᵢ L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾), L(ŷ, y) = −(y log ŷ + (1 − y) log(1 − ŷ)).

    Ŷ = σ(Z), Z = wᵀX + b (the slide's Z = WᵀX + B, B the scalar b in every
    column); X (n, m) holds one example per column, w (n, 1), Y and Ŷ (1, m).
    """
    m = X.shape[1]
    Y_hat = jax.nn.sigmoid(w.T @ X + b)
    Y = Y.astype(Y_hat.dtype)
    L = -(Y * jnp.log(Y_hat) + (1 - Y) * jnp.log(1 - Y_hat))
    return (1 / m) * jnp.sum(L)


BATCH = {
    "w": domain.real(shape=("n", 1)),
    "b": domain.real(),
    "X": domain.real(shape=("n", "m")),
    "Y": domain.integers(0, 2, shape=(1, "m")),
}


@derivation(
    of=batch_log_loss,
    wrt="w",
    inputs=BATCH,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Vectorized Representation", ∂J/∂w_j',
    expect="fail",
    why="1 − ŷ in place of ŷ − y: drops the label y and flips the sign",
)
def batch_log_loss_grad_w_by_component(
    w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array
) -> jax.Array:
    """∂J(w, b)/∂w_j = (1/m) Σᵢ (1 − ŷ⁽ⁱ⁾) x_j⁽ⁱ⁾ ("Vectorized Representation").

    Derivation (as stated):
      ∂J/∂w_j = (1/m) Σᵢ ∂L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾)/∂w_j                       (linearity)
              = (1/m) Σᵢ ∂L/∂ŷ⁽ⁱ⁾ · ∂ŷ⁽ⁱ⁾/∂z⁽ⁱ⁾ · ∂z⁽ⁱ⁾/∂w_j      (chain rule)
              = (1/m) Σᵢ (1 − ŷ⁽ⁱ⁾) x_j⁽ⁱ⁾
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; ŷ = σ(wᵀx + b).
    Why wrong: ∂L/∂ŷ·∂ŷ/∂z = ŷ − y, so ∂J/∂w_j = (1/m) Σᵢ (ŷ⁽ⁱ⁾ − y⁽ⁱ⁾) x_j⁽ⁱ⁾, as
      the same slide's vectorized (1/m) X(Ŷ − Y)ᵀ says; (1 − ŷ) is its negative
      only for y = 1.
    Note: the extracted chain reads ∂L/∂ŷ · ∂ŷ/∂w_j · ∂x/∂w_j; read as the evident
      ∂L/∂ŷ · ∂ŷ/∂z · ∂z/∂w_j. x⁽ⁱ⁾ is column i of X.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Vectorized Representation", ∂J/∂w_j.
    """
    m = X.shape[1]
    Y_hat = jax.nn.sigmoid(w.T @ X + b)
    return (1 / m) * (X @ (1 - Y_hat).T)


@derivation(
    of=batch_log_loss,
    wrt="w",
    inputs=BATCH,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Vectorized Representation", ∇_w J',
)
def batch_log_loss_grad_w(
    w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array
) -> jax.Array:
    """∇_w J(w, b) = (1/m) X (Ŷ − Y)ᵀ ("Vectorized Representation").

    Derivation:
      ∂L/∂z⁽ⁱ⁾ = ∂L/∂ŷ⁽ⁱ⁾ · ∂ŷ⁽ⁱ⁾/∂z⁽ⁱ⁾ = ŷ⁽ⁱ⁾ − y⁽ⁱ⁾       (chain rule, σ' = σ(1 − σ))
      ∂z⁽ⁱ⁾/∂w = x⁽ⁱ⁾, column i of X                         (z = wᵀx + b)
      ∇_w J = (1/m) Σᵢ x⁽ⁱ⁾ (ŷ⁽ⁱ⁾ − y⁽ⁱ⁾) = (1/m) X (Ŷ − Y)ᵀ   (sum over columns)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; Ŷ = σ(wᵀX + b); shape (n, 1), as w.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Vectorized Representation", ∇_w J.
    """
    m = X.shape[1]
    Y_hat = jax.nn.sigmoid(w.T @ X + b)
    return (1 / m) * (X @ (Y_hat - Y.astype(Y_hat.dtype)).T)


@derivation(
    of=batch_log_loss,
    wrt="b",
    inputs=BATCH,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Vectorized Representation", ∂J/∂b',
    expect="fail",
    why="1 − ŷ in place of ŷ − y: drops the label y and flips the sign",
)
def batch_log_loss_grad_b_by_example(
    w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array
) -> jax.Array:
    """∂J(w, b)/∂b = (1/m) Σᵢ (1 − ŷ⁽ⁱ⁾) ("Vectorized Representation").

    Derivation (as stated):
      ∂J/∂b = (1/m) Σᵢ ∂L(ŷ⁽ⁱ⁾, y⁽ⁱ⁾)/∂b                          (linearity)
            = (1/m) Σᵢ ∂L/∂ŷ⁽ⁱ⁾ · ∂ŷ⁽ⁱ⁾/∂z⁽ⁱ⁾ · ∂z⁽ⁱ⁾/∂b          (chain rule)
            = (1/m) Σᵢ (1 − ŷ⁽ⁱ⁾)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; ŷ = σ(wᵀx + b).
    Why wrong: ∂L/∂ŷ·∂ŷ/∂z = ŷ − y and ∂z/∂b = 1, so ∂J/∂b = (1/m) Σᵢ (ŷ⁽ⁱ⁾ − y⁽ⁱ⁾),
      as the same slide's vectorized form says; (1 − ŷ) is its negative only for
      y = 1.
    Note: the extracted chain reads ∂L/∂ŷ · ∂ŷ/∂b · ∂z/∂b; read as the evident
      ∂L/∂ŷ · ∂ŷ/∂z · ∂z/∂b.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Vectorized Representation", ∂J/∂b.
    """
    m = X.shape[1]
    Y_hat = jax.nn.sigmoid(w.T @ X + b)
    return (1 / m) * jnp.sum(1 - Y_hat)


@derivation(
    of=batch_log_loss,
    wrt="b",
    inputs=BATCH,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Vectorized Representation", ∂J/∂b vectorized',
)
def batch_log_loss_grad_b(
    w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array
) -> jax.Array:
    """∂J(w, b)/∂b = (1/m) Σᵢ (Ŷ_i − Y_i) ("Vectorized Representation").

    Derivation:
      ∂L/∂z⁽ⁱ⁾ = ŷ⁽ⁱ⁾ − y⁽ⁱ⁾                                (chain rule, σ' = σ(1 − σ))
      ∂z⁽ⁱ⁾/∂b = 1                                          (z = wᵀx + b)
      ∂J/∂b = (1/m) Σᵢ (Ŷ_i − Y_i)                          (linearity)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; Ŷ = σ(wᵀX + b).
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Vectorized Representation", ∂J/∂b (vectorized representation).
    """
    m = X.shape[1]
    Y_hat = jax.nn.sigmoid(w.T @ X + b)
    return (1 / m) * jnp.sum(Y_hat - Y.astype(Y_hat.dtype))


@derivation(
    of=batch_log_loss,
    wrt="w",
    inputs=BATCH,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Batch Gradient Descent", w update',
)
def batch_gradient_descent_w_gradient(
    w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array
) -> jax.Array:
    """w_[n+1] = w_[n] − γ (1/m) X (Ŷ − Y)ᵀ ("Batch Gradient Descent").

    Derivation:
      w ← w − γ ∇_w J(w, b)                                (gradient descent step)
      ∇_w J(w, b) = (1/m) X (Ŷ − Y)ᵀ          (as in "Vectorized Representation")
    Checked is the gradient the step applies, (1/m) X (Ŷ − Y)ᵀ, before γ.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; Ŷ = σ(wᵀX + b); shape (n, 1), as w.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Batch Gradient Descent", w update.
    """
    m = X.shape[1]
    Y_hat = jax.nn.sigmoid(w.T @ X + b)
    return (1 / m) * (X @ (Y_hat - Y.astype(Y_hat.dtype)).T)


@derivation(
    of=batch_log_loss,
    wrt="b",
    inputs=BATCH,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Batch Gradient Descent", b update',
)
def batch_gradient_descent_b_gradient(
    w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array
) -> jax.Array:
    """b_[n+1] = b_[n] − γ (1/m) Σᵢ (Ŷ_i − Y_i) ("Batch Gradient Descent").

    Derivation:
      b ← b − γ ∂J(w, b)/∂b                                (gradient descent step)
      ∂J/∂b = (1/m) Σᵢ (Ŷ_i − Y_i)             (as in "Vectorized Representation")
    Checked is the gradient the step applies, (1/m) Σᵢ (Ŷ_i − Y_i), before γ.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; Ŷ = σ(wᵀX + b).
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Batch Gradient Descent", b update.
    """
    m = X.shape[1]
    Y_hat = jax.nn.sigmoid(w.T @ X + b)
    return (1 / m) * jnp.sum(Y_hat - Y.astype(Y_hat.dtype))


@derivation(
    of=batch_log_loss,
    wrt=("w", "b"),
    form="vjp",
    inputs=BATCH,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Batch Gradient Descent", w and b updates',
)
def batch_gradient_descent_vjp(
    w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array, J_bar: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """The w and b updates as one backward pass ("Batch Gradient Descent").

    Derivation (the two gradients the step applies, as a VJP of J(w, b)):
      dZ = Ŷ − Y                                  (∂L/∂z for the sigmoid log loss)
      dw = (1/m) X dZᵀ,  db = (1/m) Σᵢ dZ_i        (as in "Vectorized Representation")
      (w̄, b̄) = J̄·(dw, db)                         (J scalar: its cotangent scales both)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; Ŷ = σ(wᵀX + b); w̄ shaped as w, b̄ as b.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Batch Gradient Descent", w and b updates.
    """
    m = X.shape[1]
    dZ = jax.nn.sigmoid(w.T @ X + b) - Y.astype(w.dtype)
    return J_bar * (1 / m) * (X @ dZ.T), J_bar * (1 / m) * jnp.sum(dZ)


# --- Bien, listing "Calculating Derivatives and Cost" ---------------------------------


def calculate_cost(W: jax.Array, b: jax.Array, X: jax.Array, y: jax.Array) -> jax.Array:
    """The cost of the listing calculate_derivatives_and_cost(W, b, X, y).

    n, m = X.shape; Z = np.dot(W.T, X) + b; yhat = sigmoid(Z);
    cost = −1.0/m·np.sum(y·np.log(yhat) + (1.0 − y)·np.log(1.0 − yhat)).
    X (n, m) is the iris data transposed (the listing passes X.T), W (n, 1), b a
    scalar, y (m,) the 0/1 labels; NumPy broadcasts y against Z (1, m), written
    here as y[None, :].
    """
    m = X.shape[1]
    Z = W.T @ X + b
    yhat = jax.nn.sigmoid(Z)
    y = y.astype(yhat.dtype)[None, :]
    return -1.0 / m * jnp.sum(y * jnp.log(yhat) + (1.0 - y) * jnp.log(1.0 - yhat))


LISTING = {
    "W": domain.real(shape=("n", 1)),
    "b": domain.real(),
    "X": domain.real(shape=("n", "m")),
    "y": domain.integers(0, 2, shape=("m",)),
}


@derivation(
    of=calculate_cost,
    wrt="W",
    inputs=LISTING,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Calculating Derivatives and Cost", dW',
    expect="fail",
    why="drops the factor X: one number (1/m)Σ(ŷ − y) for every weight",
)
def calculate_derivatives_dW(
    W: jax.Array, b: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """dW = 1.0/m*np.sum(yhat - y) ("Calculating Derivatives and Cost").

    Derivation (as stated):
      dW = (1/m) Σᵢ (ŷ⁽ⁱ⁾ − y⁽ⁱ⁾), one number, broadcast to every weight by W −= γ·dW
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; ŷ = σ(Wᵀx + b).
    Why wrong: ∂z⁽ⁱ⁾/∂W_j = x_j⁽ⁱ⁾, not 1, so the right result is
      dW = (1/m) X (ŷ − y)ᵀ, i.e. 1.0/m*np.dot(X, (yhat - y).T), shape (n, 1).
    Note: the extracted line reads np.sum(yhat.y); read as np.sum(yhat-y), the minus
      sign lost in extraction, and nothing else restored. The listing's printed
      training run ends with four distinct weights, which a single dW broadcast
      from W = 0 cannot give, so the code that ran evidently used X. The
      dictionary is built as {"dM": dM, ...}, a typo for dW.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Calculating Derivatives and Cost", dW.
    """
    m = X.shape[1]
    yhat = jax.nn.sigmoid(W.T @ X + b)
    dW = 1.0 / m * jnp.sum(yhat - y.astype(yhat.dtype)[None, :])
    return jnp.full(W.shape, dW, dtype=W.dtype)


@derivation(
    of=calculate_cost,
    wrt="b",
    inputs=LISTING,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Calculating Derivatives and Cost", db',
)
def calculate_derivatives_db(
    W: jax.Array, b: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """db = 1.0/m*np.sum(yhat - y) ("Calculating Derivatives and Cost").

    Derivation:
      ∂L/∂z⁽ⁱ⁾ = ŷ⁽ⁱ⁾ − y⁽ⁱ⁾                                (chain rule, σ' = σ(1 − σ))
      ∂z⁽ⁱ⁾/∂b = 1                                          (Z = WᵀX + b)
      db = (1/m) Σᵢ (ŷ⁽ⁱ⁾ − y⁽ⁱ⁾)                            (linearity)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; ŷ = σ(Wᵀx + b).
    Note: the extracted line reads np.sum(yhat.y); read as np.sum(yhat-y), the minus
      sign lost in extraction.
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Calculating Derivatives and Cost", db.
    """
    m = X.shape[1]
    yhat = jax.nn.sigmoid(W.T @ X + b)
    return 1.0 / m * jnp.sum(yhat - y.astype(yhat.dtype)[None, :])


@derivation(
    of=calculate_cost,
    wrt=("W", "b"),
    form="vjp",
    inputs=LISTING,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Calculating Derivatives and Cost", dW and db',
    expect="fail",
    why="dW drops the factor X: one number (1/m)Σ(ŷ − y) for every weight",
)
def calculate_derivatives_and_cost_vjp(
    W: jax.Array, b: jax.Array, X: jax.Array, y: jax.Array, cost_bar: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """dW, db of calculate_derivatives_and_cost(W, b, X, y), as one backward pass.

    Derivation (as stated, the listing's two lines times the cost's cotangent):
      dW = 1.0/m*np.sum(yhat - y)     (one number, broadcast to every weight)
      db = 1.0/m*np.sum(yhat - y)
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; ŷ = σ(Wᵀx + b).
    Why wrong: ∂z⁽ⁱ⁾/∂W_j = x_j⁽ⁱ⁾, not 1: dW = (1/m) X (ŷ − y)ᵀ, shape (n, 1); db
      is right (see calculate_derivatives_dW and calculate_derivatives_db).
    Source: Ngo Huy Bien, "Logistic Regression" lecture slides,
      "Calculating Derivatives and Cost", dW and db.
    """
    m = X.shape[1]
    yhat = jax.nn.sigmoid(W.T @ X + b)
    db = 1.0 / m * jnp.sum(yhat - y.astype(yhat.dtype)[None, :])
    dW = jnp.full(W.shape, db, dtype=W.dtype)
    return cost_bar * dW, cost_bar * db


# === Claims: the stated values, identities and inequalities ===========================
#
# Not transcribed: the training run's later costs (iterations 1000–4000), its final W
# and b, and the iris precision and recall scores; the listing shows neither the
# training loop nor its learning rate, so they cannot be recomputed from the slides.

# θᵀx reaches 3·(30·scale)² where both θ and x come from the large stratum; with
# scale 0.5 most points keep 1 − σ(θᵀx) above 0 in float64.
THETA_X_Y_MODERATE = {
    "theta": domain.real(shape=("n",), scale=0.5),
    "X": domain.real(shape=("m", "n"), scale=0.5),
    "y": domain.integers(0, 2, shape=("m",)),
}


def sigmoid_hypothesis(theta: jax.Array, X: jax.Array) -> jax.Array:
    """h_θ(x⁽ⁱ⁾) = 1/(1 + e^{−θᵀx⁽ⁱ⁾}) for each row x⁽ⁱ⁾ of X (Eq. 13), as written."""
    return 1 / (1 + jnp.exp(-(X @ theta)))


def squared_error_cost(theta: jax.Array, X: jax.Array, y: jax.Array) -> jax.Array:
    """J(θ) = (1/m) Σᵢ ½ (1/(1 + e^{−θᵀx⁽ⁱ⁾}) − y⁽ⁱ⁾)² (Eq. 14)."""
    m = X.shape[0]
    h = sigmoid_hypothesis(theta, X)
    return (1 / m) * jnp.sum(0.5 * (h - y.astype(h.dtype)) ** 2)


@claim.nonconvex(
    wrt="theta",
    inputs=THETA_X_Y_MODERATE,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Section 5.2, Eq. 14",
)
def squared_error_cost_is_not_convex(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """The 'Mean Squared Error' cost with the logistic h_θ, Eq. 14, "is non-convex".

    Checked: the Hessian ∇²_θ J of J(θ) = (1/m) Σᵢ ½(σ(θᵀx⁽ⁱ⁾) − y⁽ⁱ⁾)² has a
    negative eigenvalue at some sampled (θ, X, y). For one example,
    ∇²_θ J = [σ′² + (σ − y)σ″]·x xᵀ, and σ″ = σ′(1 − 2σ) makes the bracket negative
    where the prediction is confidently wrong (e.g. y = 0, θᵀx ≳ 1).
    Domain: y⁽ⁱ⁾ ∈ {0, 1}.
    Note: the extracted Eq. 14 writes e^{−θᵀx} inside the sum; read as e^{−θᵀx⁽ⁱ⁾}.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2, Eq. 14.
    """
    return squared_error_cost(theta, X, y)


@claim.convex(
    wrt="theta",
    inputs=THETA_X_Y_MODERATE,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Section 5.2, Eqs. 15–17",
)
def cross_entropy_cost_is_convex(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """The "Entropy-alike" cost J(θ) of Eq. 17 is used "instead" of the non-convex
    Eq. 14: it is convex in θ.

    Checked: ∇²_θ J is positive semidefinite at every sampled (θ, X, y); by hand,
    ∇²_θ J = (1/m) Σᵢ σ(θᵀx⁽ⁱ⁾)(1 − σ(θᵀx⁽ⁱ⁾)) x⁽ⁱ⁾x⁽ⁱ⁾ᵀ, a sum of PSD terms.
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log.
    Note: the text does not say "convex" in so many words; it contrasts Eq. 15 with
      the non-convex Eq. 14 ("Instead, we use ...") and carries a margin note
      "Prove Convexity".
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2, Eqs. 15–17.
    """
    return logistic_regression_cost(theta, X, y)


@claim.inequality(
    inputs={"theta": domain.real(("n",)), "x": domain.real(("n",))},
    dims={"n": (3,)},
    source=f"{CHEN}, Section 5.2, Eq. 15",
)
def prediction_probability_is_in_unit_interval(
    theta: jax.Array, x: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """h_θ(x) "is the prediction probability in range [0, 1]".

    Checked: 0 ≤ h_θ(x) and h_θ(x) ≤ 1, h_θ(x) = 1/(1 + e^{−θᵀx}) (Eq. 13).
    Domain: θ, x ∈ ℝⁿ.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2, below Eq. 15.
    """
    h = 1 / (1 + jnp.exp(-(theta @ x)))
    return jnp.stack([jnp.zeros_like(h), h]), jnp.stack([h, jnp.ones_like(h)])


def logistic_cost_by_cases(h: jax.Array, y: jax.Array) -> jax.Array:
    """Cost(h_θ(x), y) = −log(h_θ(x)) if y = 1, −log(1 − h_θ(x)) if y = 0 (Eq. 15)."""
    return jnp.where(y == 1, -jnp.log(h), -jnp.log(1 - h))


def logistic_cost_combined(h: jax.Array, y: jax.Array) -> jax.Array:
    """Cost(h_θ(x), y) = −y log(h_θ(x)) − (1 − y) log(1 − h_θ(x)) (Eq. 16)."""
    y = y.astype(h.dtype)
    return -y * jnp.log(h) - (1 - y) * jnp.log(1 - h)


@claim.identity(
    inputs={"h": domain.unit_interval(), "y": domain.integers(0, 2)},
    source=f"{CHEN}, Section 5.2, Eqs. 15–16",
)
def combined_cost_equals_cost_by_cases(
    h: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "we combine the two lines of equation into one": Eq. 16 equals Eq. 15.

    −y log h − (1 − y) log(1 − h) = −log h if y = 1, −log(1 − h) if y = 0.
    Domain: y ∈ {0, 1}; 0 < h < 1; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2, Eqs. 15–16.
    """
    return logistic_cost_combined(h, y), logistic_cost_by_cases(h, y)


@claim.identity(
    inputs=THETA_X_Y_MODERATE,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Section 5.2, Eq. 17",
)
def overall_cost_is_mean_of_example_costs(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """J(θ) = (1/m) Σᵢ Cost(h_θ(xⁱ), yⁱ)
    = −(1/m) Σᵢ [yⁱ log(h_θ(xⁱ)) + (1 − yⁱ) log(1 − h_θ(xⁱ))] (Eq. 17).

    Left: the mean of the per-example cost of Eq. 16; right: the last line of
    Eq. 17 (``logistic_regression_cost``).
    Domain: yⁱ ∈ {0, 1}; natural log; h_θ(x) = σ(θᵀx) (Eq. 13).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2, Eq. 17.
    """
    m = X.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    mean_cost = (1 / m) * jnp.sum(logistic_cost_combined(h, y))
    return mean_cost, logistic_regression_cost(theta, X, y)


@claim.identity(
    inputs=THETA_X_Y_MODERATE,
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Section 5.2, Eq. 18",
)
def simplified_cost_equals_cost(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "Substitute Sigmoid Eq.13, we can simplify the cost function as":
    J(θ) = −(1/m) Σᵢ [y_i θxⁱ − log(1 + e^{θxⁱ})] (Eq. 18), equal to Eq. 17.

    log σ(z) = z − log(1 + e^z),  log(1 − σ(z)) = −log(1 + e^z)       (z = θᵀx)
    y log σ(z) + (1 − y) log(1 − σ(z)) = y z − log(1 + e^z)
    Domain: y_i ∈ {0, 1}; natural log.
    Note: θxⁱ is read as θᵀxⁱ, the logit, as in Eq. 21 (``label_times_logit``);
      read so, the identity holds for any real y_i, and the (1 − y) term cancels.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2, Eq. 18.
    """
    m = X.shape[0]
    z = X @ theta
    y_ = y.astype(z.dtype)
    simplified = -(1 / m) * jnp.sum(y_ * z - jnp.log(1 + jnp.exp(z)))
    return simplified, logistic_regression_cost(theta, X, y)


@claim.identity(
    inputs={
        "theta": domain.real(shape=("n",), scale=0.5),
        "X": domain.real(shape=("n", "m"), scale=0.5),
        "y": domain.integers(0, 2, shape=("m",)),
    },
    dims=EXAMPLES_FEATURES,
    source=f"{CHEN}, Section 5.2, Eq. 19",
)
def vectorized_cost_equals_cost(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "Vectorized form of Eq.17":
    J(θ) = −(1/m) [Yᵀ log(Sig(θᵀX)) + (1 − Y)ᵀ log(1 − Sig(θᵀX))] (Eq. 19).

    Sig(θᵀX) = 1/(1 + e^{−θᵀX}), elementwise over the row θᵀX of m logits.
    Domain: X is n×m, one example per column; Y ∈ {0, 1}ᵐ; natural log.
    Note: Yᵀ log(·) is read as the dot product of the m labels with the m logs
      (θᵀX is a row, so the text's transposes do not match literally).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.2, Eq. 19.
    """
    m = X.shape[1]
    Y = y.astype(X.dtype)
    sig = 1 / (1 + jnp.exp(-(theta @ X)))
    vectorized = -(1 / m) * (Y @ jnp.log(sig) + (1 - Y) @ jnp.log(1 - sig))
    return vectorized, logistic_regression_cost(theta, X.T, y)


ONE_EXAMPLE_MODERATE = {
    "theta": domain.real(shape=("n",), scale=0.5),
    "x": domain.real(shape=("n",), scale=0.5),
    "y": domain.integers(0, 2),
}


def probability_of_label_by_cases(
    theta: jax.Array, x: jax.Array, y: jax.Array
) -> jax.Array:
    """P(y|x) = h(θᵀx) for y = 1, 1 − h(θᵀx) for y = 0 (Eq. 22), h the sigmoid."""
    h = jax.nn.sigmoid(theta @ x)
    return jnp.where(y == 1, h, 1 - h)


@claim.identity(
    inputs=ONE_EXAMPLE_MODERATE,
    dims={"n": (3,)},
    source=f"{CHEN}, Section 5.4, Eqs. 22–23",
    expect="fail",
    why="with Eq. 22's labels y ∈ {0, 1}, y = 0 gives h(0) = 1/2, not 1 − h(θᵀx)",
)
def compact_probability_equals_probability_by_cases(
    theta: jax.Array, x: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "More compact form": P(y|x) = h(y·θᵀx) (Eq. 23), for Eq. 22's P(y|x).

    Checked with the labels of Eq. 22, y ∈ {0, 1}:
      y = 1: h(1·θᵀx) = h(θᵀx)                                       (agrees)
      y = 0: h(0·θᵀx) = h(0) = 1/2 ≠ 1 − h(θᵀx)
    Domain: y ∈ {0, 1}, as Eq. 22 writes the cases; h the sigmoid of Eq. 13.
    Why wrong: Eq. 23 holds for labels y ∈ {−1, +1} (the y = 0 case of Eq. 22
      relabelled −1), since h(−z) = 1 − h(z); with y ∈ {0, 1} it gives 1/2 for
      every y = 0 example. The {0, 1} compact form is h(θᵀx)^y (1 − h(θᵀx))^{1−y}.
      See ``compact_probability_holds_for_labels_plus_minus_one``.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.4, Eqs. 22–23.
    """
    h = jax.nn.sigmoid
    compact = h(y.astype(x.dtype) * (theta @ x))
    return compact, probability_of_label_by_cases(theta, x, y)


def _plus_minus_one(key: jax.Array, shape: tuple[int, ...], dtype: object) -> jax.Array:
    """Labels −1 or +1, each with probability 1/2."""
    return jnp.where(jax.random.bernoulli(key, 0.5, shape), 1.0, -1.0).astype(dtype)


@claim.identity(
    inputs={
        "theta": domain.real(shape=("n",), scale=0.5),
        "x": domain.real(shape=("n",), scale=0.5),
        "y": domain.custom(_plus_minus_one),
    },
    dims={"n": (3,)},
    source=f"{CHEN}, Section 5.4, Eqs. 22–23 (labels ±1)",
)
def compact_probability_holds_for_labels_plus_minus_one(
    theta: jax.Array, x: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """P(y|x) = h(y·θᵀx) (Eq. 23), with Eq. 22's y = 0 case written y = −1.

      y = +1: h(θᵀx)
      y = −1: h(−θᵀx) = 1/(1 + e^{θᵀx}) = 1 − h(θᵀx)            (h(−z) = 1 − h(z))
    Domain: y ∈ {−1, +1}; h the sigmoid of Eq. 13.
    Note: the coding under which Eq. 23, and Eq. 25's h(y_i·θᵀx_i), hold; the text
      states Eq. 22 with y ∈ {0, 1} (see the failing entry above).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.4, Eqs. 22–23, labels read as ±1.
    """
    h = jax.nn.sigmoid(theta @ x)
    by_cases = jnp.where(y == 1, h, 1 - h)
    return jax.nn.sigmoid(y * (theta @ x)), by_cases


@claim.identity(
    inputs={"P": domain.unit_interval(("N",))},
    dims={"N": (1, 5)},
    source=f"{CHEN}, Section 5.4, Eq. 25, ln ∏ = Σ ln",
)
def log_of_likelihood_is_sum_of_logs(P: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ln(∏ₙ P(yₙ|xₙ)) = Σₙ ln P(yₙ|xₙ) (Eq. 25, second to third line).

    Domain: 0 < P(yₙ|xₙ) < 1, N independent examples; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.4, Eq. 25.
    """
    return jnp.log(jnp.prod(P)), jnp.sum(jnp.log(P))


@claim.identity(
    inputs={
        "theta": domain.real(shape=("n",), scale=0.5),
        "X": domain.real(shape=("N", "n"), scale=0.5),
        "y": domain.custom(_plus_minus_one, shape=("N",)),
    },
    dims={"N": (1, 5), "n": (3,)},
    source=f"{CHEN}, Section 5.4, Eq. 25, last line",
    expect="fail",
    why="sign: −(1/N)Σ ln(1/h) = +(1/N)Σ ln h, the negative of −(1/N)Σ ln P",
)
def negative_log_likelihood_as_log_of_reciprocal(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """−(1/N) Σₙ ln P(yₙ|xₙ) = −(1/N) Σₙ ln [1/h(y_i·θᵀx_i)] (Eq. 25, last line).

    Left: −(1/N) Σₙ ln P(yₙ|xₙ) with P(y|x) = h(y·θᵀx) (Eq. 23, labels ±1, under
    which Eq. 23 holds); right: the last line as written.
    Domain: yₙ ∈ {−1, +1}; h the sigmoid of Eq. 13; natural log.
    Why wrong: ln(1/h) = −ln h, so −(1/N) Σ ln(1/h) = +(1/N) Σ ln h ≤ 0, the
      negative of the objective; minimizing it would maximize the loss. The last
      line should read (1/N) Σₙ ln[1/h(yₙ·θᵀxₙ)] = (1/N) Σₙ ln(1 + e^{−yₙθᵀxₙ}).
    Note: the last line indexes y_i, x_i under a sum over n; read as yₙ, xₙ.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 5.4, Eq. 25.
    """
    N = X.shape[0]
    h = jax.nn.sigmoid(y * (X @ theta))
    objective = -(1 / N) * jnp.sum(jnp.log(h))
    as_written = -(1 / N) * jnp.sum(jnp.log(1 / h))
    return objective, as_written


@claim.identity(
    inputs=THETA_X_Y_MODERATE,
    dims=EXAMPLES_FEATURES,
    source=f'{BIEN}, "Cost Function (II)"',
)
def log_loss_is_mean_of_instance_costs(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """The log loss J(θ) = −(1/m) Σᵢ [y⁽ⁱ⁾ log(p̂⁽ⁱ⁾) + (1 − y⁽ⁱ⁾) log(1 − p̂⁽ⁱ⁾)] is
    the mean of the single-instance cost c(θ) = −log(p̂) if y = 1, −log(1 − p̂) if
    y = 0 ("Cost Function (II)").

    Left: (1/m) Σᵢ c⁽ⁱ⁾(θ) by cases; right: J(θ) (``log_loss``).
    Domain: y⁽ⁱ⁾ ∈ {0, 1}; natural log; p̂ = σ(θᵀ·x).
    Note: the slide states both and puts them side by side; that J averages c is
      read from "Cost function of a single training instance".
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cost Function (II)".
    """
    m = X.shape[0]
    p_hat = jax.nn.sigmoid(X @ theta)
    mean_c = (1 / m) * jnp.sum(logistic_cost_by_cases(p_hat, y))
    return mean_c, log_loss(theta, X, y)


def sigmoid_as_listed(z: jax.Array) -> jax.Array:
    """s = 1.0 / (1.0 + np.exp(-z)) ("Computing sigmoid Activation")."""
    return 1.0 / (1.0 + jnp.exp(-z))


@claim.value(stated="0.5", source=f'{BIEN}, "Computing sigmoid Activation"')
def sigmoid_of_zero() -> jax.Array:
    """sigmoid(0): 0.5.

    Computed with the listing's formula 1.0/(1.0 + np.exp(−z)) in float64:
    1/(1 + e⁰) = 1/2.
    Source: Ngo Huy Bien, "Logistic Regression" slides,
      "Computing sigmoid Activation", printed output.
    """
    return sigmoid_as_listed(jnp.asarray(0.0, jnp.float64))


@claim.value(stated="1.0", source=f'{BIEN}, "Computing sigmoid Activation"')
def sigmoid_of_one_hundred() -> jax.Array:
    """sigmoid(100): 1.0.

    Computed with the listing's formula in float64: 1/(1 + e^{−100}), and
    e^{−100} ≈ 3.7·10⁻⁴⁴ is far below half an ulp of 1, so the sum rounds to 1.0.
    The exact value is 1 − 3.7·10⁻⁴⁴, which the printed 1.0 also matches.
    Source: Ngo Huy Bien, "Logistic Regression" slides,
      "Computing sigmoid Activation", printed output.
    """
    return sigmoid_as_listed(jnp.asarray(100.0, jnp.float64))


@claim.value(
    stated="3.7200759760208356e-44", source=f'{BIEN}, "Computing sigmoid Activation"'
)
def sigmoid_of_minus_one_hundred() -> jax.Array:
    """sigmoid(-100): 3.7200759760208356e-44.

    Computed with the listing's formula in float64: 1/(1 + e^{100}); the printed
    digits are Python's shortest repr of that float64, so the check asks for the
    same double. The exact value e^{−100}/(1 + e^{−100}) = 3.72007597602083596…·10⁻⁴⁴
    also rounds to the printed 17 digits.
    Source: Ngo Huy Bien, "Logistic Regression" slides,
      "Computing sigmoid Activation", printed output.
    """
    return sigmoid_as_listed(jnp.asarray(-100.0, jnp.float64))


@claim.value(stated="0.693147", source=f'{BIEN}, "Calculating Derivatives and Cost"')
def cost_at_iteration_zero() -> jax.Array:
    """Cost (iteration 0) = 0.693147.

    Computed with the listing's cost (``calculate_cost``) at the initial W = 0
    (4×1) and b = 0 of "Initializing W and b": every ŷ = σ(0) = 1/2, so
    cost = −(1/m) Σᵢ [y log ½ + (1 − y) log ½] = log 2 = 0.69314718…, whatever the
    data. X is taken as zeros (it does not enter when W = 0); y as the iris
    labels' counts, 50 Iris-Virginica (1) of 150.
    Domain: natural log.
    Source: Ngo Huy Bien, "Logistic Regression" slides, training run after
      "Calculating Derivatives and Cost", printed output.
    """
    W = jnp.zeros((4, 1), jnp.float64)
    X = jnp.zeros((4, 150), jnp.float64)
    y = jnp.concatenate([jnp.zeros(100, jnp.int32), jnp.ones(50, jnp.int32)])
    return calculate_cost(W, jnp.asarray(0.0, jnp.float64), X, y)


# --- Bien, "Cost Function (I)": which way the cost of one instance moves ------------


def _instance_cost(p_hat: jax.Array, y: int) -> jax.Array:
    """c = −log p̂ if y = 1, −log(1 − p̂) if y = 0 ("Cost Function (I)")."""
    return -jnp.log(p_hat) if y == 1 else -jnp.log(1 - p_hat)


@claim.inequality(
    inputs={"p_hat": domain.unit_interval()},
    strict=True,
    source=f'{BIEN}, "Cost Function (I)", y = 1',
)
def cost_of_a_positive_goes_up_as_p_hat_goes_to_zero(
    p_hat: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """ "y = 1, phat = 1 ⇒ cost ↓; y = 1, phat = 0 ⇒ cost ↑".

    Checked: dc/dp̂ < 0 for c = −log p̂ (autodiff): the cost falls as p̂ rises to
    1 and rises as p̂ falls to 0 (where −log p̂ → ∞).
    Domain: 0 < p̂ < 1; natural log.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cost Function (I)".
    """
    return jax.grad(_instance_cost)(p_hat, 1), jnp.zeros(())


@claim.inequality(
    inputs={"p_hat": domain.unit_interval()},
    strict=True,
    source=f'{BIEN}, "Cost Function (I)", y = 0',
)
def cost_of_a_negative_goes_up_as_p_hat_goes_to_one(
    p_hat: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """ "y = 0, phat = 0 ⇒ cost ↓; y = 0, phat = 1 ⇒ cost ↑".

    Checked: dc/dp̂ > 0 for c = −log(1 − p̂) (autodiff).
    Domain: 0 < p̂ < 1; natural log.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cost Function (I)".
    """
    return jnp.zeros(()), jax.grad(_instance_cost)(p_hat, 0)


# --- Bien, the iris listings: printed shapes, predictions and the trained model -----
#
# The data is scikit-learn's bundled iris set (no download); these claims are
# skipped where scikit-learn is not installed.


@functools.lru_cache(maxsize=1)
def _iris() -> tuple[np.ndarray, np.ndarray]:
    """X = iris["data"], y = (iris["target"] == 2) as the listing builds them."""
    from sklearn import datasets

    iris = datasets.load_iris()
    return iris["data"], (iris["target"] == 2).astype(int)


@functools.lru_cache(maxsize=1)
def _iris_model():
    """log_reg, fitted on X, y: LogisticRegression() with its defaults."""
    from sklearn.linear_model import LogisticRegression

    X, y = _iris()
    return LogisticRegression().fit(X, y)


@claim.count(stated="150", requires=("sklearn",), source=f'{BIEN}, "The Iris Dataset"')
def iris_has_150_flowers() -> int:
    """ "a famous dataset that contains the sepal and petal length and width of 150
    iris flowers".

    Checked: the rows of datasets.load_iris()["data"], counted.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Iris Dataset".
    """
    return len(_iris()[0])


@claim.count(stated="3", requires=("sklearn",), source=f'{BIEN}, "The Iris Dataset"')
def iris_has_three_species() -> int:
    """ "... of three different species: Iris-Setosa, Iris-Versicolor, and
    Iris-Virginica".

    Checked: the distinct values of datasets.load_iris()["target"].
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Iris Dataset".
    """
    from sklearn import datasets

    return len(set(datasets.load_iris()["target"].tolist()))


@claim.output(
    shape="(150, 4)",
    requires=("sklearn",),
    source=f'{BIEN}, "Preparing Training Data", X shape',
)
def iris_x_shape() -> np.ndarray:
    """print('X shape:', X.shape) -> "X shape: (150, 4)".

    Checked: X = iris["data"].
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Preparing Training Data".
    """
    return _iris()[0]


@claim.output(
    shape="(150, 4)",
    requires=("sklearn",),
    source=f'{BIEN}, "Preparing Training Data", y shape, as printed',
    expect="fail",
    why="y = (iris['target'] == 2).astype(...) has one label per flower: its shape "
    "is (150,), not (150, 4), the shape of X",
)
def iris_y_shape_as_printed() -> np.ndarray:
    """print('y shape:', y.shape) -> "y shape: (150, 4)" (printed twice).

    Checked: y = (iris["target"] == 2).astype(int).
    Why wrong: the target has one entry per flower, so y.shape is (150,); (150, 4)
      is X's shape.
    Note: the listing's ``astype(np.int)`` raises in NumPy ≥ 1.24 (np.int was
      removed); ``int`` is the same type.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Preparing Training Data".
    """
    return _iris()[1]


@claim.output(
    stated=["0", "1", "0"],
    requires=("sklearn",),
    source=f'{BIEN}, "Training A LogisticRegression Model", predictions',
)
def iris_predictions() -> np.ndarray:
    """ "Is X[3] Iris-Virginica? [0]", "Is X[145] Iris-Virginica? [1]", "Is X_new
    Iris-Virginica? [0]" for X_new = [[4.9, 3.2, 1.3, 0.2]].

    Checked: log_reg.predict on X[3], X[145] and X_new.
    Note: the slide does not show how log_reg is made; read as
      LogisticRegression() with its defaults, fitted on X, y (the three
      predictions are the same with solver="liblinear", with C=10 and with
      almost no regularization).
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Training A
      LogisticRegression Model".
    """
    X, _ = _iris()
    model = _iris_model()
    rows = [X[3].reshape(-1, 4), X[145].reshape(-1, 4), [[4.9, 3.2, 1.3, 0.2]]]
    return np.concatenate([model.predict(r) for r in rows])


@claim.output(shape="(4, 1)", source=f'{BIEN}, "Initializing W and b", W')
def initialized_w_shape() -> np.ndarray:
    """W, b = initialize(4); print('W:', W) -> "W: [[0.] [0.] [0.] [0.]]".

    Checked: initialize(4) as listed, W = np.zeros((dim, 1)): the printed nesting,
    four rows of one 0., is shape (4, 1).
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Initializing W and b".
    """
    return np.zeros((4, 1))


@claim.output(
    shape="(5, 1)",
    source=f'{BIEN}, "Calculating Derivatives and Cost", W of the training output',
    expect="fail",
    why="the training output prints W as five rows [0.] although initialize(4) "
    "gives four (one weight per iris feature)",
)
def training_output_initial_w_shape() -> np.ndarray:
    """ "W: [[0.] [0.] [0.] [0.] [0.] b: 0 Cost (iteration 0) = 0.693147 …".

    Checked: the W the listings initialize, initialize(4), against the five rows
    printed.
    Why wrong: four features, four weights: the printed W has a fifth row (and
      the trained W printed after it has four).
    Source: Ngo Huy Bien, "Logistic Regression" slides, training output after
      "Calculating Derivatives and Cost".
    """
    return np.zeros((4, 1))


@claim.bound(
    stated="0.081294",
    requires=("sklearn",),
    source=f'{BIEN}, "Calculating Derivatives and Cost", cost at iteration 4000',
    expect="fail",
    why="the printed weights and bias are all negative and every iris feature is "
    "positive, so every prediction is below 1/2 and each of the 50 Virginica costs "
    "more than ln 2: the cost is at least (50/150) ln 2 ≈ 0.231",
)
def final_cost_against_final_weights() -> tuple[float, None]:
    """ "Cost (iteration 4000) = 0.081294 W: [-3.3753802] [-3.32169488]
    [-4.96017562] [-5.53844134]] b: -2.915667794269605".

    Checked: the printed cost against the lower bound the printed W and b imply
    on the listing's data (X = iris["data"], passed as X.T): with every wᵢ < 0,
    b < 0 and every feature xᵢ > 0, z = Wᵀx + b < 0, ŷ = σ(z) < 1/2, and each
    example with y = 1 costs −log ŷ > ln 2, so J ≥ (#{y = 1}/m) ln 2.
    Why wrong: 0.081294 < 0.231: the printed cost cannot belong to the printed
      weights on this data (the training loop that produced them is not shown).
    Source: Ngo Huy Bien, "Logistic Regression" slides, training output after
      "Calculating Derivatives and Cost".
    """
    X, y = _iris()
    W = np.array([-3.3753802, -3.32169488, -4.96017562, -5.53844134])
    b = -2.915667794269605
    if not (np.all(W < 0) and b < 0 and np.all(X > 0)):
        return (0.0, None)  # the bound's premises fail: no bound
    return (float(np.mean(y)) * float(np.log(2)), None)
