"""The softmax function: its Jacobian, and the gradients of Σ e^z and log Σ e^z.

The Jacobian DS of S(a) = softmax(a) in the three forms the "Logistic Regression"
slides (Ngo Huy Bien, "The Jacobian of softmax" II–IV) state it, and the two steps of
the blog post "Machine Learning – Cross-Entropy Loss for Softmax" (2017) that
differentiate Σⱼ e^{zⱼ} and log Σⱼ e^{zⱼ}. The Jacobian layout is
DS[i, j] = DⱼSᵢ = ∂Sᵢ/∂aⱼ (row i: output, column j: input), as the slides write it.

Not checked:

- slides, The softmax Function: S(a): ℝᴺ → ℝᴺ and Sⱼ = e^{aⱼ}/Σₖ e^{aₖ}:
  definitions; the listing ``softmax(a)`` computes the function only (its printed
  outputs are checked). "It man…" is cut off.
- slides, The Jacobian of softmax (I): "What we're looking for is the S₂/∂aⱼ =
  DⱼSᵢ" is garbled (S₂ for ∂Sᵢ); read as ∂Sᵢ/∂aⱼ = DⱼSᵢ, the layout every entry
  here uses. The rest of (I) is prose.
- slides, The Jacobian of softmax (II): the matrix DS = [DⱼSᵢ] and DⱼSᵢ =
  ∂Sᵢ/∂aⱼ: definitions.
- slides, The Jacobian of softmax (III): the i = j middle line
  (e^{aᵢ}/Σ)((Σ − e^{aⱼ})/Σ) is the factoring step of softmax_jacobian_by_cases;
  the i ≠ j middle line ("−e^{aⱼ}/Σ Σ_{Σ e^{aᵢ}}") is garbled beyond reading, and
  its denominator "Σ_{k=1}^{e^{aᵢ}}" is read as Σ² (softmax_jacobian_quotient_rule).
- slides, The Jacobian of softmax (IV): δᵢⱼ = 1 if i = j, else 0: a definition.
- slides, Why So Complicated Proof?: prose.
- blog, Partial Derivatives: "so [1/Σⱼ e^{zⱼ}] ∂/∂z Σⱼ e^{zⱼ} · I = o" writes the
  vector as [e^{θ₁x⁽ⁱ⁾}, …]: read as [e^{z₁}, …] (log_sum_exp_grad_z).
"""

import jax
import jax.numpy as jnp

from checks import claim, derivation, domain

_SLIDES = 'Ngo Huy Bien, "Logistic Regression" slides'
_BLOG = '"Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017)'


def softmax(a: jax.Array) -> jax.Array:
    """S(a)ⱼ = e^{aⱼ} / Σₖ e^{aₖ}, a vector in ℝᴺ mapped to ℝᴺ."""
    return jax.nn.softmax(a)


_SOFTMAX_INPUTS = {"a": domain.real(("n",))}
_SOFTMAX_DIMS = {"n": (2, 5)}


@derivation(
    of=softmax,
    wrt="a",
    inputs=_SOFTMAX_INPUTS,
    dims=_SOFTMAX_DIMS,
    source=f"{_SLIDES}, The Jacobian of softmax (III), quotient rule",
)
def softmax_jacobian_quotient_rule(a: jax.Array) -> jax.Array:
    """∂Sᵢ/∂aⱼ = (e^{aᵢ}Σ − e^{aⱼ}e^{aᵢ})/Σ² if i = j, (0 − e^{aⱼ}e^{aᵢ})/Σ² if i ≠ j.

    Sᵢ = g/h with g = e^{aᵢ}, h = Σ = Σₖ e^{aₖ}
    ∂Sᵢ/∂aⱼ = (∂g/∂aⱼ · h − ∂h/∂aⱼ · g) / h²                (quotient rule)
    ∂h/∂aⱼ = e^{aⱼ}                                         (only k = j depends on aⱼ)
    ∂g/∂aⱼ = e^{aᵢ} if i = j, 0 if i ≠ j
    i = j:  ∂Sᵢ/∂aⱼ = (e^{aᵢ}Σ − e^{aⱼ}e^{aᵢ}) / Σ²
    i ≠ j:  ∂Sᵢ/∂aⱼ = (0 − e^{aⱼ}e^{aᵢ}) / Σ²

    Domain: a ∈ ℝᴺ; Σ = Σₖ₌₁ᴺ e^{aₖ}. Layout DS[i, j] = ∂Sᵢ/∂aⱼ.
    Note: the extracted quotient rule reads "f′(x) = (g′(x)h(x) − h′(x)g(x)) /
    (f(x) + 1/2)"; the evident reading is the denominator [h(x)]². In the i ≠ j
    case the denominator is extracted as "Σ_{k=1}^{e^{a_i}}"; the evident reading
    is Σ², as in the i = j case.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Jacobian of softmax"
    (II) for the quotient rule and (III) for the two cases.
    """
    e = jnp.exp(a)
    total = jnp.sum(e)
    same = (e * total - e * e) / total**2
    different = (0 - jnp.outer(e, e)) / total**2
    i_equals_j = jnp.eye(a.shape[0], dtype=bool)
    return jnp.where(i_equals_j, jnp.diag(same), different)


@derivation(
    of=softmax,
    wrt="a",
    inputs=_SOFTMAX_INPUTS,
    dims=_SOFTMAX_DIMS,
    source=f"{_SLIDES}, The Jacobian of softmax (III–IV), by cases",
)
def softmax_jacobian_by_cases(a: jax.Array) -> jax.Array:
    """DⱼSᵢ = Sᵢ(1 − Sⱼ) if i = j, −SⱼSᵢ if i ≠ j.

    i = j:  (e^{aᵢ}Σ − e^{aⱼ}e^{aᵢ})/Σ² = (e^{aᵢ}/Σ)·((Σ − e^{aⱼ})/Σ)   (factor)
                                        = Sᵢ(1 − Sⱼ)              (Sᵢ = e^{aᵢ}/Σ)
    i ≠ j:  (0 − e^{aⱼ}e^{aᵢ})/Σ² = −(e^{aⱼ}/Σ)(e^{aᵢ}/Σ)           (factor)
                                  = −SⱼSᵢ

    Domain: a ∈ ℝᴺ; Σ = Σₖ₌₁ᴺ e^{aₖ}. Layout DS[i, j] = DⱼSᵢ = ∂Sᵢ/∂aⱼ.
    Note: the extracted i ≠ j derivation ends in "= −SᵢSᵢ" and garbles its middle
    line; the evident reading is −(e^{aⱼ}/Σ)(e^{aᵢ}/Σ) = −SⱼSᵢ, which is what the
    case statement beside it and slide (IV) state.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Jacobian of softmax"
    (III) and (IV), DⱼSᵢ by cases.
    """
    S = jax.nn.softmax(a)
    i_equals_j = jnp.eye(a.shape[0], dtype=bool)
    same = S * (1 - S)
    different = -jnp.outer(S, S)
    return jnp.where(i_equals_j, jnp.diag(same), different)


@derivation(
    of=softmax,
    wrt="a",
    inputs=_SOFTMAX_INPUTS,
    dims=_SOFTMAX_DIMS,
    source=f"{_SLIDES}, The Jacobian of softmax (IV), Kronecker delta",
)
def softmax_jacobian(a: jax.Array) -> jax.Array:
    """DⱼSᵢ = Sᵢ(δᵢⱼ − Sⱼ).

    DⱼSᵢ = Sᵢ(1 − Sⱼ) if i = j, −SⱼSᵢ if i ≠ j              (previous step)
    δᵢⱼ = 1 if i = j, 0 if i ≠ j                            (Kronecker delta)
    DⱼSᵢ = Sᵢ(δᵢⱼ − Sⱼ)                                     (both cases in one)
    DS = diag(S) − S Sᵀ                                     (matrix form)

    Domain: a ∈ ℝᴺ. Layout DS[i, j] = DⱼSᵢ = ∂Sᵢ/∂aⱼ.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Jacobian of softmax"
    (IV), "Using the Kronecker delta".
    """
    S = jax.nn.softmax(a)
    delta = jnp.eye(a.shape[0], dtype=S.dtype)
    return S[:, None] * (delta - S[None, :])


@derivation(
    of=softmax,
    wrt="a",
    inputs=_SOFTMAX_INPUTS,
    dims={"n": (10,)},
    source=f"{_SLIDES}, The Jacobian of softmax (II), quotient rule as written",
    expect="fail",
    why="the quotient rule's denominator is h(x)², not f(x) + 1/2: with "
    "f = Sᵢ, g = e^{aᵢ}, h = Σ the entries come out Σ²/(Sᵢ + 1/2) times too large",
)
def softmax_jacobian_quotient_rule_as_written(a: jax.Array) -> jax.Array:
    """DⱼSᵢ = (g′h − h′g)/(f + 1/2) with f = Sᵢ = g/h, g = e^{aᵢ}, h = Σ, N = 10.

    "Calculate DS with N = 10 using f′(x) = (g′(x)h(x) − h′(x)g(x)) / (f(x) + 1/2)"
    g′ = ∂e^{aᵢ}/∂aⱼ = δᵢⱼ e^{aᵢ},  h′ = ∂Σ/∂aⱼ = e^{aⱼ}
    DⱼSᵢ = (δᵢⱼ e^{aᵢ} Σ − e^{aⱼ} e^{aᵢ}) / (Sᵢ + 1/2)       (as written)

    Domain: a ∈ ℝᴺ, N = 10 as the slide asks. Layout DS[i, j] = DⱼSᵢ.
    Why wrong: the quotient rule divides by h(x)² = Σ²; the extracted "f(x) + 1/2"
      is no denominator of it, and the result is off by the factor
      Σ²/(Sᵢ + 1/2). Read as [h(x)]², it is softmax_jacobian_quotient_rule.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Jacobian of softmax"
      (II), "Calculate DS with N = 10".
    """
    e = jnp.exp(a)
    total = jnp.sum(e)
    S = e / total
    numerator = jnp.diag(e * total) - jnp.outer(e, e)
    return numerator / (S[:, None] + 1 / 2)


@derivation(
    of=softmax,
    wrt="a",
    inputs=_SOFTMAX_INPUTS,
    dims=_SOFTMAX_DIMS,
    source=f"{_SLIDES}, The Jacobian of softmax (III), i ≠ j as written (−SᵢSᵢ)",
    expect="fail",
    why="the i ≠ j case ends in −SᵢSᵢ = −Sᵢ², where the quotient rule gives "
    "−(e^{aⱼ}/Σ)(e^{aᵢ}/Σ) = −SⱼSᵢ (the case statement beside it)",
)
def softmax_jacobian_off_diagonal_as_written(a: jax.Array) -> jax.Array:
    """DⱼSᵢ = Sᵢ(1 − Sⱼ) if i = j, −SᵢSᵢ if i ≠ j (the derivation's last line).

    i ≠ j:  (0 − e^{aⱼ}e^{aᵢ})/Σ² = … = −SᵢSᵢ                (as extracted)

    Domain: a ∈ ℝᴺ. Layout DS[i, j] = DⱼSᵢ.
    Why wrong: the index of one factor is wrong: (0 − e^{aⱼ}e^{aᵢ})/Σ² =
      −(e^{aⱼ}/Σ)(e^{aᵢ}/Σ) = −SⱼSᵢ, which the case statement on the same slide
      and slide (IV) write (softmax_jacobian_by_cases). −Sᵢ² differs unless
      Sᵢ = Sⱼ.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Jacobian of softmax"
      (III), the i ≠ j derivation.
    """
    S = jax.nn.softmax(a)
    i_equals_j = jnp.eye(a.shape[0], dtype=bool)
    same = S * (1 - S)
    different = -(S * S)[:, None] * jnp.ones_like(S)[None, :]
    return jnp.where(i_equals_j, jnp.diag(same), different)


def sum_exp(z: jax.Array) -> jax.Array:
    """Σⱼ e^{zⱼ}, the softmax's normalizer."""
    return jnp.sum(jnp.exp(z))


_LOGITS_INPUTS = {"z": domain.real(("k",))}
_LOGITS_DIMS = {"k": (2, 4)}


@derivation(
    of=sum_exp,
    wrt="z",
    inputs=_LOGITS_INPUTS,
    dims=_LOGITS_DIMS,
    source=f"{_BLOG}, Partial Derivatives, ∂/∂z_k Σⱼ e^(zⱼ)",
)
def sum_exp_grad_z(z: jax.Array) -> jax.Array:
    """∂/∂z_k Σⱼ₌₁ᴷ e^{zⱼ} = e^{z_k}.

    ∂/∂z_k Σⱼ e^{zⱼ} = Σⱼ ∂e^{zⱼ}/∂z_k                      (linearity)
                     = e^{z_k}                              (d eˣ/dx = eˣ; only j = k)

    Domain: z ∈ ℝᴷ (one example's logits z⁽ⁱ⁾ = Θx⁽ⁱ⁾).
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
    Partial Derivatives, "Let's consider every element for the vector form".
    """
    return jnp.exp(z)


def log_sum_exp(z: jax.Array) -> jax.Array:
    """log Σⱼ e^{zⱼ}, written as the blog writes it (no max shift)."""
    return jnp.log(jnp.sum(jnp.exp(z)))


@derivation(
    of=log_sum_exp,
    wrt="z",
    inputs=_LOGITS_INPUTS,
    dims=_LOGITS_DIMS,
    source=f"{_BLOG}, Partial Derivatives, ∂/∂z log Σⱼ e^(zⱼ) = o",
)
def log_sum_exp_grad_z(z: jax.Array) -> jax.Array:
    """1/Σⱼ e^{zⱼ} · ∂/∂z Σⱼ e^{zⱼ} = o.

    ∂/∂z log Σⱼ e^{zⱼ} = 1/Σⱼ e^{zⱼ} · ∂/∂z Σⱼ e^{zⱼ}   (chain rule, d log x/dx = 1/x)
    ∂/∂z_k Σⱼ e^{zⱼ} = e^{z_k}                              (previous entry)
    ∂/∂z log Σⱼ e^{zⱼ} = [e^{z₁}, …, e^{z_K}] / Σⱼ e^{zⱼ} = o   (softmax of z)

    Domain: z ∈ ℝᴷ; natural log.
    Note: the blog writes the vector as [e^{θ₁x⁽ⁱ⁾}, …, e^{θ_k x⁽ⁱ⁾}], which is
    [e^{z₁}, …, e^{z_K}] since z⁽ⁱ⁾ = Θx⁽ⁱ⁾; the trailing "· I" (a K×1 vector of
    ones in the blog) is dropped, the result being the vector o itself.
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
    Partial Derivatives.
    """
    e = jnp.exp(z)
    return e / jnp.sum(e)


# === Claims: the listing's printed outputs and the function's stated properties =======


def softmax_as_listed(a: jax.Array) -> jax.Array:
    """exps = np.exp(a); return exps / np.sum(exps) (the slides' listing)."""
    exps = jnp.exp(a)
    return exps / jnp.sum(exps)


@claim.value(
    stated=["0.09003057", "0.24472847", "0.66524096"],
    source=f"{_SLIDES}, The softmax Function, softmax([1, 2, 3])",
)
def softmax_of_one_two_three() -> jax.Array:
    """softmax([1, 2, 3]) = [0.09003057 0.24472847 0.66524096].

    Computed with the listing's formula in float64 (np.exp turns the integer array
    into float64): e^{(1, 2, 3)}/(e + e² + e³) = (0.0900305732, 0.2447284711,
    0.6652409558); NumPy prints 8 digits, rounded.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The softmax Function",
      printed output.
    """
    return softmax_as_listed(jnp.asarray([1.0, 2.0, 3.0], jnp.float64))


@claim.value(
    stated=["0.21194156", "0.21194156", "0.57611688"],
    source=f"{_SLIDES}, The softmax Function, softmax(2, 2, 3)",
)
def softmax_of_two_two_three() -> jax.Array:
    """softmax(2, 2, 3) = [0.21194156 0.21194156 0.57611688].

    Computed with the listing's formula in float64 on a_2 = np.array([2, 2, 3]):
    e^{(2, 2, 3)}/(2e² + e³) = (0.2119415576, 0.2119415576, 0.5761168848).
    Note: the printed label "softmax(2, 2, 3)" is the listing's own text; the
      argument is the array [2, 2, 3].
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The softmax Function",
      printed output.
    """
    return softmax_as_listed(jnp.asarray([2.0, 2.0, 3.0], jnp.float64))


@claim.inequality(
    inputs=_SOFTMAX_INPUTS,
    dims=_SOFTMAX_DIMS,
    strict=True,
    source=f"{_SLIDES}, The softmax Function, values in (0, 1)",
)
def softmax_is_positive(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """softmax "produces another N-dimensional vector with real values in the range
    (0, 1)": 0 < Sⱼ.

    Sⱼ = e^{aⱼ}/Σₖ e^{aₖ} > 0, as every e^{aₖ} > 0.
    Domain: a ∈ ℝᴺ, N ≥ 2.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The softmax Function".
    """
    S = softmax(a)
    return jnp.zeros_like(S), S


@claim.inequality(
    inputs={"a": domain.real(("n",), scale=0.5)},
    dims=_SOFTMAX_DIMS,
    strict=True,
    source=f"{_SLIDES}, The softmax Function, values in (0, 1)",
)
def softmax_is_below_one(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """softmax "produces another N-dimensional vector with real values in the range
    (0, 1)": Sⱼ < 1.

    Sⱼ = e^{aⱼ}/(e^{aⱼ} + Σ_{k≠j} e^{aₖ}) < 1, as the other terms are > 0.
    Domain: a ∈ ℝᴺ, N ≥ 2 (for N = 1, S = (1)). Sampled with scale 0.5, so that
      the spread of the logits stays below 30: beyond about 37 the largest Sⱼ rounds
      to exactly 1.0 in float64, and a strict inequality is checked on the rounded
      values.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The softmax Function".
    """
    S = softmax(a)
    return S, jnp.ones_like(S)


@claim.identity(
    inputs=_SOFTMAX_INPUTS,
    dims=_SOFTMAX_DIMS,
    source=f"{_SLIDES}, The softmax Function, add up to 1.0",
)
def softmax_sums_to_one(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """softmax produces values "that add up to 1.0": Σⱼ Sⱼ = 1.

    Σⱼ e^{aⱼ}/Σₖ e^{aₖ} = 1.
    Domain: a ∈ ℝᴺ.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The softmax Function".
    """
    return jnp.sum(softmax(a)), jnp.ones((), a.dtype)


@claim.identity(
    inputs=_LOGITS_INPUTS,
    dims=_LOGITS_DIMS,
    source=f"{_BLOG}, Partial Derivatives, log of the softmax",
)
def log_softmax_is_logit_minus_log_sum_exp(
    z: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """log(e^{z_k}/Σⱼ e^{zⱼ}) = z_k − log(Σⱼ e^{zⱼ}).

    log(x/y) = log x − log y, log e^{z_k} = z_k; checked for every k at once.
    Domain: z ∈ ℝᴷ; natural log.
    Source: "Machine Learning – Cross-Entropy Loss for Softmax" (blog, 2017),
      Partial Derivatives, second and third lines of ∂E/∂z⁽ⁱ⁾.
    """
    e = jnp.exp(z)
    return jnp.log(e / jnp.sum(e)), z - jnp.log(jnp.sum(e))
