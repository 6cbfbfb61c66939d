"""Cross-entropy H(p, q) between discrete distributions, and its binary case.

Gradients of H(p, q) = Σᵢ pᵢ log(1/qᵢ) with respect to q, and of the binary
cross-entropy with respect to β, as the "Cross Entropy" notes (pages CE.2–CE.3)
state them, one entry per stated step.

Then the claims about cross-entropy and KL divergence (values, identities,
inequalities, "not symmetric") from the "Cross Entropy" notes (CE.1–CE.2), Lizi
Chen's review (Sections 3.3–4.1) and the "Logistic Regression" slides
("Cross-Entropy" to "Binary Cross-Entropy"). Entropy itself is in
``derivations.entropy``.

Not checked:

- Chen, Section 3.3: H(Q‖P) = H_P(Q) = Σ q(x) log₂ 1/p(x) (Eq. 3): a definition;
  "It measures the average length of code": prose.
- Chen, Section 3.3: "D is 111 but has 40% to show up" reads Table 3
  (table_3_code_lengths); "we will be more likely to send more bits": 2.6 > 1.75,
  from the checked values.
- Chen, Section 3.3: "H(Q‖P) = 0.1 × log₂ 1/(1/2) + 0.2 × log₂ 1/(1/4) … = 2.6"
  elides two terms; the whole sum is table_3_cross_entropy.
- Chen, Section 4: D_KL(Q‖P) = Σ Q(i) log(Q(i)/P(i)) (Eq. 4) and its continuous
  form (Eq. 5, an integral over densities): definitions; "the KL-divergence
  measures the similarity of Q and P": prose.
- Chen, Section 4.1: Eq. 7 (the definition of a convex function) and Eqs. 9–10
  (0 ≤ θᵢ ≤ 1, Σ θᵢ = 1): the definition and the conditions of Eq. 8
  (jensen_inequality_for_minus_log).
- Chen, Section 4.1: "D_KL(Q‖P) = −[Q(i₁) log P(i₁)/Q(i₁) + ⋯]" writes the last
  line of Eq. 11 term by term (kl_forms_of_eq_11_agree); "treat Q(i) as θᵢ, and
  treat −log P(i)/Q(i) as f(x)" names the convex f (minus_log_is_convex).
- Chen, Section 4.1: "Q(i) in Q(i)P(i)/Q(i) cancel each other" is the first line
  of Eq. 12 (kl_lower_bound_is_minus_log_one).
- slides, Entropy: Entropy = −Σ P(i) log P(i), its continuous form −∫ P(x) log
  P(x) dx and H(P) = E_{x∼P}[−log P(x)]: definitions (the continuous one has no
  discrete sample here).
- slides, Estimating Entropy: EstimatedEntropy = E_{x∼Q}[−log Q(x)]: a
  definition; "the estimated entropy can be very wrong": prose.
- slides, Cross-Entropy: H(P, Q) = E_{x∼P}[−log Q(x)]: a definition; "comparing
  apple to apple": prose.
- slides, Cross-Entropy as a Loss Function (I): the one-hot labels ("Dog [10000]"
  …) and P₁(dog) = 1, P₁(fox) = 0 …: data.
- slides, Cross-Entropy as a Loss Function (IV): "This is higher than the zero
  entropy of the label": 0.916 > 0, from the checked value.
- slides, Cross-Entropy as a Loss Function (V): Q₁ is printed with four entries
  [0.98 0.01 0 0.01] while P₁ and the sum have five, and the sum's terms (0.98,
  0.01, 0, 0, 0.01) are in another order; the sum's terms are used
  (cross_entropy_of_a_trained_prediction). "Pᵢ(i)" is read as P₁(i).
- notes, CE.1: p = {p₁, …, pₙ}, q = {q₁, …, qₙ} with 0 ≤ pᵢ ≤ 1, Σ pᵢ = 1, and
  H(p, q) ≜ Σ pᵢ log(1/qᵢ), KL(p‖q) ≜ Σ pᵢ log(pᵢ/qᵢ): definitions.
- notes, CE.1: "The cross-entropy is derived from the KL-divergence" and "we
  recognize the entropy of p" (Σ pᵢ log(1/pᵢ) = H(p)): prose and a definition.
- notes, CE.1: "both terms are positive" is KL ≥ 0 (kl_is_nonnegative) and
  H(p) ≥ 0 (entropy_is_nonnegative_in_nats, derivations.entropy): duplicates.
- notes, CE.2: "used as a measure of 'distance' between p and q": prose.
- notes, CE.2: the first equality of min_q H(p,q) = min_q (KL(p‖q) + H(p)) is
  cross_entropy_is_kl_plus_entropy minimized on both sides (duplicate).
- notes, CE.2: ∇_q H(p,q) = [∂H/∂q₁, …, ∂H/∂q_m] defines the gradient; its sums
  run to m where the definition's run to n (the same count).
- notes, CE.2: the vector line read as intended, ∇_q H(p,q) = −[p₁/q₁, …], is
  cross_entropy_grad_q (duplicate).
- notes, CE.3: p = {α, 1−α}, q = {β, 1−β}: definitions. "we only need the
  derivative of H(p, q) with respect to β": prose.
- notes, CE.3: the first line's "−2/∂β [α log β + (1−α) log(1−β)]" is garbled
  (a "2" over ∂β is no operator); read as −∂/∂β, it is checked with the next
  line (binary_cross_entropy_grad_beta_sum_of_terms).
"""

import jax
import jax.numpy as jnp

from checks import claim, derivation, domain
from derivations.entropy import entropy, entropy_bits

_SOURCE = '"Cross Entropy" notes'


def cross_entropy(p: jax.Array, q: jax.Array) -> jax.Array:
    """H(p, q) = Σᵢ pᵢ log(1/qᵢ), the cross-entropy of q relative to p."""
    return jnp.sum(p * jnp.log(1 / q))


@derivation(
    of=cross_entropy,
    wrt="q",
    inputs={"p": domain.simplex(("k",)), "q": domain.simplex(("k",))},
    dims={"k": (2, 5)},
    source=f"{_SOURCE}, CE.2, Gradient of cross-entropy, ∂H(p,q)/∂q_e",
)
def cross_entropy_grad_q(p: jax.Array, q: jax.Array) -> jax.Array:
    """∂H(p,q)/∂q_e = −p_e/q_e.

    H(p,q) = Σᵢ pᵢ log(1/qᵢ) = −Σᵢ pᵢ log qᵢ              (log(1/x) = −log x)
    ∂/∂q_e (−Σᵢ pᵢ log qᵢ) = −p_e · 1/q_e                  (only i = e depends on q_e)
    ∇_q H(p,q) = −[p₁/q₁, …, p_m/q_m]

    Domain: p, q probability vectors with qᵢ > 0; natural log. Each q_e is
    differentiated as a free variable (the constraint Σq = 1 is not imposed).
    Note: the notes index the sum to n in the definition and to m in the gradient;
    both are the number of outcomes (here k).
    Source: Cross Entropy notes, CE.2, "Gradient of cross-entropy".
    """
    return -p / q


def reversed_cross_entropy(p: jax.Array, q: jax.Array) -> jax.Array:
    """H(q, p) = Σᵢ qᵢ log(1/pᵢ): the cross-entropy with its arguments in the order
    the notes' vector line ∇_q H(q,p) writes them."""
    return jnp.sum(q * jnp.log(1 / p))


@derivation(
    of=reversed_cross_entropy,
    wrt="q",
    inputs={"p": domain.simplex(("k",)), "q": domain.simplex(("k",))},
    dims={"k": (2, 5)},
    source=f"{_SOURCE}, CE.2, Gradient of cross-entropy, vector form ∇_q H(q,p)",
    expect="fail",
    why="H(q,p) = Σ qᵢ log(1/pᵢ) is linear in q: its gradient is −log p, not −p/q",
)
def reversed_cross_entropy_grad_q(p: jax.Array, q: jax.Array) -> jax.Array:
    """∇_q H(q,p) = −[p₁/q₁, p₂/q₂, …, p_m/q_m].

    H(q,p) = Σᵢ qᵢ log(1/pᵢ)                               (definition, q first)
    ∇_q H(q,p) = −[p₁/q₁, …, p_m/q_m]                      (as stated)

    Domain: p, q probability vectors with pᵢ, qᵢ > 0; natural log.
    Why wrong: with the arguments in the order written, H(q,p) = Σᵢ qᵢ log(1/pᵢ) is
    linear in q, so ∂H(q,p)/∂q_e = log(1/p_e) = −log p_e and ∇_q H(q,p) = −log p.
    The vector −p/q is the gradient of H(p,q) (the preceding line): the arguments
    of H are swapped.
    Source: Cross Entropy notes, CE.2, "Gradient of cross-entropy", vector form.
    """
    return -p / q


def binary_cross_entropy(alpha: jax.Array, beta: jax.Array) -> jax.Array:
    """H(p,q) = α log(1/β) + (1−α) log(1/(1−β)) for p = {α, 1−α}, q = {β, 1−β}."""
    return alpha * jnp.log(1 / beta) + (1 - alpha) * jnp.log(1 / (1 - beta))


_BCE_INPUTS = {"alpha": domain.unit_interval(), "beta": domain.unit_interval()}


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs=_BCE_INPUTS,
    source=f"{_SOURCE}, CE.3, Binary cross entropy, ∂H(p,q)/∂β, second line",
)
def binary_cross_entropy_grad_beta_sum_of_terms(
    alpha: jax.Array, beta: jax.Array
) -> jax.Array:
    """∂H(p,q)/∂β = −α/β + (1−α)/(1−β).

    H(p,q) = −[α log β + (1−α) log(1−β)]                   (log(1/x) = −log x)
    ∂H/∂β = −∂/∂β [α log β + (1−α) log(1−β)]               (linearity)
          = −α/β + (1−α)/(1−β)                 (d log x/dx = 1/x, chain rule)

    Domain: α ∈ [0, 1], 0 < β < 1; natural log.
    Note: the extracted text reads "−2/∂β [α log β + …]"; the evident reading is
    −∂/∂β [α log β + (1−α) log(1−β)].
    Source: Cross Entropy notes, CE.3, "Binary cross entropy", ∂H(p,q)/∂β.
    """
    return -alpha / beta + (1 - alpha) / (1 - beta)


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs=_BCE_INPUTS,
    source=f"{_SOURCE}, CE.3, Binary cross entropy, ∂H(p,q)/∂β, common denominator",
)
def binary_cross_entropy_grad_beta_common_denominator(
    alpha: jax.Array, beta: jax.Array
) -> jax.Array:
    """∂H(p,q)/∂β = (−α(1−β) + β(1−α)) / (β(1−β)).

    ∂H/∂β = −α/β + (1−α)/(1−β)                              (previous step)
          = (−α(1−β) + β(1−α)) / (β(1−β))                  (common denominator β(1−β))

    Domain: α ∈ [0, 1], 0 < β < 1; natural log.
    Source: Cross Entropy notes, CE.3, "Binary cross entropy", ∂H(p,q)/∂β.
    """
    return (-alpha * (1 - beta) + beta * (1 - alpha)) / (beta * (1 - beta))


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs=_BCE_INPUTS,
    source=f"{_SOURCE}, CE.3, Binary cross entropy, ∂H(p,q)/∂β, final result",
)
def binary_cross_entropy_grad_beta(alpha: jax.Array, beta: jax.Array) -> jax.Array:
    """∂H(p,q)/∂β = (β − α) / (β(1−β)).

    ∂H/∂β = (−α(1−β) + β(1−α)) / (β(1−β))                  (previous step)
          = (−α + αβ + β − αβ) / (β(1−β))                  (expand the numerator)
          = (β − α) / (β(1−β))                              (the ±αβ terms cancel)

    Domain: α ∈ [0, 1], 0 < β < 1; natural log.
    Note: the extracted cancellation line reads "(−α + β + α − β)/(β(1−β))" with
    every term struck through; the evident reading is the expansion
    −α + αβ + β − αβ with the two αβ terms cancelled, as written above.
    Source: Cross Entropy notes, CE.3, "Binary cross entropy", ∂H(p,q)/∂β.
    """
    return (beta - alpha) / (beta * (1 - beta))


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs=_BCE_INPUTS,
    source=f"{_SOURCE}, CE.3, Binary cross entropy, ∂H/∂β, cancellation as written",
    expect="fail",
    why="the expansion as extracted, (−α + β + α − β)/(β(1−β)), is 0: it lost the "
    "two αβ terms that cancel; the derivative is (β − α)/(β(1−β))",
)
def binary_cross_entropy_grad_beta_cancellation_as_written(
    alpha: jax.Array, beta: jax.Array
) -> jax.Array:
    """∂H(p,q)/∂β = (−α + β + α − β) / (β(1−β)).

    ∂H/∂β = (−α(1−β) + β(1−α)) / (β(1−β))                  (previous step)
          = (−α + β + α − β) / (β(1−β))                    (the line as extracted)

    Domain: α ∈ [0, 1], 0 < β < 1; natural log.
    Why wrong: the four terms as written add up to 0. Expanding −α(1−β) + β(1−α)
    gives −α + αβ + β − αβ: the struck-through pair is ±αβ, and −α + β stays
    (binary_cross_entropy_grad_beta, the line as intended).
    Source: Cross Entropy notes, CE.3, "Binary cross entropy", ∂H(p,q)/∂β.
    """
    return (-alpha + beta + alpha - beta) / (beta * (1 - beta))


# --- Claims: cross-entropy and KL divergence -----------------------------------------
#
# The values, identities and inequalities the documents state about H(p, q) and
# KL(p‖q). Natural log unless a document says bits; the entropy H(p) is
# ``derivations.entropy.entropy`` (nats) or ``entropy_bits``.

_CHEN = 'Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review"'
_SLIDES = 'Ngo Huy Bien, "Logistic Regression" slides'


def kl_divergence(p: jax.Array, q: jax.Array) -> jax.Array:
    """KL(p‖q) = Σᵢ pᵢ log(pᵢ/qᵢ) in nats."""
    return jnp.sum(p * jnp.log(p / q))


def cross_entropy_bits(q: jax.Array, p: jax.Array) -> jax.Array:
    """H(Q‖P) = H_P(Q) = Σₓ q(x) log₂(1/p(x)) in bits (Chen, Eq. 3): messages drawn
    from Q, encoded with code lengths log₂(1/p(x)) made for P."""
    return jnp.sum(q * jnp.log2(1 / p))


def kl_divergence_bits(q: jax.Array, p: jax.Array) -> jax.Array:
    """D_KL(Q‖P) = Σᵢ Q(i) log₂(Q(i)/P(i)) in bits."""
    return jnp.sum(q * jnp.log2(q / p))


def label_cross_entropy(P: jax.Array, Q: jax.Array) -> jax.Array:
    """H(P, Q) = −Σᵢ P(i) log Q(i), with 0 log Q(i) = 0 (also for Q(i) = 0)."""
    return -jnp.sum(jnp.where(P > 0, P * jnp.log(Q), 0.0))


def _dirichlet(key: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """Uniform on the simplex (Dirichlet(1)): two draws differ with probability 1."""
    g = jnp.maximum(jax.random.exponential(key, shape, dtype), jnp.finfo(dtype).tiny)
    return g / jnp.sum(g, axis=-1, keepdims=True)


_PQ = {"p": domain.simplex(("k",)), "q": domain.simplex(("k",))}
_QP = {"q": domain.simplex(("k",)), "p": domain.simplex(("k",))}
_DISTINCT_QP = {
    "q": domain.custom(_dirichlet, ("k",)),
    "p": domain.custom(_dirichlet, ("k",)),
}
_DISTINCT_PQ = {
    "p": domain.custom(_dirichlet, ("k",)),
    "q": domain.custom(_dirichlet, ("k",)),
}
_K = {"k": (2, 5)}


# Lizi Chen, Section 3.3: cross-entropy in bits.


@claim.value(stated="2.6", unit="bits", source=f"{_CHEN}, Section 3.3, Table 3")
def table_3_cross_entropy() -> jax.Array:
    """ "H(Q‖P) = 0.1 × log₂ 1/(1/2) + 0.2 × log₂ 1/(1/4) ... = 2.6"
    ("on average a sender has to send 2.6 bits").

    Checked: Σ q log₂(1/p) with Q = (10%, 20%, 30%, 40%) and P(X) = (1/2, 1/4,
    1/8, 1/8), the distribution of the code 0, 10, 110, 111: 0.1·1 + 0.2·2 +
    0.3·3 + 0.4·3 = 2.6 bits exactly.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.3, Table 3.
    """
    q = jnp.asarray([0.1, 0.2, 0.3, 0.4])
    p = jnp.asarray([0.5, 0.25, 0.125, 0.125])
    return cross_entropy_bits(q, p)


@claim.identity(
    inputs={"q": domain.simplex(("k",))}, dims=_K, source=f"{_CHEN}, Section 3.3"
)
def cross_entropy_equals_entropy_when_p_is_q(
    q: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """ "When P is 'perfect'; meaning when P = Q, Cross Entropy equals to Entropy."

    Checked: H(Q‖Q) = Σ q log₂(1/q) against H(Q) = −Σ q log₂ q.
    Domain: q a probability vector; bits.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.3, after Table 3.
    """
    return cross_entropy_bits(q, q), entropy_bits(q)


@claim.inequality(
    inputs=_DISTINCT_QP, dims=_K, strict=True, source=f"{_CHEN}, Section 3.3"
)
def cross_entropy_exceeds_entropy_otherwise(
    q: jax.Array, p: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "Otherwise, Cross Entropy is greater than Entropy."

    Checked: H(Q) < H(Q‖P) for P ≠ Q (two independent draws, uniform on the
    simplex).
    Domain: p ≠ q probability vectors; bits.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.3, after Table 3.
    """
    return entropy_bits(q), cross_entropy_bits(q, p)


# Lizi Chen, Section 4: KL divergence and the proof that it is nonnegative.


@claim.identity(inputs=_QP, dims=_K, source=f"{_CHEN}, Section 4, Eq. 6")
def kl_is_cross_entropy_minus_entropy_in_bits(
    q: jax.Array, p: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """D_KL(Q‖P) = H(Q‖P) − H(Q)  (Eq. 6).

    Checked: Σ Q log₂(Q/P) (Eq. 4) against Σ q log₂(1/p) − (−Σ q log₂ q) (Eqs. 3, 1).
    Domain: p, q probability vectors; bits.
    Note: Eq. 4 writes log with no base and Eqs. 1–3 are in bits; Eq. 6 holds when
    all three use the same base, taken here as bits.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 4, Eq. 6.
    """
    return kl_divergence_bits(q, p), cross_entropy_bits(q, p) - entropy_bits(q)


@claim.inequality(
    inputs=_DISTINCT_QP, dims=_K, strict=True, source=f"{_CHEN}, Section 4"
)
def kl_is_zero_only_for_equal_distributions(
    q: jax.Array, p: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "If KL_Divergence(Q‖P) = 0, the two distributions are equal."

    Checked as its contrapositive: 0 < D_KL(Q‖P) for P ≠ Q (two independent
    draws, uniform on the simplex).
    Domain: p ≠ q probability vectors; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 4.
    """
    return jnp.zeros(()), kl_divergence(q, p)


@claim.identity(inputs=_QP, dims=_K, source=f"{_CHEN}, Section 4.1, Eq. 11")
def kl_forms_of_eq_11_agree(q: jax.Array, p: jax.Array) -> tuple[jax.Array, jax.Array]:
    """D_KL(Q‖P) = Σᵢ Q(i) log(Q(i)/P(i)) = Σᵢ Q(i)[−log(P(i)/Q(i))]
    = −Σᵢ Q(i) log(P(i)/Q(i))  (Eq. 11).

    Checked: the three forms as a chain [1, 2] = [2, 3].
    Domain: p, q probability vectors; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 4.1, Eq. 11.
    """
    first = jnp.sum(q * jnp.log(q / p))
    second = jnp.sum(q * (-jnp.log(p / q)))
    third = -jnp.sum(q * jnp.log(p / q))
    return jnp.stack([first, second]), jnp.stack([second, third])


@claim.convex(wrt="x", inputs={"x": domain.positive()}, source=f"{_CHEN}, Section 4.1")
def minus_log_is_convex(x: jax.Array) -> jax.Array:
    """f(x) = −log x is a convex function (the f of Eqs. 7–8 in the proof).

    Checked: f″(x) = 1/x² ≥ 0 at every sampled x > 0.
    Domain: x > 0; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 4.1 ("treat −log(P(i)/Q(i)) as f(x)").
    """
    return -jnp.log(x)


@claim.inequality(
    inputs={"theta": domain.simplex(("n",)), "x": domain.positive(("n",))},
    dims={"n": (2, 5)},
    source=f"{_CHEN}, Section 4.1, Eqs. 8–10",
)
def jensen_inequality_for_minus_log(
    theta: jax.Array, x: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """f(θ₁x₁ + ⋯ + θₙxₙ) ≤ θ₁f(x₁) + ⋯ + θₙf(xₙ), 0 ≤ θᵢ ≤ 1, Σθᵢ = 1 (Eqs. 8–10),
    for the convex f = −log used in the proof.

    Checked: −log(Σᵢ θᵢxᵢ) ≤ Σᵢ θᵢ(−log xᵢ).
    Domain: θ a probability vector, xᵢ > 0; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 4.1, Eqs. 8–10.
    """
    return -jnp.log(jnp.sum(theta * x)), jnp.sum(theta * -jnp.log(x))


@claim.inequality(inputs=_QP, dims=_K, source=f"{_CHEN}, Section 4.1, Jensen step")
def kl_is_at_least_minus_log_of_the_mixture(
    q: jax.Array, p: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Q(i₁)[−log P(i₁)/Q(i₁)] + ⋯ + Q(iₙ)[−log P(iₙ)/Q(iₙ)]
    ≥ −log[Q(i₁)·P(i₁)/Q(i₁) + ⋯ + Q(iₙ)·P(iₙ)/Q(iₙ)].

    Checked: −log(Σᵢ qᵢ·pᵢ/qᵢ) ≤ Σᵢ qᵢ(−log(pᵢ/qᵢ)) = D_KL(Q‖P).
    Domain: p, q probability vectors; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 4.1, between Eqs. 11 and 12.
    """
    return -jnp.log(jnp.sum(q * (p / q))), jnp.sum(q * -jnp.log(p / q))


@claim.identity(inputs=_QP, dims=_K, source=f"{_CHEN}, Section 4.1, Eq. 12")
def kl_lower_bound_is_minus_log_one(
    q: jax.Array, p: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """−log[Q(i₁)·P(i₁)/Q(i₁) + ⋯] = −log[P(i₁) + ⋯ + P(iₙ)] = −log(1) = 0  (Eq. 12).

    Checked: the chain [−log Σ q·(p/q), −log Σ p, −log 1] = [−log Σ p, −log 1, 0]
    ("Q(i) in Q(i)·P(i)/Q(i) cancel each other").
    Domain: p, q probability vectors; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 4.1, Eq. 12.
    """
    chain = [
        -jnp.log(jnp.sum(q * (p / q))),
        -jnp.log(jnp.sum(p)),
        -jnp.log(jnp.ones(())),
        jnp.zeros(()),
    ]
    return jnp.stack(chain[:-1]), jnp.stack(chain[1:])


@claim.inequality(inputs=_QP, dims=_K, source=f"{_CHEN}, Section 4.1, Eq. 12")
def kl_is_nonnegative_eq_12(q: jax.Array, p: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "Proof that D_KL(Q‖P) ≥ 0 always true"  (Eq. 12).

    Checked: 0 ≤ Σᵢ Q(i) log(Q(i)/P(i)).
    Domain: p, q probability vectors; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 4.1, Eq. 12.
    """
    return jnp.zeros(()), kl_divergence(q, p)


# "Cross Entropy" notes, CE.1–CE.2.


@claim.differs(inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.1")
def cross_entropy_is_not_symmetric(
    p: jax.Array, q: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "Note that it is not symmetric: H(p, q) ≠ H(q, p)".

    Checked: a sampled (p, q) with Σ pᵢ log(1/qᵢ) ≠ Σ qᵢ log(1/pᵢ).
    Domain: p, q probability vectors; natural log.
    Source: "Cross Entropy" notes, CE.1.
    """
    return cross_entropy(p, q), cross_entropy(q, p)


@claim.inequality(inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.1")
def kl_is_nonnegative(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "KL is well-known in information theory and it is positive KL(p‖q) ≥ 0."

    Checked: 0 ≤ Σᵢ pᵢ log(pᵢ/qᵢ).
    Domain: p, q probability vectors; natural log.
    Note: "positive" is meant as ≥ 0 (KL(p‖p) = 0), as the formula says.
    Source: "Cross Entropy" notes, CE.1.
    """
    return jnp.zeros(()), kl_divergence(p, q)


@claim.differs(inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.1")
def kl_is_not_symmetric(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "It is not symmetric KL(p‖q) ≠ KL(q‖p)".

    Checked: a sampled (p, q) with KL(p‖q) ≠ KL(q‖p).
    Domain: p, q probability vectors; natural log.
    Source: "Cross Entropy" notes, CE.1.
    """
    return kl_divergence(p, q), kl_divergence(q, p)


@claim.identity(inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.1, Rewriting")
def kl_rewritten_as_two_sums(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """KL(p‖q) = Σᵢ pᵢ log(1/qᵢ) − Σᵢ pᵢ log(1/pᵢ).

    Checked: Σᵢ pᵢ log(pᵢ/qᵢ) against the two sums as written.
    Domain: p, q probability vectors; natural log.
    Source: "Cross Entropy" notes, CE.1, "Rewriting".
    """
    return kl_divergence(p, q), jnp.sum(p * jnp.log(1 / q)) - jnp.sum(
        p * jnp.log(1 / p)
    )


@claim.identity(inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.1")
def kl_is_cross_entropy_minus_entropy(
    p: jax.Array, q: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """KL(p‖q) = H(p, q) − H(p).

    Checked: Σᵢ pᵢ log(pᵢ/qᵢ) against Σᵢ pᵢ log(1/qᵢ) − Σᵢ pᵢ log(1/pᵢ).
    Domain: p, q probability vectors; natural log.
    Source: "Cross Entropy" notes, CE.1.
    """
    return kl_divergence(p, q), cross_entropy(p, q) - entropy(p)


@claim.identity(inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.1")
def cross_entropy_is_kl_plus_entropy(
    p: jax.Array, q: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """H(p, q) = KL(p‖q) + H(p).

    Checked: Σᵢ pᵢ log(1/qᵢ) against Σᵢ pᵢ log(pᵢ/qᵢ) + Σᵢ pᵢ log(1/pᵢ).
    Domain: p, q probability vectors; natural log.
    Source: "Cross Entropy" notes, CE.1.
    """
    return cross_entropy(p, q), kl_divergence(p, q) + entropy(p)


@claim.inequality(inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.1")
def cross_entropy_is_nonnegative(
    p: jax.Array, q: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """H(p, q) = KL(p‖q) + H(p) ≥ 0 "because both terms are positive".

    Checked: 0 ≤ Σᵢ pᵢ log(1/qᵢ).
    Domain: p, q probability vectors; natural log.
    Source: "Cross Entropy" notes, CE.1.
    """
    return jnp.zeros(()), cross_entropy(p, q)


@claim.identity(
    inputs={"p": domain.simplex(("k",))}, dims=_K, source=f"{_SOURCE}, CE.2"
)
def kl_is_zero_and_cross_entropy_is_entropy_when_p_is_q(
    p: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """ "when p = q, KL(p‖q) = 0 and H(p,q) = H(p)."

    Checked: [KL(p‖p), H(p, p)] = [0, H(p)].
    Domain: p a probability vector; natural log.
    Source: "Cross Entropy" notes, CE.2.
    """
    left = jnp.stack([kl_divergence(p, p), cross_entropy(p, p)])
    return left, jnp.stack([jnp.zeros(()), entropy(p)])


@claim.identity(
    inputs={"p": domain.simplex(("k",))},
    dims=_K,
    source=f"{_SOURCE}, CE.2, min_q",
    expect="fail",
    why="the minimum values differ by the constant H(p): min_q H(p,q) = H(p) and "
    "min_q KL(p‖q) = 0, both at q = p; only the minimizers coincide",
)
def min_cross_entropy_equals_min_kl(p: jax.Array) -> tuple[jax.Array, jax.Array]:
    """min_q H(p,q) = min_q (KL(p‖q) + H(p)) = min_q KL(p‖q).

    Checked: the two ends as values, each minimum taken where it is attained,
    q = p (KL(p‖q) ≥ 0 with equality at q = p): min_q H(p,q) = H(p, p) against
    min_q KL(p‖q) = KL(p‖p).
    Domain: p a probability vector; natural log.
    Why wrong: the first equality holds (H(p) does not depend on q), but the
      second drops the constant H(p): min_q (KL(p‖q) + H(p)) = 0 + H(p) = H(p),
      not 0 = min_q KL(p‖q), unless p is one-hot. What holds, and what the next
      sentence ("minimization of H(p,q) with respect to q is equivalent to KL
      minimization") means, is arg min_q H(p,q) = arg min_q KL(p‖q); see
      ``cross_entropy_and_kl_have_the_same_gradient_in_q``.
    Source: "Cross Entropy" notes, CE.2.
    """
    return cross_entropy(p, p), kl_divergence(p, p)


@claim.identity(inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.2, min_q")
def cross_entropy_and_kl_have_the_same_gradient_in_q(
    p: jax.Array, q: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "minimization of H(p,q) with respect to q is equivalent to KL minimization
    with respect to q."

    Checked: ∇_q H(p,q) = ∇_q KL(p‖q) (both −p/q, by jax.grad): H(p,q) and
    KL(p‖q) differ by H(p), a constant in q, so they have the same minimizers.
    Domain: p, q probability vectors; natural log; q differentiated as a free
    variable.
    Source: "Cross Entropy" notes, CE.2.
    """
    return jax.grad(cross_entropy, argnums=1)(p, q), jax.grad(kl_divergence, argnums=1)(
        p, q
    )


@claim.identity(
    inputs=_PQ, dims=_K, source=f"{_SOURCE}, CE.2, Gradient, log(1/q) = −log q"
)
def cross_entropy_as_minus_sum_of_p_log_q(
    p: jax.Array, q: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Σᵢ pᵢ log(1/qᵢ) = −Σᵢ pᵢ log qᵢ (the middle step of ∂H(p,q)/∂q_e).

    Checked: both sums, as written.
    Domain: p, q probability vectors; natural log.
    Source: "Cross Entropy" notes, CE.2, "Gradient of cross-entropy".
    """
    return jnp.sum(p * jnp.log(1 / q)), -jnp.sum(p * jnp.log(q))


@claim.identity(
    inputs={"alpha": domain.unit_interval(), "beta": domain.unit_interval()},
    source=f"{_SOURCE}, CE.3, Binary cross entropy, H(p, q)",
)
def binary_cross_entropy_is_the_two_outcome_case(
    alpha: jax.Array, beta: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """H(p, q) = α log(1/β) + (1−α) log(1/(1−β)) for p = {α, 1−α}, q = {β, 1−β}.

    Checked: the binary formula against Σᵢ pᵢ log(1/qᵢ) of CE.1 on the two
    outcomes.
    Domain: α ∈ [0, 1], 0 < β < 1; natural log.
    Source: "Cross Entropy" notes, CE.3, "Binary cross entropy".
    """
    p = jnp.stack([alpha, 1 - alpha])
    q = jnp.stack([beta, 1 - beta])
    return binary_cross_entropy(alpha, beta), cross_entropy(p, q)


# Ngo Huy Bien, "Logistic Regression" slides: Cross-Entropy.


@claim.inequality(inputs=_PQ, dims=_K, source=f"{_SLIDES}, Cross-Entropy ≥ Entropy")
def cross_entropy_is_at_least_entropy(
    p: jax.Array, q: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "the cross-entropy is higher than or equal to the entropy but not less than
    that".

    Checked: H(P) ≤ H(P, Q) = −Σ P(i) log Q(i).
    Domain: P (true), Q (estimate) probability vectors; natural log.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cross-Entropy ≥ Entropy".
    """
    return entropy(p), cross_entropy(p, q)


@claim.identity(
    inputs={"p": domain.simplex(("k",))},
    dims=_K,
    source=f"{_SLIDES}, Cross-Entropy ≥ Entropy",
)
def cross_entropy_is_entropy_for_a_perfect_estimate(
    p: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """ "If our estimate is perfect, Q = P and, hence, H(P, Q) = H(P)."

    Checked: H(P, P) = H(P).
    Domain: P a probability vector; natural log.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cross-Entropy ≥ Entropy".
    """
    return cross_entropy(p, p), entropy(p)


@claim.inequality(
    inputs=_DISTINCT_PQ,
    dims=_K,
    strict=True,
    source=f"{_SLIDES}, Cross-Entropy ≥ Entropy",
)
def cross_entropy_exceeds_entropy_for_an_imperfect_estimate(
    p: jax.Array, q: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "Otherwise, H(P, Q) > H(P)."

    Checked: H(P) < H(P, Q) for Q ≠ P (two independent draws, uniform on the
    simplex).
    Domain: P ≠ Q probability vectors; natural log.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cross-Entropy ≥ Entropy".
    """
    return entropy(p), cross_entropy(p, q)


@claim.value(stated="0.916", source=f"{_SLIDES}, Cross-Entropy as a Loss Function (IV)")
def cross_entropy_of_an_untrained_prediction() -> jax.Array:
    """H(P₁, Q₁) = −(1 log 0.4 + 0 log 0.3 + 0 log 0.05 + 0 log 0.05 + 0 log 0.2)
    = −log 0.4 ≈ 0.916.

    Checked: −Σ P₁(i) log Q₁(i) with P₁ = [1, 0, 0, 0, 0] (dog) and
    Q₁ = [0.4, 0.3, 0.05, 0.05, 0.2]: −ln 0.4 = 0.91629.
    Domain: natural log.
    Note: Q₁ is in a missing figure; its entries are read from the sum.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cross-Entropy as a Loss
      Function (IV)".
    """
    P1 = jnp.asarray([1.0, 0.0, 0.0, 0.0, 0.0])
    Q1 = jnp.asarray([0.4, 0.3, 0.05, 0.05, 0.2])
    return label_cross_entropy(P1, Q1)


@claim.value(stated="0.02", source=f"{_SLIDES}, Cross-Entropy as a Loss Function (V)")
def cross_entropy_of_a_trained_prediction() -> jax.Array:
    """H(P₁, Q₁) = −(1 log 0.98 + 0 log 0.01 + 0 log 0 + 0 log 0 + 0 log 0.01)
    = −log 0.98 ≈ 0.02.

    Checked: −Σ P₁(i) log Q₁(i) with P₁ = [1, 0, 0, 0, 0] and
    Q₁ = [0.98, 0.01, 0, 0, 0.01], 0 log 0 = 0: −ln 0.98 = 0.020203.
    Domain: natural log.
    Note: the extracted Q₁ reads "[0.98 0.01 0 0.01]" (four entries); the sum on
    the next lines gives the five entries used here.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cross-Entropy as a Loss
      Function (V)".
    """
    P1 = jnp.asarray([1.0, 0.0, 0.0, 0.0, 0.0])
    Q1 = jnp.asarray([0.98, 0.01, 0.0, 0.0, 0.01])
    return label_cross_entropy(P1, Q1)


@claim.identity(
    inputs={"P": domain.one_hot(("k",))},
    dims=_K,
    source=f"{_SLIDES}, Cross-Entropy as a Loss Function (V)",
)
def cross_entropy_of_a_perfect_prediction_is_zero(
    P: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """ "It becomes zero if the prediction is perfect."

    Checked: H(P, Q) = −Σ P(i) log Q(i) = 0 for Q = P one-hot.
    Domain: P one-hot; natural log; 0 log 0 = 0.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cross-Entropy as a Loss
      Function (V)".
    """
    return label_cross_entropy(P, P), jnp.zeros(())


@claim.identity(
    inputs={"P": domain.unit_interval(), "P_hat": domain.unit_interval()},
    source=f"{_SLIDES}, Binary Cross-Entropy",
)
def binary_cross_entropy_is_two_outcome_cross_entropy(
    P: jax.Array, P_hat: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """H(P,Q) = −Σ_{i=(cat,dog)} P(i) log Q(i) = −P log P̂ − (1−P) log(1−P̂),
    with P(dog) = 1 − P(cat), P = P(cat), P̂ = Q(cat).

    Checked: −Σᵢ P(i) log Q(i) over the two outcomes (P, 1 − P), (P̂, 1 − P̂)
    against BinaryCrossEntropy = −P log P̂ − (1 − P) log(1 − P̂).
    Domain: 0 < P, P̂ < 1; natural log.
    Note: the slide substitutes P(dog) = 1 − P(cat) and writes log(1 − Q(cat)) for
      log Q(dog), i.e. uses Q(dog) = 1 − Q(cat) as well.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Binary Cross-Entropy".
    """
    Pv = jnp.stack([P, 1 - P])
    Qv = jnp.stack([P_hat, 1 - P_hat])
    binary = -P * jnp.log(P_hat) - (1 - P) * jnp.log(1 - P_hat)
    return -jnp.sum(Pv * jnp.log(Qv)), binary
