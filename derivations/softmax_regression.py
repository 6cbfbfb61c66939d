"""Softmax regression: the cross-entropy cost and its gradients.

The gradient of the averaged cross-entropy through a softmax, with respect to the
logits z (δ = ∂E/∂z) and to the weight matrix Θ, as the blog post "Machine
Learning – Cross-Entropy Loss for Softmax" (2017) states them, and the per-class
gradient ∇_{θ_k} J(Θ) of the "Logistic Regression" slides (Ngo Huy Bien,
"Gradient Vector").

One call is one batch of m examples: X is m×N (row i is x⁽ⁱ⁾), y is m×K one-hot
(row i is y⁽ⁱ⁾), Θ is K×N (row k is θ_k), z⁽ⁱ⁾ = Θx⁽ⁱ⁾ and o⁽ⁱ⁾ = softmax(z⁽ⁱ⁾).
The blog writes N both for the number of examples and for the number of features;
here m counts the examples and N (size "n") the features.

Not checked:

- blog, Definitions: h(x⁽ⁱ⁾), its vector form e^{Θx⁽ⁱ⁾}/Σⱼ e^{θⱼx⁽ⁱ⁾} and
  E(θ) are definitions (the softmax and the averaged cross-entropy above).
- blog, Definitions: the shapes (x⁽ⁱ⁾ N×1, Θ K×N, θᵢ 1×N, z⁽ⁱ⁾ = Θ·x⁽ⁱ⁾ K×1)
  are definitions; they agree with each other. "log(h(x⁽ⁱ⁾)) is 1×K" writes as a
  row what h(x⁽ⁱ⁾) writes as a column: notation, no value to check.
- blog, Partial Derivatives: "∂E/∂z⁽ⁱ⁾ = ∂/∂z⁽ⁱ⁾[−(1/N) Σₙ y⁽ⁿ⁾ ∘ log(o⁽ⁿ⁾)]"
  restates the definition of E.
- blog, Partial Derivatives: the trailing "· I, where I is K×1 vector" marks the
  result as a vector; read as the vector itself (with I a vector of ones and "·"
  a dot product the gradient would sum to 0, which no step uses).
- blog, Partial Derivatives: the chain −(1/N)∂/∂z log(o_k) = −(1/N)∂/∂z(z_k −
  log Σⱼ e^{zⱼ}) = −(1/N)(I_k − ∂/∂z log Σⱼ e^{zⱼ}) is checked step by step:
  log_softmax_is_logit_minus_log_sum_exp, picked_logit_grad_z, log_sum_exp_grad_z,
  sum_exp_grad_z (derivations.softmax).
- blog, Partial Derivatives: ∂E/∂z⁽ⁱ⁾ = −(1/N)(y⁽ⁱ⁾ − o⁽ⁱ⁾) is row i of
  softmax_cross_entropy_grad_logits (duplicate).
- blog, Partial Derivatives and Summary: the 1/N counts the examples although N
  also counts the features (x⁽ⁱ⁾ is N×1); read as the number of examples, m.
- blog, Partial Derivatives and Summary: "(y − o)·x" as written multiplies a
  K-vector by an N-vector, which has no product of shape K×N; checked as
  intended, the sum over the examples of the outer products
  (softmax_cross_entropy_grad_theta).
- blog, Summary: δ = −(1/N)(y − h(x)) and ∂E/∂Θ = −(1/N)(y − h(x))·x repeat
  softmax_cross_entropy_grad_logits and softmax_cross_entropy_grad_theta.
- slides, Gradient Vector: p̂_k = σ(s(x))_k = exp(s_k(x))/Σⱼ exp(sⱼ(x)) and
  "γ_k⁽ⁱ⁾ is equal to 1 if the target class ... is k": definitions (γ read as y).
- slides, MNIST listing: X.shape (70000, 784) and y.shape (70000,) are printed
  from a download (fetch_openml), not checked here; they are the stand-in data of
  the shape entries. The listing's sort_by_target code is garbled by the
  extraction.
- slides, Training A Softmax Regression Model: the printed LogisticRegression(...)
  repr (C=10, max_iter=100, "penalty='12'" for 'l2') lists settings, no
  computed value.
- slides, Making Prediction: "array([3], dtype=int8)" and "y_test[4000]: 3" need
  the MNIST download and the fitted model.
"""

import jax
import jax.numpy as jnp
import numpy as np

from checks import claim, derivation, domain

_BLOG = '"Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017)'
_SLIDES = 'Ngo Huy Bien, "Logistic Regression" slides'


def softmax_cross_entropy(z: jax.Array, y: jax.Array) -> jax.Array:
    """E = −(1/m) Σₙ y⁽ⁿ⁾ ∘ log(o⁽ⁿ⁾), o⁽ⁿ⁾ = softmax(z⁽ⁿ⁾), for m rows of logits."""
    m = z.shape[0]
    o = jax.nn.softmax(z, axis=-1)
    return -(1 / m) * jnp.sum(y * jnp.log(o))


@derivation(
    of=softmax_cross_entropy,
    wrt="z",
    inputs={"z": domain.real(("m", "k")), "y": domain.one_hot(("m", "k"))},
    dims={"m": (1, 3), "k": (4,)},
    source=f"{_BLOG}, Partial Derivatives and Summary, δ = ∂E/∂z",
)
def softmax_cross_entropy_grad_logits(z: jax.Array, y: jax.Array) -> jax.Array:
    """δ = ∂E/∂z = −(1/m)(y − o).

    ∂E/∂z⁽ⁱ⁾ = −(1/m) ∂/∂z⁽ⁱ⁾ (y⁽ⁱ⁾ ∘ log o⁽ⁱ⁾)             (only term n = i has z⁽ⁱ⁾)
    y⁽ⁱ⁾ ∘ log o⁽ⁱ⁾ = Σⱼ yⱼ⁽ⁱ⁾ log oⱼ⁽ⁱ⁾ = log o_k⁽ⁱ⁾      (y⁽ⁱ⁾ one-hot at class k)
    log o_k⁽ⁱ⁾ = z_k⁽ⁱ⁾ − log Σⱼ e^{zⱼ⁽ⁱ⁾}                  (log of the softmax)
    ∂z_k⁽ⁱ⁾/∂z⁽ⁱ⁾ = y⁽ⁱ⁾                                      (unit vector at k)
    ∂/∂z⁽ⁱ⁾ log Σⱼ e^{zⱼ⁽ⁱ⁾} = o⁽ⁱ⁾                           (chain rule, see softmax)
    ∂E/∂z⁽ⁱ⁾ = −(1/m)(y⁽ⁱ⁾ − o⁽ⁱ⁾)
    ∂E/∂z = −(1/m)(y − o)                                   (rows i = 1…m)

    Domain: each y⁽ⁱ⁾ one-hot (Σⱼ yⱼ⁽ⁱ⁾ = 1, yⱼ⁽ⁱ⁾ ∈ {0, 1}); natural log; E averages
    over the m examples of the batch.
    Note: the blog's 1/N is the number of examples, written m here.
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
    Partial Derivatives and Summary, δ = ∂E/∂z.
    """
    m = z.shape[0]
    o = jax.nn.softmax(z, axis=-1)
    return -(1 / m) * (y - o)


def softmax_cross_entropy_of_weights(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """E(Θ) = −(1/m) Σᵢ y⁽ⁱ⁾ ∘ log h(x⁽ⁱ⁾), h(x) = e^{Θx} / Σⱼ e^{θⱼx}."""
    m = X.shape[0]
    z = jnp.einsum("kn,in->ik", theta, X)
    h = jax.nn.softmax(z, axis=-1)
    return -(1 / m) * jnp.sum(y * jnp.log(h))


_WEIGHTS_INPUTS = {
    "theta": domain.real(("k", "n"), scale=0.5),
    "X": domain.real(("m", "n"), scale=0.5),
    "y": domain.one_hot(("m", "k")),
}
# k ≠ n ≠ m so that a transpose or a swapped index shows; m = 1 and m = 3.
_WEIGHTS_DIMS = {"m": (1, 3), "k": (4,), "n": (3,)}


@derivation(
    of=softmax_cross_entropy_of_weights,
    wrt="theta",
    inputs=_WEIGHTS_INPUTS,
    dims=_WEIGHTS_DIMS,
    source=f"{_BLOG}, Partial Derivatives and Summary, ∂E/∂Θ",
)
def softmax_cross_entropy_grad_theta(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∂E/∂Θ = −(1/m)(y − o)·x.

    z⁽ⁱ⁾ = Θ·x⁽ⁱ⁾,  o⁽ⁱ⁾ = h(x⁽ⁱ⁾) = softmax(z⁽ⁱ⁾)
    ∂E/∂z⁽ⁱ⁾ = −(1/m)(y⁽ⁱ⁾ − o⁽ⁱ⁾)                           (δ, previous entry)
    ∂E/∂Θ = Σᵢ ∂E/∂z⁽ⁱ⁾ ∂z⁽ⁱ⁾/∂Θ                             (chain rule)
    ∂z_k⁽ⁱ⁾/∂Θ_kl = x_l⁽ⁱ⁾                                    (z⁽ⁱ⁾ linear in Θ)
    ∂E/∂Θ = Σᵢ −(1/m)(y⁽ⁱ⁾ − o⁽ⁱ⁾) x⁽ⁱ⁾ᵀ                        (outer product, K×N)

    Domain: Θ is K×N, x⁽ⁱ⁾ ∈ ℝᴺ, each y⁽ⁱ⁾ one-hot (Σⱼ yⱼ⁽ⁱ⁾ = 1); natural log; E
    averages over the m examples.
    Note: the blog's "(y − o)·x" is read as the K×N matrix Σᵢ (y⁽ⁱ⁾ − o⁽ⁱ⁾) x⁽ⁱ⁾ᵀ
    (the shape of Θ), summing over the examples; its 1/N is the number of
    examples, written m here.
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
    Partial Derivatives and Summary, ∂E/∂Θ.
    """
    m = X.shape[0]
    z = jnp.einsum("kn,in->ik", theta, X)
    o = jax.nn.softmax(z, axis=-1)
    return jnp.einsum("ik,in->kn", -(1 / m) * (y - o), X)


def softmax_regression_cost(theta: jax.Array, X: jax.Array, y: jax.Array) -> jax.Array:
    """J(Θ) = −(1/m) Σᵢ Σₖ y_k⁽ⁱ⁾ log p̂_k⁽ⁱ⁾, p̂_k = σ(s(x))_k, s_k(x) = θ_kᵀx."""
    m = X.shape[0]
    s = jnp.einsum("kn,in->ik", theta, X)
    p_hat = jax.nn.softmax(s, axis=-1)
    return -(1 / m) * jnp.sum(y * jnp.log(p_hat))


@derivation(
    of=softmax_regression_cost,
    wrt="theta",
    inputs=_WEIGHTS_INPUTS,
    dims=_WEIGHTS_DIMS,
    source=f"{_SLIDES}, Gradient Vector, cross entropy gradient vector for class k",
)
def softmax_regression_cost_grad_theta(
    theta: jax.Array, X: jax.Array, y: jax.Array
) -> jax.Array:
    """∇_{θ_k} J(Θ) = (1/m) Σᵢ₌₁ᵐ (p̂_k⁽ⁱ⁾ − y_k⁽ⁱ⁾) x⁽ⁱ⁾.

    J(Θ) = −(1/m) Σᵢ Σₖ y_k⁽ⁱ⁾ log p̂_k⁽ⁱ⁾                   (cross-entropy cost)
    ∂J/∂s_k⁽ⁱ⁾ = (1/m)(p̂_k⁽ⁱ⁾ − y_k⁽ⁱ⁾)             (softmax and log, Σₖ y_k⁽ⁱ⁾ = 1)
    ∂s_k⁽ⁱ⁾/∂θ_k = x⁽ⁱ⁾                                       (s_k(x) = θ_kᵀx)
    ∇_{θ_k} J(Θ) = (1/m) Σᵢ (p̂_k⁽ⁱ⁾ − y_k⁽ⁱ⁾) x⁽ⁱ⁾            (chain rule, sum over i)
    ∇_Θ J(Θ): row k is ∇_{θ_k} J(Θ), a K×N matrix             (stack the K rows)

    Domain: Θ is K×N with rows θ_k, x⁽ⁱ⁾ ∈ ℝᴺ, y_k⁽ⁱ⁾ = 1 if the target class of
    instance i is k, else 0 (Σₖ y_k⁽ⁱ⁾ = 1); natural log; J averages over m.
    Note: the slide states the gradient for one class k; it is checked here for all
    K classes at once, one row each. The slide restates neither J(Θ) nor the scores
    s_k(x); they are read as the softmax cross-entropy cost above and s_k(x) = θ_kᵀx.
    The extracted "γ_k⁽ⁱ⁾" is y_k⁽ⁱ⁾.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Gradient Vector".
    """
    m = X.shape[0]
    s = jnp.einsum("kn,in->ik", theta, X)
    p_hat = jax.nn.softmax(s, axis=-1)
    return (1 / m) * jnp.einsum("ik,in->kn", p_hat - y, X)


# === Claims ===========================================================================


@claim.identity(
    inputs={"z": domain.real(("k",)), "y": domain.one_hot(("k",))},
    dims={"k": (2, 4)},
    source=f"{_BLOG}, Partial Derivatives, y ∘ log(o) = log(o_k)",
)
def one_hot_label_picks_log_probability(
    z: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """y⁽ⁱ⁾ ∘ log(o⁽ⁱ⁾) = Σⱼ₌₁ᴷ yⱼ⁽ⁱ⁾ log(oⱼ⁽ⁱ⁾) = log(o_k⁽ⁱ⁾), where y_k⁽ⁱ⁾ = 1.

    o⁽ⁱ⁾ = softmax(z⁽ⁱ⁾); y⁽ⁱ⁾ one-hot at k, so every term j ≠ k is 0·log oⱼ.
    Left: Σⱼ yⱼ log oⱼ; right: log o_k, k the position of the 1 in y.
    Domain: y⁽ⁱ⁾ one-hot ("[0, ..., 0, 1, 0, ..., 0] form"); z⁽ⁱ⁾ ∈ ℝᴷ; natural log.
    Note: the blog's "∘" is read as the sum of the elementwise product, as its own
      next equality says.
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
      Partial Derivatives.
    """
    o = jax.nn.softmax(z)
    k = jnp.argmax(y)
    return jnp.sum(y * jnp.log(o)), jnp.log(o[k])


@claim.identity(
    inputs={"z": domain.real(("m", "k")), "y": domain.one_hot(("m", "k"))},
    dims={"m": (1, 3), "k": (4,)},
    source=f"{_BLOG}, Partial Derivatives, removing Σₙ",
)
def gradient_of_the_average_is_its_own_term(
    z: jax.Array, y: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """∂E/∂z⁽ⁱ⁾ = −(1/N) ∂/∂z⁽ⁱ⁾ (y⁽ⁱ⁾ ∘ log(o⁽ⁱ⁾)): the sum over n is dropped.

    "Here we can remove Σ_{n∈N} because z⁽ⁱ⁾ only affects y⁽ⁱ⁾ ∘ log(o⁽ⁱ⁾)".
    Left: the gradient of the whole average E with respect to every z⁽ⁱ⁾ (autodiff);
    right: −(1/m) times the gradient of example i's own term, row by row.
    Domain: m examples, each y⁽ⁱ⁾ one-hot; natural log; the blog's 1/N is the
      number of examples, written m.
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
      Partial Derivatives.
    """
    m = z.shape[0]

    def term(zi: jax.Array, yi: jax.Array) -> jax.Array:
        return jnp.sum(yi * jax.nn.log_softmax(zi))

    whole = jax.grad(softmax_cross_entropy)(z, y)
    own = -(1 / m) * jax.vmap(jax.grad(term))(z, y)
    return whole, own


def picked_logit(z: jax.Array, y: jax.Array) -> jax.Array:
    """z_k, the logit of the labelled class k (y one-hot at k): Σⱼ yⱼ zⱼ."""
    return jnp.sum(y * z)


@derivation(
    of=picked_logit,
    wrt="z",
    inputs={"z": domain.real(("k",)), "y": domain.one_hot(("k",))},
    dims={"k": (2, 4)},
    source=f"{_BLOG}, Partial Derivatives, ∂z_k/∂z = I_k = y",
)
def picked_logit_grad_z(z: jax.Array, y: jax.Array) -> jax.Array:
    """∂z_k⁽ⁱ⁾/∂z⁽ⁱ⁾ = I_k = y⁽ⁱ⁾.

    ∂z_k/∂zⱼ = 1 if j = k, else 0                  (I_k, the unit vector at k)
    I_k = y⁽ⁱ⁾                                     ("because y_k⁽ⁱ⁾ = 1", one-hot)

    Domain: z ∈ ℝᴷ, y one-hot at k.
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
    Partial Derivatives, "where I_k = y⁽ⁱ⁾ because y_k⁽ⁱ⁾ = 1".
    """
    return y


def logits(theta: jax.Array, x: jax.Array) -> jax.Array:
    """z = Θ·x, K logits of one example x ∈ ℝᴺ."""
    return theta @ x


@derivation(
    of=logits,
    wrt="theta",
    inputs={"theta": domain.real(("k", "n")), "x": domain.real(("n",))},
    dims={"k": (4,), "n": (3,)},
    source=f"{_BLOG}, Partial Derivatives, ∂(Θ·x)/∂Θ = x",
)
def logits_grad_theta(theta: jax.Array, x: jax.Array) -> jax.Array:
    """∂/∂Θ (Θ·x) = x, read as ∂z_k/∂Θ_lj = δ_kl x_j.

    z_k = Σⱼ Θ_kj xⱼ                       (row k of Θ·x)
    ∂z_k/∂Θ_lj = δ_kl xⱼ                    (only row l = k holds z_k's weights)

    Domain: Θ ∈ ℝ^{K×N}, x ∈ ℝᴺ. Layout [k, l, j].
    Note: the blog's "= x" is shorthand: the derivative of the K-vector Θ·x with
    respect to the K×N matrix Θ is a K×K×N array, whose row-k block is x in row k;
    as written ("x", an N-vector) it has the wrong shape to be checked.
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
    Partial Derivatives, ∂E/∂Θ.
    """
    k = theta.shape[0]
    return jnp.eye(k, dtype=x.dtype)[:, :, None] * x[None, None, :]


# --- Slides, the MNIST listings: printed shapes ---------------------------------------
#
# MNIST needs a download (fetch_openml), so the data is a stand-in of the printed
# shapes, X.shape (70000, 784) and y.shape (70000,) (a broadcast zero: no memory);
# the shapes the listings print next follow from those by the code shown.


def _mnist_stand_in() -> tuple[np.ndarray, np.ndarray]:
    """Arrays of the printed shapes X.shape = (70000, 784), y.shape = (70000,)."""
    return np.broadcast_to(np.float64(0), (70000, 784)), np.zeros(70000, np.int8)


# The listing's shuffle_index = np.random.permutation(60000), drawn once with a
# fixed seed: a constant, so what the claims compute is read from their code.
_SHUFFLE_INDEX = np.random.default_rng(0).permutation(60000)


def _mnist_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X_train, X_test, y_train, y_test = X[:60000], X[60000:], y[:60000],
    y[60000:], then y_train = y_train[shuffle_index] (X_train is shuffled the same
    way; shuffling keeps its shape)."""
    X, y = _mnist_stand_in()
    X_train, X_test, y_train, y_test = X[:60000], X[60000:], y[:60000], y[60000:]
    return X_train, X_test, y_train[_SHUFFLE_INDEX], y_test


_MNIST_WRONG = (
    "y holds one label per image, shape (70000,): y_train and y_test have shapes "
    "(60000,) and (10000,); (…, 784) is the shape of the images"
)


@claim.output(
    shape="(60000, 784)",
    source=f"{_SLIDES}, Preparing Training Data, X_train.shape line as printed",
    expect="fail",
    why="the line is printed by print('X_train.shape:', y_train.shape), and "
    "y_train.shape is (60000,)",
)
def mnist_x_train_line_as_printed() -> np.ndarray:
    """print('X_train.shape:', y_train.shape) -> "X_train.shape: (60000, 784)".

    Checked: y_train.shape, what the statement prints.
    Why wrong: the statement prints y_train's shape under X_train's label; y_train
      has one label per image, (60000,). X_train itself is (60000, 784)
      (mnist_x_train_shape).
    Source: Ngo Huy Bien, "Logistic Regression" slides, MNIST "Preparing Training
      Data".
    """
    return _mnist_split()[2]


@claim.output(shape="(60000, 784)", source=f"{_SLIDES}, Preparing Training Data")
def mnist_x_train_shape() -> np.ndarray:
    """X_train = X[:60000]: "X_train.shape: (60000, 784)" as intended.

    Checked: X[:60000] of X, shape (70000, 784).
    Source: Ngo Huy Bien, "Logistic Regression" slides, MNIST "Preparing Training
      Data".
    """
    return _mnist_split()[0]


@claim.output(
    shape="(60000, 784)",
    source=f"{_SLIDES}, Preparing Training Data, y_train.shape as printed",
    expect="fail",
    why=_MNIST_WRONG,
)
def mnist_y_train_shape_as_printed() -> np.ndarray:
    """ "y_train.shape: (60000, 784)".

    Checked: y_train = y[:60000][shuffle_index].
    Why wrong: y has one label per image: y_train is (60000,).
    Source: Ngo Huy Bien, "Logistic Regression" slides, MNIST "Preparing Training
      Data".
    """
    return _mnist_split()[2]


@claim.output(
    shape="(10000, 784)",
    source=f"{_SLIDES}, Preparing Training Data, y_test.shape as printed",
    expect="fail",
    why=_MNIST_WRONG,
)
def mnist_y_test_shape_as_printed() -> np.ndarray:
    """print('Y_test.shape:', y_test.shape) -> "y_test.shape: (10000, 784)"
    (printed three times).

    Checked: y_test = y[60000:].
    Why wrong: y has one label per image: y_test is (10000,).
    Source: Ngo Huy Bien, "Logistic Regression" slides, MNIST "Preparing Training
      Data".
    """
    return _mnist_split()[3]


@claim.output(shape="(60000, 784)", source=f"{_SLIDES}, X_train_scaled.shape")
def mnist_x_train_scaled_shape() -> np.ndarray:
    """X_train_scaled = scaler.fit_transform(X_train) -> "(60000, 784)".

    Checked: X_train's shape (StandardScaler.fit_transform returns an array of its
    input's shape).
    Source: Ngo Huy Bien, "Logistic Regression" slides, MNIST, StandardScaler.
    """
    return _mnist_split()[0]


@claim.output(
    shape="(100000, 784)",
    source=f"{_SLIDES}, X_test_scaled.shape as printed",
    expect="fail",
    why="X_test = X[60000:] has the last 10,000 images: X_test_scaled is "
    "(10000, 784), not (100000, 784)",
)
def mnist_x_test_scaled_shape_as_printed() -> np.ndarray:
    """X_test_scaled = scaler.fit_transform(X_test) -> "(100000, 784)".

    Checked: X_test's shape (fit_transform keeps it), X[60000:] of 70,000 images.
    Why wrong: 70,000 − 60,000 = 10,000 test images (the slide says "the last
      10,000 images" itself); the printed 100000 has an extra 0.
    Source: Ngo Huy Bien, "Logistic Regression" slides, MNIST, StandardScaler.
    """
    return _mnist_split()[1]
