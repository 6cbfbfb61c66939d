"""Information in bits, entropy, code lengths, conditional entropy and Gini impurity.

The worked values, identities and inequalities about entropy that the documents
state: Lizi Chen's bits and coding examples (Sections 1–3), conditional entropy
(Section 8), Gini impurity and its Taylor link to entropy (Section 9, Listing 2);
the "Cross Entropy" notes' "the entropy is always ≥ 0" (CE.1); and the "Logistic
Regression" slides' weather encodings, 8-message example and one-hot labels.
Cross-entropy and KL divergence are in ``derivations.cross_entropy``.

Bits (log₂) where a document says bits; natural log otherwise. Terms with pᵢ = 0
count as 0 (0 log 0 = 0), as the documents use them for one-hot labels.

Not checked:

- Chen, Section 1: S = κ ln Ω (κ Boltzmann's constant, Ω the number of
  micro-states): a definition.
- Chen, Section 1: "To transmit one bit ... means to reduce the recipient's
  uncertainty by a factor of 2" and its A/B example: the N = 2 case of log₂N
  (bits_for_two_equally_likely_options).
- Chen, Section 1.1: "N is uncertainty reduction factor, the number of possible
  options": a definition.
- Chen, Section 2: E = P_A × b_A + P_B × b_B and H(p) = −Σ pᵢ log₂ pᵢ (Eq. 1):
  definitions; "the expected amount of bits of information": prose.
- Chen, Section 2: "Summarize 'Lecture Notes on Information Theory' [9] todo": no
  content.
- Chen, Section 3: "Cross-Entropy is the average weighted length of a message": a
  definition (Eq. 3).
- Chen, Section 3: "1.75 bits, better than the previous 2 bits": 1.75 < 2 follows
  from the two checked values (table_1_average_code_length,
  table_2_average_code_length).
- Chen, Section 3.1: "the code for A is 0, and thereafter the rest codes cannot
  start with 0": the prefix-code rule, a definition; "Such coding is wrong" is
  shown by the listed readings (listed_readings_of_0101).
- Chen, Section 3.1: "When we choose 1 for the second bit, 1/4 encoding space will
  no longer be use-able" refers to Figure 1, missing from the text ("Figure ???").
- Chen, Section 3.2: "use code that is as short as possible, use as many encoding
  space as possible" and "assign encoding space loss to a message according to its
  probability": prose; the rule they lead to, 1/2^𝓛 = P, is
  optimal_code_length_uses_its_encoding_space.
- Chen, Section 3.2: "H(P); the entropy, means the average length code using
  optimal encoding" restates Eq. 2 (entropy_is_the_average_optimal_code_length).
- Chen, Sections 6–7: "Jensen-Shannon Divergence" and "Joint Entropy" are
  headings with no text.
- Chen, Section 8: H(Y|X) = Σ p(x) H(Y|X=x) is the definition the other three
  lines of Eq. 26 are checked against (conditional_entropy_forms_agree).
- Chen, Section 9: "(A, B, B, C, D, D), randomly select a data and guess what it
  is" states no number; "Both Entropy and Gini Impurity formulas are weighted sum
  over a probability distribution": prose; "add Taylor series": a note.
- Chen, Section 9: H(p) = −Σ pᵢ log₂ pᵢ restates Eq. 1 (a definition).
- slides, Who Invented Entropy and Why?: Shannon, 1948: history.
- slides, Efficient Encoding Example (I)–(III): "the 1-bit encoding won't be able
  to cover all cases" (Fine, Not fine, Cloudy, Rainy): no number stated; one bit
  gives 2 code words.
- slides, Are We Done?, The Smallest Average Encoding Size: questions, prose.
- slides, Smaller Average Encoding Size: "Can we reduce the average encoding
  size": 1.8 < 2.7, from the checked values.
- slides, The Minimum Number Of Bits (II): "if a message type happens 1 out of N
  times, the formula # Bits = log₂N gives the minimum size" repeats the N values
  statement (n_values_need_log2_n_bits) for P = 1/N.
- slides, The Minimum Average Number Of Bits: the formula is in a missing figure.
- slides, Terminologies: the analogies (disorder, uncertainty, surprise) are
  prose; the 87.5% is checked.
"""

import jax
import jax.numpy as jnp

from checks import claim, domain

_CHEN = 'Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review"'
_NOTES = '"Cross Entropy" notes'
_SLIDES = 'Ngo Huy Bien, "Logistic Regression" slides'


def entropy(p: jax.Array) -> jax.Array:
    """H(p) = Σᵢ pᵢ log(1/pᵢ) = −Σᵢ pᵢ log pᵢ in nats, with 0 log 0 = 0."""
    return jnp.sum(jnp.where(p > 0, p * jnp.log(1 / p), 0.0))


def entropy_bits(p: jax.Array) -> jax.Array:
    """H(p) = −Σᵢ pᵢ log₂ pᵢ in bits (Chen, Eq. 1), with 0 log 0 = 0."""
    return -jnp.sum(jnp.where(p > 0, p * jnp.log2(p), 0.0))


def average_code_length(probability: jax.Array, length: jax.Array) -> jax.Array:
    """Σₓ P(x)·𝓛(x): the expected number of bits per message."""
    return jnp.sum(probability * length)


# --- Bits of information (Chen, Section 1) -------------------------------------------


@claim.value(stated="1", unit="bits", source=f"{_CHEN}, Section 1.1")
def bits_for_two_equally_likely_options() -> jax.Array:
    """ "When N = 2 ... transmitting log₂ N = log₂ 2 = 1 bit is good enough."

    Checked: log₂ 2.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 1.1.
    """
    return jnp.log2(2.0)


@claim.value(stated="3", unit="bits", source=f"{_CHEN}, Section 1.1")
def bits_for_eight_equally_likely_options() -> jax.Array:
    """ "When N = 8, effective bit of data transmission requires log₂ 8 = 3 bits."

    Checked: log₂ 8.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 1.1.
    """
    return jnp.log2(8.0)


@claim.value(stated="4", source=f"{_CHEN}, Section 1.2")
def uncertainty_reduction_factor_of_b() -> jax.Array:
    """ "the uncertainty reduction factor becomes 1/25% = 4" (B has a 25% chance).

    Checked: 1/0.25.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 1.2.
    """
    return 1 / jnp.asarray(0.25)


@claim.value(stated="2", unit="bits", source=f"{_CHEN}, Section 1.2")
def bits_to_transmit_b() -> jax.Array:
    """ "the actual bit = log₂ 4 = 2 bits for transmitting B."

    Checked: log₂(1/0.25).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 1.2.
    """
    return jnp.log2(1 / jnp.asarray(0.25))


@claim.value(stated="0.41", truncated=True, unit="bits", source=f"{_CHEN}, Section 1.2")
def bits_to_transmit_a() -> jax.Array:
    """ "for transmitting A, we need log₂(1/0.75) = 0.41 bits of information."

    Checked: log₂(1/0.75) = 0.41504 bits.
    Note: 0.41504 is truncated to 0.41, not rounded (rounding gives 0.42).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 1.2.
    """
    return jnp.log2(1 / jnp.asarray(0.75))


@claim.inequality(
    inputs={"p": domain.unit_interval(), "t": domain.unit_interval()},
    source=f"{_CHEN}, Section 1.2, Observation",
)
def likelier_event_needs_fewer_bits(
    p: jax.Array, t: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """ "The event with higher probability; when transmitting, requires less bits."

    Checked: log₂(1/p′) ≤ log₂(1/p) for p′ = p + t(1 − p) ≥ p, p, t ∈ (0, 1).
    Note: checked as ≤, not <: a sampled t near 0 rounds p′ to p.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 1.2, "Observation".
    """
    likelier = p + t * (1 - p)
    return jnp.log2(1 / likelier), jnp.log2(1 / p)


# --- Entropy (Chen, Sections 2–3; CE notes, CE.1) -----------------------------------


@claim.value(stated="0.81", unit="bits", source=f"{_CHEN}, Section 2")
def entropy_of_the_75_25_source() -> jax.Array:
    """ "we have 75% × 0.41 + 25% × 2 = 0.81 bits."

    Checked: H = 0.75·log₂(1/0.75) + 0.25·log₂(1/0.25) = 0.81128 bits. With the
    printed 0.41 the sum is 0.8075, which also rounds to 0.81.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 2.
    """
    return entropy_bits(jnp.asarray([0.75, 0.25]))


_P = {"p": domain.simplex(("k",))}
_K = {"k": (2, 5)}


@claim.inequality(inputs=_P, dims=_K, source=f"{_CHEN}, Section 2, Eq. 1, Note")
def entropy_is_nonnegative(p: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "Note: Entropy is always non-negative."

    Checked: 0 ≤ H(p) = −Σᵢ pᵢ log₂ pᵢ (Eq. 1).
    Domain: p a probability vector; bits.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 2, note below Eq. 1.
    """
    return jnp.zeros(()), entropy_bits(p)


@claim.inequality(inputs=_P, dims=_K, source=f"{_NOTES}, CE.1")
def entropy_is_nonnegative_in_nats(p: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "the entropy is always ≥ 0".

    Checked: 0 ≤ H(p) = Σᵢ pᵢ log(1/pᵢ).
    Domain: p a probability vector; natural log.
    Source: "Cross Entropy" notes, CE.1, after H(p, q) = KL(p‖q) + H(p).
    """
    return jnp.zeros(()), entropy(p)


@claim.identity(inputs=_P, dims=_K, source=f"{_CHEN}, Section 3.2, Eqs. 1–2")
def entropy_is_the_average_optimal_code_length(
    p: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """H(P) = Σₓ p(x) log₂(1/p(x)) "where H(P) is the Entropy" (Eq. 2 = Eq. 1).

    Checked: Σᵢ pᵢ·𝓛ᵢ with 𝓛ᵢ = log₂(1/pᵢ) (Eq. 2) against −Σᵢ pᵢ log₂ pᵢ (Eq. 1).
    Domain: p a probability vector; bits.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.2, Eq. 2 (and Eq. 1).
    """
    length = jnp.log2(1 / p)
    return average_code_length(p, length), entropy_bits(p)


@claim.identity(inputs={"P": domain.unit_interval()}, source=f"{_CHEN}, Section 3.2")
def optimal_code_length_uses_its_encoding_space(
    P: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """1/2^{𝓛(X)} = P(X), "which is 𝓛(X) = log₂ 1/P(X)".

    Checked: 2^{−𝓛} = P for 𝓛 = log₂(1/P): the length log₂(1/P) loses exactly the
    encoding space P ("a code of length 𝓛 results in lost of 1/2^𝓛").
    Domain: 0 < P < 1.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.2.
    """
    length = jnp.log2(1 / P)
    return jnp.exp2(-length), P


@claim.value(stated="2", unit="bits", source=f"{_CHEN}, Section 3, Table 1")
def table_1_average_code_length() -> jax.Array:
    """ "Our most optimal length of message encoding is 2 × 1/4 × 4 = 2 bits."

    Checked: Σ P·𝓛 over A, B, C, D with P = 1/4 and codes 00, 01, 10, 11 (𝓛 = 2).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3, Table 1.
    """
    return average_code_length(jnp.full(4, 0.25), jnp.full(4, 2.0))


_TABLE_2_P = (0.5, 0.25, 0.125, 0.125)
_TABLE_2_LENGTH = (1.0, 2.0, 3.0, 3.0)  # codes 0, 10, 110, 111


@claim.value(stated="1.75", unit="bits", source=f"{_CHEN}, Section 3, Table 2")
def table_2_average_code_length() -> jax.Array:
    """ "1_A × 1/2 + 2_B × 1/4 + 3_C × 1/8 + 3_D × 1/8 = 1.75 bits".

    Checked: Σ P·𝓛 with P = (1/2, 1/4, 1/8, 1/8) and codes 0, 10, 110, 111.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3, Table 2.
    """
    return average_code_length(jnp.asarray(_TABLE_2_P), jnp.asarray(_TABLE_2_LENGTH))


@claim.value(stated="1.75", unit="bits", source=f"{_CHEN}, Section 3.3, Table 2")
def entropy_of_table_2() -> jax.Array:
    """ "if we set Q = P and follow Table 2, we can have H = 1.75 bits".

    Checked: H(P) = −Σ P log₂ P for P = (1/2, 1/4, 1/8, 1/8): Table 2's code is
    optimal (𝓛 = log₂ 1/P), so its average length is the entropy.
    Note: the comparison that follows ("much better than 2.6 bits") sets Table 2's
    distribution against Table 3's messages; for Table 3's Q = (0.1, 0.2, 0.3, 0.4)
    the optimum is H(Q) = 1.846 bits, not 1.75.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.3, after Table 3.
    """
    return entropy_bits(jnp.asarray(_TABLE_2_P))


# --- Encoding sizes (slides, "Average Bits Per Message" to "Terminologies") --------


@claim.value(stated="1.42", unit="bits", source=f"{_SLIDES}, Average Bits Per Message")
def weather_average_encoding_size() -> jax.Array:
    """ "(0.6 x 1 bit)+(0.38 x 2 bits)+(0.01 x 3 bits)+(0.01 x 3 bits)=1.42 bits".

    Checked: Σ P·𝓛 with P = (0.6, 0.38, 0.01, 0.01), 𝓛 = (1, 2, 3, 3).
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Average Bits Per Message".
    """
    return average_code_length(
        jnp.asarray([0.6, 0.38, 0.01, 0.01]), jnp.asarray([1.0, 2.0, 3.0, 3.0])
    )


@claim.value(stated="2.7", unit="bits", source=f"{_SLIDES}, Another Example")
def another_example_average_encoding_size() -> jax.Array:
    """ "(0.1 × 1 bit)+(0.1 × 2 bits)+(0.4 × 3 bits)+(0.4 × 3 bits)=2.7 bits".

    Checked: Σ P·𝓛 with P = (0.1, 0.1, 0.4, 0.4), 𝓛 = (1, 2, 3, 3).
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Another Example".
    """
    return average_code_length(
        jnp.asarray([0.1, 0.1, 0.4, 0.4]), jnp.asarray([1.0, 2.0, 3.0, 3.0])
    )


@claim.value(
    stated="1.8", unit="bits", source=f"{_SLIDES}, Smaller Average Encoding Size"
)
def smaller_average_encoding_size() -> jax.Array:
    """ "(0.1 × 3 bit)+(0.1 × 3 bits)+(0.4 × 1 bits)+(0.4 × 2 bits)=1.8 bits".

    Checked: Σ P·𝓛 with P = (0.1, 0.1, 0.4, 0.4), 𝓛 = (3, 3, 1, 2): the same
    messages as "Another Example" re-encoded, 1.8 < 2.7 bits.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Smaller Average Encoding
      Size".
    """
    return average_code_length(
        jnp.asarray([0.1, 0.1, 0.4, 0.4]), jnp.asarray([3.0, 3.0, 1.0, 2.0])
    )


@claim.value(
    stated="12.5", unit="%", source=f"{_SLIDES}, The Minimum Number Of Bits (I)"
)
def probability_of_one_of_eight_messages() -> jax.Array:
    """ "8 message types, each of which happens with equal probability (⅛ = 12.5%)".

    Checked: 100 · 1/8.
    Note: the extracted text reads "(% = 12.5%)"; the evident reading is ⅛ = 12.5%.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Minimum Number Of
      Bits (I)".
    """
    return 100 * (1 / jnp.asarray(8.0))


@claim.value(
    stated="3", unit="bits", source=f"{_SLIDES}, The Minimum Number Of Bits (II)"
)
def bits_for_eight_message_types() -> jax.Array:
    """ "For example, log₂ 8 = log₂ 2³ = 3 bits." (codes 000 to 111)

    Checked: log₂ 8.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Minimum Number Of
      Bits (II)".
    """
    return jnp.log2(8.0)


@claim.identity(
    inputs={"P": domain.unit_interval()},
    source=f"{_SLIDES}, The Minimum Number Of Bits (II)",
)
def bits_of_a_message_of_probability_p(
    P: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """# Bits = log₂ N = log₂(1/P) = log₂(P⁻¹) = −log₂(P), for P = 1/N.

    Checked: the chain [log₂ N, log₂(1/P), log₂(P⁻¹)] = [log₂(1/P), log₂(P⁻¹),
    −log₂ P] with N = 1/P.
    Domain: 0 < P < 1.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Minimum Number Of
      Bits (II)".
    """
    N = 1 / P
    chain = [jnp.log2(N), jnp.log2(1 / P), jnp.log2(P**-1), -jnp.log2(P)]
    return jnp.stack(chain[:-1]), jnp.stack(chain[1:])


@claim.value(
    stated="3", unit="bits", source=f"{_SLIDES}, The Minimum Number Of Bits (II)"
)
def bits_for_a_message_of_probability_one_eighth() -> jax.Array:
    """# Bits = −log₂(12.5/100) (= 3 bits, the log₂ 8 of the same slide).

    Checked: −log₂(12.5/100).
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Minimum Number Of
      Bits (II)".
    """
    return -jnp.log2(12.5 / jnp.asarray(100.0))


@claim.value(stated="87.5", unit="%", source=f"{_SLIDES}, Terminologies")
def rainy_message_removes_most_of_the_uncertainty() -> jax.Array:
    """ "by sending "Rainy" which happens 12.5% of the times, we are reducing the
    uncertainty by 87.5% of the probability distribution".

    Checked: 100 · (1 − 0.125).
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Terminologies".
    """
    return 100 * (1 - jnp.asarray(0.125))


@claim.identity(
    inputs={"P": domain.one_hot(("k",))},
    dims={"k": (2, 5)},
    source=f"{_SLIDES}, Cross-Entropy as a Loss Function (III)",
)
def one_hot_label_has_zero_entropy(P: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "H(P₁) = 0 ... H(P₅) = 0: the entropy of each image is all zero."

    Checked: H(P) = −Σᵢ P(i) log P(i) = 0 for a one-hot label P.
    Domain: P one-hot; natural log; 0 log 0 = 0.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Cross-Entropy as a Loss
      Function (III)".
    """
    return entropy(P), jnp.zeros(())


# --- Conditional entropy (Chen, Section 8) -------------------------------------------


@claim.identity(
    inputs={"p_x": domain.simplex(("a",)), "p_y_given_x": domain.simplex(("a", "b"))},
    dims={"a": (2, 3), "b": (2, 3)},
    source=f"{_CHEN}, Section 8, Eq. 26",
)
def conditional_entropy_forms_agree(
    p_x: jax.Array, p_y_given_x: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """H(Y|X) = Σₓ p(x) H(Y|X=x) = −Σₓ p(x) Σ_y p(y|x) log p(y|x)
    = −Σₓ Σ_y p(x,y) log p(y|x) = −Σ_{x,y} p(x,y) log p(y|x)  (Eq. 26).

    Checked: the four forms, as a chain [1, 2, 3] = [2, 3, 4], on a joint
    distribution p(x, y) = p(x)·p(y|x); each form recomputes p(x) = Σ_y p(x, y)
    and p(y|x) = p(x, y)/p(x) from the joint.
    Domain: p(x, y) a joint distribution with positive entries; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 8, Eq. 26.
    """
    joint = p_x[:, None] * p_y_given_x
    marginal = jnp.sum(joint, axis=1)
    conditional = joint / marginal[:, None]
    h_given_each_x = jax.vmap(entropy)(conditional)
    first = jnp.sum(marginal * h_given_each_x)
    second = -jnp.sum(marginal * jnp.sum(conditional * jnp.log(conditional), axis=1))
    third = -jnp.sum(jnp.sum(joint * jnp.log(conditional), axis=1))
    fourth = -jnp.sum((joint * jnp.log(conditional)).reshape(-1))
    return jnp.stack([first, second, third]), jnp.stack([second, third, fourth])


# --- Gini impurity (Chen, Section 9 and Listing 2) ----------------------------------


def gini_impurity(p: jax.Array) -> jax.Array:
    """Gini = 1 − Σᵢ pᵢ² (Chen, Eq. 27, first line)."""
    return 1 - jnp.sum(p**2)


@claim.value(stated="0", source=f"{_CHEN}, Section 9")
def gini_impurity_of_a_pure_set() -> jax.Array:
    """ "if the data set is all A's ... the Gini Impurity score ... is 1 − 1 = 0."

    Checked: 1 − Σ p² for p = (1).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 9.
    """
    return gini_impurity(jnp.ones(1))


@claim.identity(inputs=_P, dims=_K, source=f"{_CHEN}, Section 9, Eq. 27")
def gini_impurity_is_sum_of_p_times_not_p(
    p: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """Gini = 1 − Σᵢ pᵢ² = Σᵢ pᵢ × p₋ᵢ  (Eq. 27).

    Checked: 1 − Σᵢ pᵢ² against Σᵢ pᵢ(1 − pᵢ).
    Domain: p a probability vector (Σ p = 1 makes Σ pᵢ(1 − pᵢ) = 1 − Σ pᵢ²).
    Note: p₋ᵢ is read as the probability of "not i", 1 − pᵢ = Σ_{j≠i} pⱼ; with
    that reading Σᵢ pᵢ p₋ᵢ = Σᵢ Σ_{j≠i} pᵢpⱼ, which is what Listing 2 sums.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 9, Eq. 27.
    """
    return gini_impurity(p), jnp.sum(p * (1 - p))


def _near_one(key: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """x within 1% of x₀ = 1."""
    return jax.random.uniform(key, shape, dtype, 0.99, 1.01)


@claim.identity(
    inputs={"x": domain.custom(_near_one)},
    atol=1e-4,
    source=f"{_CHEN}, Section 9",
)
def minus_log_first_order_taylor_at_one(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "First-order expand f(x) = −ln x at x₀ = 1 ... we have f(x) ≈ 1 − x".

    Checked: −ln x against 1 − x for |x − 1| ≤ 0.01, within 10⁻⁴ (the remainder
    is (x − 1)²/2ξ² ≤ 5.1·10⁻⁵ there).
    Domain: x near x₀ = 1; natural log.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 9, first bullet.
    """
    return -jnp.log(x), 1 - x


def _first_order_at_one(f, x: jax.Array) -> jax.Array:
    """f(1) + f′(1)(x − 1): the first-order Taylor polynomial of f at x₀ = 1."""
    one = jnp.ones_like(x)
    value, slope = jax.jvp(f, (one,), (one,))
    return value + slope * (x - 1)


@claim.identity(
    inputs=_P,
    dims=_K,
    source=f"{_CHEN}, Section 9, second bullet",
    expect="fail",
    why="−ln pᵢ ≈ 1 − pᵢ gives H(p) ≈ +Σ pᵢ(1 − pᵢ) (the Gini impurity, in nats); "
    "the printed −Σ pᵢ(1 − pᵢ) has the wrong sign",
)
def entropy_first_order_taylor_is_minus_gini(
    p: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """ "H(p) = −Σᵢ pᵢ × log₂(pᵢ) ≈ −Σᵢ pᵢ(1 − pᵢ)".

    Checked: the substitution the text makes, −ln pᵢ → its first-order expansion
    at x₀ = 1 (computed with jax.jvp), in H(p) = Σᵢ pᵢ·(−ln pᵢ): Σᵢ pᵢ(1 − pᵢ),
    against the printed −Σᵢ pᵢ(1 − pᵢ).
    Domain: p a probability vector; natural log (the expansion is of −ln x).
    Why wrong: −ln x ≈ 1 − x means ln pᵢ ≈ pᵢ − 1, so
      H(p) = −Σᵢ pᵢ ln pᵢ ≈ −Σᵢ pᵢ(pᵢ − 1) = Σᵢ pᵢ(1 − pᵢ) = 1 − Σᵢ pᵢ² = Gini ≥ 0;
      the printed right side is −Gini ≤ 0 (while H ≥ 0). The base is mixed too:
      in bits (log₂, as printed) the expansion gives Σᵢ pᵢ(1 − pᵢ)/ln 2.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 9, second bullet.
    """

    def minus_ln(x):
        return -jnp.log(x)

    expanded = jnp.sum(p * _first_order_at_one(minus_ln, p))
    return expanded, -jnp.sum(p * (1 - p))


def gini_impurity_listing(data: jax.Array, classes: int) -> jax.Array:
    """Listing 2, ``GiniImpurity(data)``, in the same order of operations.

    ``counts[item]`` is the number of items equal to ``item``; for every item j and
    every item k with a different value, ``impurity += f1*f2`` with
    ``f1 = counts[j]/total`` and ``f2 = counts[k]/total``. Items are integers
    0 … classes − 1.
    """
    total = data.shape[0]
    counts = jnp.sum(jax.nn.one_hot(data, classes), axis=0)
    f = counts[data] / total
    impurity = jnp.zeros(())
    for j in range(total):
        for k in range(total):
            impurity = impurity + jnp.where(data[j] == data[k], 0.0, f[j] * f[k])
    return impurity


@claim.value(stated="0.6666666666666667", source=f"{_CHEN}, Appendix, Listing 2")
def gini_listing_output_for_three_distinct_items() -> jax.Array:
    """GiniImpurity(['b','a','c']) "# impurity = 6/9 ≈ 0.6666666666666667".

    Checked: Listing 2's loops on three distinct items (b, a, c coded 1, 0, 2):
    six terms (1/3)(1/3) added in the listing's order, in float64.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Listing 2 ("Calculate Gini Impurity of an array data").
    """
    return gini_impurity_listing(jnp.asarray([1, 0, 2]), classes=3)


@claim.identity(
    inputs={"data": domain.integers(0, 3, ("n",))},
    dims={"n": (3, 6)},
    source=f"{_CHEN}, Appendix, Listing 2",
    expect="fail",
    why="the loops run over items, not over distinct values: with repeated items "
    "each pair of values is counted count_j·count_k times (['a','a','b'] gives "
    "8/9, not 1 − (4/9 + 1/9) = 4/9)",
)
def gini_listing_computes_gini_impurity(
    data: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """Listing 2 "Calculate Gini Impurity of an array data": GiniImpurity(data)
    = 1 − Σᵢ pᵢ² (Eq. 27).

    Checked: the listing's loops against 1 − Σᵢ pᵢ² with pᵢ = countᵢ/total, on
    arrays of 3 or 6 items drawn from 3 values.
    Why wrong: ``for j in data: ... for k in data:`` visits every item, so the sum
    is Σ_{v≠w} count_v·count_w·f_v·f_w = N² Σ_{v≠w} f_v² f_w², which equals
    Σ_{v≠w} f_v f_w = 1 − Σ f_v² only when every count is 1 (all items distinct,
    as in the ['b','a','c'] run). A correct loop runs over ``counts`` (the
    distinct values) instead of ``data``.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Listing 2.
    """
    classes = 3
    p = jnp.sum(jax.nn.one_hot(data, classes), axis=0) / data.shape[0]
    return gini_impurity_listing(data, classes), gini_impurity(p)


@claim.count(stated="6", source=f"{_CHEN}, Appendix, Listing 2, loop comments")
def gini_listing_adds_six_terms_for_three_distinct_items() -> int:
    """ "loop 1, j = b, impurity = 1/3 × 1/3 + 1/3 × 1/3 ... loop 3 ... impurity =
    6/9": three loops of two terms (1/3)(1/3), six in all.

    Checked: the number of (j, k) pairs the listing's loops add for
    ['b', 'a', 'c'] (j ≠ k), enumerated; the 6 of "6/9".
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Appendix, Listing 2, the comments of the run.
    """
    data = ["b", "a", "c"]
    return sum(1 for j in data for k in data if j != k)


# --- Counts: micro-states, codes and encoding space (Chen, Sections 1 and 3) ---------


# The most particles the micro-state claims sample (2 × 29).
_MOST_PARTICLES = 58


def _micro_states(n: jax.Array, heads: jax.Array) -> jax.Array:
    """Ω = C(n, heads) = Πᵢ₌₁..heads (n − heads + i)/i: the arrangements of n
    two-state particles with ``heads`` in one state, as the exponential of a
    sum of logarithms (in float64; n ≤ 58)."""
    n = n.astype(jnp.float64)
    heads = heads.astype(jnp.float64)
    i = jnp.arange(1, _MOST_PARTICLES + 1, dtype=jnp.float64)
    terms = jnp.where(i <= heads, jnp.log((n - heads + i) / i), 0.0)
    return jnp.exp(jnp.sum(terms))


_HALF_N = {"half": domain.integers(1, 30)}


@claim.inequality(
    inputs=_HALF_N,
    source=f"{_CHEN}, Section 1, micro-states, as written",
    expect="fail",
    why="backwards: an ordered state (all particles alike) has 1 micro-state, a "
    "disordered one (half and half) C(2n, n) > 1; the second law's direction "
    "(toward disorder) is toward more micro-states",
)
def ordered_state_has_more_micro_states(half: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "The number of micro-states of an in-order state is much greater than the
    one of a dis-order state."

    Checked, on 2n two-state particles (a model the text does not name): Ω of the
    disordered state (n in each state, C(2n, n)) ≤ Ω of the ordered state (all in
    one state, C(2n, 0) = 1).
    Domain: n = 1, …, 29 (2 to 58 particles).
    Why wrong: C(2n, n) ≥ 2 > 1 for every n ≥ 1: the ordered state has the fewer
      micro-states, so S = κ ln Ω is lower there, and "things go from in-order to
      dis-order" is toward more micro-states (ordered_state_has_fewer_micro_states).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 1, Background.
    """
    n = 2 * half
    return _micro_states(n, half), _micro_states(n, jnp.zeros_like(half))


@claim.inequality(
    inputs=_HALF_N, strict=True, source=f"{_CHEN}, Section 1, micro-states"
)
def ordered_state_has_fewer_micro_states(
    half: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """The intended reading: an ordered state has fewer micro-states than a
    disordered one (entropy S = κ ln Ω grows toward disorder).

    Checked: C(2n, 0) = 1 < C(2n, n), on 2n two-state particles.
    Domain: n = 1, …, 29.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 1, Background.
    """
    n = 2 * half
    return _micro_states(n, jnp.zeros_like(half)), _micro_states(n, half)


def _readings(bits: str, codes: dict[str, str]) -> list[str]:
    """Every way to split ``bits`` into code words (the messages, in order)."""
    if not bits:
        return [""]
    found = []
    for message, word in codes.items():
        if bits.startswith(word):
            found += [message + rest for rest in _readings(bits[len(word) :], codes)]
    return found


@claim.count(stated="3", source=f"{_CHEN}, Section 3.1, 0101 with A = 0, B = 01, C = 1")
def listed_readings_of_0101() -> int:
    """ "if we have A as 0, B as 01, and C as 1 then when the recipient receive 0101,
    it can be interpreted as ACB, or BB, or BAC."

    Checked: how many of the three listed readings the code words really give for
    0101, all readings enumerated (there is a fourth, ACAC, that the text does not
    list; it claims no completeness).
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.1.
    """
    readings = set(_readings("0101", {"A": "0", "B": "01", "C": "1"}))
    return sum(1 for r in ("ACB", "BB", "BAC") if r in readings)


@claim.identity(
    inputs={"L": domain.integers(1, 9)},
    source=f"{_CHEN}, Section 3.2, encoding space 1/2^𝓛",
)
def code_of_length_l_takes_its_share_of_encoding_space(
    L: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """ "a code of length 𝓛 results in lost of 1/2^𝓛 encoding space."

    Checked: of all 2¹² bit strings of length 12, the share that starts with the
    code word 0…0 of length 𝓛 (and so can no longer be a code word of a prefix
    code), counted, against 1/2^𝓛.
    Domain: 𝓛 = 1, …, 8.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.2.
    """
    strings = jnp.arange(2**12)
    taken = jnp.sum(jnp.right_shift(strings, 12 - L) == 0)
    return taken / 2.0**12, 2.0 ** (-L.astype(jnp.float64))


@claim.value(stated=["1", "2", "3", "3"], source=f"{_CHEN}, Section 3.3, Table 3")
def table_3_code_lengths() -> jax.Array:
    """Table 3: "Code 0 10 110 111 ... Code Length 1 2 3 3".

    Checked: the lengths of the listed code words.
    Source: Lizi Chen, "Entropy, Cross-Entropy and KL-Divergence Brief Review",
      Section 3.3, Table 3.
    """
    return jnp.asarray([len(c) for c in ("0", "10", "110", "111")], jnp.float64)


# --- Counts and code words (slides, "Efficient Encoding Example" to "The Minimum
# Number Of Bits") -----------------------------------------------------------------

# "the first bit for 'Fine or not', the second bit for 'Cloudy or others' and the
# third bit for 'Rain or snow'": Fine 0, Cloudy 10, Rainy 110, Snow 111.
_WEATHER_CODE = {"Fine": "0", "Cloudy": "10", "Rainy": "110", "Snow": "111"}


def _agreeing_positions(bits: str, stated: tuple[str, ...]) -> int:
    """How many messages of the unique reading of ``bits`` equal ``stated``, place
    by place (0 when ``bits`` has no reading or more than one)."""
    words = {m[0]: c for m, c in _WEATHER_CODE.items()}  # one letter per message
    readings = _readings(bits, words)
    if len(readings) != 1:
        return 0
    return sum(1 for got, want in zip(readings[0], stated) if got == want[0])


@claim.count(
    stated="4", source=f"{_SLIDES}, Efficient Encoding Example (VII), 010110111"
)
def weather_bits_010110111() -> int:
    """ "'010110111' means 'Fine, Cloudy, Rainy, Snow'" (four messages).

    Checked: 010110111 read with the code the slide describes (Fine 0, Cloudy 10,
    Rainy 110, Snow 111) has one reading, and it agrees with the four stated
    messages at all 4 places.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Efficient Encoding Example
      (VII)".
    """
    return _agreeing_positions("010110111", ("Fine", "Cloudy", "Rainy", "Snow"))


@claim.count(
    stated="4", source=f"{_SLIDES}, Efficient Encoding Example (VII), 110010111"
)
def weather_bits_110010111() -> int:
    """ "'110010111' means 'Rainy, Fine, Cloudy, Snow'" (four messages).

    Checked: as for 010110111: one reading, agreeing at all 4 places.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Efficient Encoding Example
      (VII)".
    """
    return _agreeing_positions("110010111", ("Rainy", "Fine", "Cloudy", "Snow"))


@claim.count(stated="8", source=f"{_SLIDES}, The Minimum Number Of Bits (II), codes")
def three_bit_codes_for_eight_message_types() -> int:
    """The codes 000, 001, …, 111 given to the 8 message types A … H.

    Checked: the distinct bit strings of length 3, enumerated: 8, one per type.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Minimum Number Of
      Bits (II)".
    """
    import itertools

    return len({"".join(bits) for bits in itertools.product("01", repeat=3)})


def _fewest_bits(n: jax.Array) -> jax.Array:
    """The fewest bits b with 2ᵇ ≥ n (n distinct values, one code word each),
    counted: b = #{k ≥ 0 : 2ᵏ < n}."""
    k = jnp.arange(12)
    return jnp.sum(2.0**k < n).astype(jnp.float64)


_N_VALUES = {"N": domain.integers(2, 1025)}


@claim.inequality(
    inputs=_N_VALUES,
    source=f"{_SLIDES}, The Minimum Number Of Bits (II), log₂N bits, as written",
    expect="fail",
    why="a whole number of bits is needed: N values take ⌈log₂N⌉ bits, more than "
    "log₂N when N is not a power of 2 (3 values take 2 bits, log₂3 ≈ 1.58)",
)
def n_values_need_log2_n_bits(N: jax.Array) -> tuple[jax.Array, jax.Array]:
    """ "When we need N different values expressed in bits, we need log₂N bits and
    we don't need more than this."

    Checked: the fewest bits that give N distinct code words ≤ log₂N.
    Domain: N = 2, …, 1024.
    Why wrong: with b bits there are 2ᵇ code words, so N values need the fewest b
      with 2ᵇ ≥ N, ⌈log₂N⌉, which exceeds log₂N unless N is a power of 2 (as in
      the slide's N = 8). log₂N is the minimum on average over long runs of
      messages (entropy), not for one value.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Minimum Number Of
      Bits (II)".
    """
    return _fewest_bits(N), jnp.log2(N.astype(jnp.float64))


@claim.identity(
    inputs=_N_VALUES,
    source=f"{_SLIDES}, The Minimum Number Of Bits (II), ⌈log₂N⌉ bits",
)
def n_values_need_ceil_log2_n_bits(N: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The intended reading: N values need ⌈log₂N⌉ bits, log₂N when N = 2ᵏ.

    Checked: the fewest bits that give N distinct code words, counted, against
    ⌈log₂N⌉.
    Domain: N = 2, …, 1024.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "The Minimum Number Of
      Bits (II)".
    """
    return _fewest_bits(N), jnp.ceil(jnp.log2(N.astype(jnp.float64)))
