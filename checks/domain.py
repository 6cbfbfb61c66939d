"""Input domains: where a derivation's inputs are sampled, bulk and edges.

Each domain draws a batch of ``n`` samples inside ``jax.jit`` from a stream
(``checks.sampling``). The batch is split into *strata*: each sample comes from
the domain's bulk with probability 1/2, else from one of its hard regions (near 0
and 1, large magnitudes, vertices of the simplex, ties). Which stratum a sample
came from is returned with it, so a counterexample can say where it lives.

Sampling is done in float64 and rounded once to the case's dtype; a value that
rounding pushed out of the domain (a probability rounded to 1) is moved back to
the nearest representable value inside it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike, DTypeLike

from checks import caches, sampling
from checks.precision import in_float64

Shape = tuple[int | str, ...]
# A shape as written in a declaration: one int or size name, or a sequence of them.
ShapeLike = int | str | Sequence[int | str]
Sampler = Callable[
    [jax.Array, int, tuple[int, ...], DTypeLike], tuple[jax.Array, jax.Array]
]

__all__ = [
    "Domain",
    "DomainError",
    "Editing",
    "custom",
    "fixed",
    "integers",
    "one_hot",
    "positive",
    "real",
    "simplex",
    "unit_interval",
]


class DomainError(ValueError):
    """A domain was declared or used with arguments that make no sense.

    Examples:
        >>> from checks import domain
        >>> domain.integers(3, 3)
        Traceback (most recent call last):
        checks.domain.DomainError: integers(low, high) needs low < high, got 3, 3
    """


@dataclass(frozen=True)
class Editing:
    """How a counterexample's value in a domain is moved and made simpler
    (``checks.shrink``): the domain's own knowledge, in NumPy, on one batch.

    Attributes:
      admits: ``admits(ys) -> (batch,) bool``: which values of a batch
        ``(batch, *shape)`` lie in the domain.
      project: ``project(ys)``: a randomly moved batch brought back towards the
        domain (unchanged for reals, ``abs`` for positive values, also
        renormalized on the simplex).
      simple: the simplest values for one entry, simplest first; each entry's
        value rounded to 1, 2, 3 and 6 significant digits is tried after them.
      whole: ``whole(x) -> [candidates]``: where a value is only simplified as
        a whole (a probability vector), its simpler candidates, simplest first;
        None: entry by entry, from ``simple``.

    Examples:
      >>> import numpy as np
      >>> from checks import domain
      >>> edit = domain.unit_interval().editing
      >>> edit.admits(np.array([0.5, 1.0])).tolist(), edit.simple[0]
      ([True, False], 0.5)
    """

    admits: Callable[[np.ndarray], np.ndarray]
    project: Callable[[np.ndarray], np.ndarray]
    simple: tuple[float, ...] = (0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 10.0, -10.0)
    whole: Callable[[np.ndarray], list[np.ndarray]] | None = None


def _unchanged(ys: np.ndarray) -> np.ndarray:
    return ys


def _finite_each(ys: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(ys), axis=tuple(range(1, ys.ndim)))


def _positive_each(ys: np.ndarray) -> np.ndarray:
    return _finite_each(ys) & np.all(ys > 0, axis=tuple(range(1, ys.ndim)))


def _in_unit_interval_each(ys: np.ndarray) -> np.ndarray:
    inside = np.all((ys > 0) & (ys < 1), axis=tuple(range(1, ys.ndim)))
    return _finite_each(ys) & inside


def _on_simplex_each(ys: np.ndarray) -> np.ndarray:
    sums_to_one = np.all(
        np.abs(ys.sum(-1) - 1) < 1e-12, axis=tuple(range(1, ys.ndim - 1))
    )
    return _positive_each(ys) & sums_to_one


def _onto_simplex(ys: np.ndarray) -> np.ndarray:
    ys = np.abs(ys)
    return ys / ys.sum(-1, keepdims=True)


def round_to(v: float, digits: int) -> float:
    """``v`` rounded to ``digits`` significant decimal digits (0 and non-finite
    values unchanged).

    Examples:
      >>> from checks.domain import round_to
      >>> round_to(0.123456, 2)
      0.12
    """
    return float(f"{v:.{digits}g}") if v != 0 and np.isfinite(v) else v


def _simplex_candidates(x: np.ndarray) -> list[np.ndarray]:
    """Whole-simplex simplifications: the centre, then rounded and renormalized
    (the largest entry takes up what the rounded others leave of 1)."""
    out = [np.full_like(x, 1.0 / x.shape[-1])]
    for k in (1, 2, 3, 6):
        y = np.vectorize(lambda v, k=k: round_to(float(v), k))(x)
        top = np.argmax(y, axis=-1)
        rest = y.sum(-1) - np.take_along_axis(y, top[..., None], -1)[..., 0]
        np.put_along_axis(y, top[..., None], (1.0 - rest)[..., None], -1)
        out.append(y)
    return out


_REAL_EDITING = Editing(_finite_each, _unchanged)
_POSITIVE_EDITING = Editing(_positive_each, np.abs)
_UNIT_EDITING = Editing(
    _in_unit_interval_each, _unchanged, simple=(0.5, 0.25, 0.75, 0.1, 0.9, 0.01, 0.99)
)
_SIMPLEX_EDITING = Editing(_on_simplex_each, _onto_simplex, whole=_simplex_candidates)


@dataclass(frozen=True)
class Domain:
    """Where one parameter's values come from.

    Attributes:
      kind: the constructor's name (``"unit_interval"``, ``"simplex"``, ...).
      shape: the shape of one example; entries may be size names listed in ``dims``.
      strata: names of the sampled regions, bulk first.
      draw: ``draw(key, n, shape, dtype) -> (values, stratum_index)``, in JAX.
      host_draw: the same draw in NumPy from a ``uint64`` stream (operation for
        operation, so the same points up to library functions' last bit), or
        None for a sampler only JAX can run (``custom``).
      floating: values are real numbers of the case's dtype (else integers).
      continuous: values are rounded reals, not exact labels or constants.
      params: the arguments the domain was made with, for ``describe``.
      editing: how a counterexample's value is moved and simplified here
        (``Editing``); None: it is left as it was drawn (labels, constants,
        integers, your own sampler's values).
      self_describing: ``kind`` and ``params`` say everything ``draw`` does, so
        they identify its values in a stored result's key (``checks.store``);
        False: the key also holds a digest of ``draw``'s code.

    Made by the constructors of this module (``real``, ``simplex``, ...), never
    directly.

    Examples:
      >>> from checks import domain
      >>> d = domain.simplex(("k",))
      >>> d.kind, d.shape, d.strata[0]
      ('simplex', ('k',), 'dirichlet')
    """

    kind: str
    shape: Shape
    strata: tuple[str, ...]
    draw: Sampler = field(repr=False, compare=False)
    floating: bool = True
    continuous: bool = True
    params: tuple[tuple[str, Any], ...] = ()
    host_draw: Sampler | None = field(default=None, repr=False, compare=False)
    editing: Editing | None = field(default=None, repr=False, compare=False)
    self_describing: bool = True

    def key_text(self) -> str:
        """What a stored result's key says of this domain (``checks.store``).

        Examples:
            >>> from checks import domain
            >>> domain.positive().key_text()
            "('positive', (), ('bulk', 'near-zero', 'large'), True, True)()"
        """
        text = repr(
            (self.kind, self.shape, self.strata, self.floating, self.continuous)
        )
        return text + repr(self.params)

    def size_names(self) -> set[str]:
        """The size names this domain's shape uses.

        Examples:
            >>> from checks import domain
            >>> sorted(domain.real(("m", 3, "n")).size_names())
            ['m', 'n']
        """
        return {s for s in self.shape if isinstance(s, str)}

    def resolve(self, dims: Mapping[str, int]) -> tuple[int, ...]:
        """The concrete shape of one example, given the sizes in ``dims``.

        Args:
            dims: a size for every size name of the shape.

        Returns:
            The shape, in ints.

        Raises:
            KeyError: a size name has no size in ``dims``.

        Examples:
            >>> from checks import domain
            >>> domain.real(("m", 3)).resolve({"m": 2})
            (2, 3)
        """
        return tuple(dims[s] if isinstance(s, str) else int(s) for s in self.shape)

    @in_float64
    def sample(
        self, key: jax.Array, n: int, dims: Mapping[str, int], dtype: DTypeLike
    ) -> tuple[jax.Array, jax.Array]:
        """``n`` examples ``(n, *shape)`` in ``dtype``, and their strata ``(n,)``.

        Args:
            key: a stream of ``checks.sampling`` (``sampling.stream(seed)``).
            n: how many examples.
            dims: a size for every size name of the shape.
            dtype: the dtype of the values (``"float64"``, ``"float32"``, ...).

        Returns:
            ``(values, strata)``: the examples, and for each the index in
            ``strata`` of the region it was drawn from.

        Raises:
            DomainError: a ``custom`` sampler returned the wrong shape.

        Examples:
            >>> import numpy as np
            >>> from checks import domain, sampling
            >>> values, strata = domain.unit_interval().sample(
            ...     sampling.stream(0), 1000, {}, "float64"
            ... )
            >>> x = np.asarray(values)  # float64 (JAX may have float64 off here)
            >>> x.shape, bool(((x > 0) & (x < 1)).all())
            ((1000,), True)
        """
        shape = self.resolve(dims)
        values, strata = _jitted_draw(self.draw, key, n, shape, jnp.dtype(dtype))
        expected = (n, *shape)
        if tuple(values.shape) != expected:
            raise DomainError(
                f"{self.kind} domain returned shape {tuple(values.shape)}, "
                f"expected {expected}"
            )
        return values, strata

    def sample_on_host(
        self, stream: np.uint64, n: int, dims: Mapping[str, int], dtype: DTypeLike
    ) -> tuple[np.ndarray, np.ndarray]:
        """``sample`` computed by NumPy (``host_draw``) from a concrete stream.

        Args:
            stream: a stream as a ``numpy.uint64``.
            n, dims, dtype: as for ``sample``.

        Returns:
            ``(values, strata)`` as NumPy arrays: the points ``sample`` draws.

        Raises:
            DomainError: the domain has no NumPy sampler (``custom``).

        Examples:
            >>> import numpy as np
            >>> from checks import domain, sampling
            >>> d, key = domain.real(), sampling.stream(0)
            >>> on_host, _ = d.sample_on_host(np.asarray(key), 8, {}, "float64")
            >>> in_jax, _ = d.sample(key, 8, {}, "float64")
            >>> bool(np.allclose(on_host, in_jax, rtol=1e-12))
            True
        """
        if self.host_draw is None:
            raise DomainError(f"{self.kind} domain has no NumPy sampler")
        with np.errstate(over="ignore"):
            values, strata = self.host_draw(
                np.uint64(stream), n, self.resolve(dims), jnp.dtype(dtype)
            )
        return np.asarray(values), np.asarray(strata, np.int32)

    def describe(self) -> str:
        """A short readable form, as it would be written in a declaration.

        Examples:
            >>> from checks import domain
            >>> domain.real(("k",), scale=2.0).describe()
            "real(scale=2.0, shape=('k',))"
        """
        args = [repr(v) for k, v in self.params if k == ""]
        args += [f"{k}={v!r}" for k, v in self.params if k != ""]
        if self.shape != ():
            args.append(f"shape={self.shape!r}")
        return f"{self.kind}({', '.join(args)})"


# Jitted with the draw function static, so a domain used by many derivations (and
# the same constructor arguments give the same domain object) is traced once per
# shape and dtype, then reused from JAX's cache inside every case's program.
_jitted_draw = jax.jit(
    lambda draw, key, n, shape, dtype: draw(key, n, shape, dtype),
    static_argnums=(0, 2, 3, 4),
)


def _check_shape(shape: Any) -> Shape:
    if isinstance(shape, (int, str)):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise DomainError(
            f"shape must be a tuple of ints or size names, got {shape!r}"
        ) from None
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, str, np.integer)):
            raise DomainError(f"shape entries must be ints or size names, got {s!r}")
        if not isinstance(s, str) and int(s) < 1:
            raise DomainError(f"shape entries must be positive, got {s!r}")
    return tuple(s if isinstance(s, str) else int(s) for s in shape)


def _stratum_index(key: Any, n: int, count: int, xp: Any) -> Any:
    """Each sample's stratum: the bulk with probability 1/2, else one of the others.

    Drawn from the parameter's own stream, so two parameters' strata are
    independent (a large θ is not always paired with a large x).
    """
    if count == 1:
        return xp.zeros(n, xp.int32)
    u = sampling.uniform(sampling.substream(key, 99), (n,), xp=xp)
    edge = xp.floor((u - 0.5) * 2.0 * (count - 1)).astype(xp.int32) + xp.int32(1)
    edge = xp.clip(edge, xp.int32(1), xp.int32(count - 1))
    return xp.where(u < 0.5, xp.int32(0), edge)


def _choose(strata: Any, candidates: Sequence[Any], xp: Any) -> Any:
    """Per sample, the candidate of its stratum (candidates are ``(n, *shape)``)."""
    index = strata.reshape(strata.shape + (1,) * (candidates[0].ndim - 1))
    return xp.select([index == s for s in range(len(candidates))], candidates)


def _indicator(labels: Any, classes: int, dtype: Any, xp: Any) -> Any:
    """``jax.nn.one_hot`` in either namespace."""
    classes_axis = xp.arange(classes, dtype=labels.dtype)
    classes_axis = classes_axis.reshape((1,) * labels.ndim + (classes,))
    return (labels[..., None] == classes_axis).astype(dtype)


def _decades(dtype: Any) -> tuple[float, float]:
    """How far toward 0 and toward 1 edge samples reach, as powers of ten."""
    eps = float(jnp.finfo(dtype).eps)
    toward_one = math.floor(math.log10(eps)) + 1  # 1 - 1e-15 in float64
    toward_zero = -30.0 if jnp.finfo(dtype).bits >= 64 else -15.0
    if jnp.finfo(dtype).bits <= 16:
        toward_zero = -4.0
    return toward_zero, float(toward_one)


def _log_uniform(key: Any, shape: tuple[int, ...], low: float, high: float, xp: Any):
    """10**U(low, high) in float64."""
    return 10.0 ** sampling.uniform(key, shape, low, high, xp=xp)


def _random_sign(key: Any, shape: tuple[int, ...], xp: Any) -> Any:
    return xp.where(sampling.uniform(key, shape, xp=xp) < 0.5, 1.0, -1.0)


def _keys(key: Any, count: int) -> list[Any]:
    return [sampling.substream(key, i) for i in range(count)]


def _domain(kind: str, shape: Shape, strata: tuple[str, ...], draw: Any, **kw: Any):
    """A built-in domain: ``draw(key, n, shape, dtype, xp)`` in both namespaces."""
    return Domain(
        kind,
        shape,
        strata,
        functools.partial(draw, xp=jnp),
        host_draw=functools.partial(draw, xp=np),
        **kw,
    )


def real(shape: ShapeLike = (), scale: float = 1.0) -> Domain:
    """Any real number: N(0, scale²) bulk, magnitudes 4·scale to 30·scale, values
    near 0 (1e-8·scale to 0.1·scale), and ties (all entries equal).

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).
        scale: the bulk's standard deviation, > 0.

    Returns:
        The domain.

    Raises:
        DomainError: a bad shape, or ``scale`` ≤ 0.

    Examples:
        >>> from checks import domain
        >>> domain.real(("k",)).strata
        ('bulk', 'large', 'near-zero', 'ties')
    """
    shape = _check_shape(shape)
    return _real(shape, scale)


@caches.register
@functools.cache
def _real(shape, scale) -> Domain:
    if not scale > 0:
        raise DomainError(f"real(scale=...) must be positive, got {scale!r}")
    strata = ("bulk", "large", "near-zero") + (("ties",) if shape else ())

    def draw(key, n, shp, dtype, xp):
        k = _keys(key, 5)
        full = (n, *shp)
        bulk = sampling.normal(k[0], full, xp=xp)
        large = _random_sign(k[1], full, xp) * sampling.uniform(
            k[2], full, 4.0, 30.0, xp=xp
        )
        small = _random_sign(k[3], full, xp) * _log_uniform(k[4], full, -8.0, -1.0, xp)
        candidates = [bulk, large, small]
        if shp:
            tie = sampling.normal(k[4], (n,) + (1,) * len(shp), xp=xp)
            candidates.append(xp.broadcast_to(tie, full))
        s = _stratum_index(key, n, len(candidates), xp)
        return (scale * _choose(s, candidates, xp)).astype(dtype), s

    return _domain(
        "real", shape, strata, draw, params=(("scale", scale),), editing=_REAL_EDITING
    )


def positive(shape: ShapeLike = ()) -> Domain:
    """A positive real: log-normal bulk, values down to 1e-8 (float32) or 1e-15
    (float64), and values up to 1e4 (float32) or 1e6 (float64).

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: a shape entry is not a positive int or a size name.

    Examples:
        >>> import numpy as np
        >>> from checks import domain, sampling
        >>> x, _ = domain.positive().sample(sampling.stream(1), 500, {}, "float64")
        >>> bool((np.asarray(x) > 0).all())
        True
    """
    shape = _check_shape(shape)
    return _positive(shape)


@caches.register
@functools.cache
def _positive(shape) -> Domain:
    def draw(key, n, shp, dtype, xp):
        k = _keys(key, 3)
        full = (n, *shp)
        wide = jnp.finfo(dtype).bits >= 64
        bulk = xp.exp(sampling.normal(k[0], full, xp=xp))
        small = _log_uniform(k[1], full, -15.0 if wide else -8.0, -1.0, xp)
        large = _log_uniform(k[2], full, 1.0, 6.0 if wide else 4.0, xp)
        s = _stratum_index(key, n, 3, xp)
        x = _choose(s, [bulk, small, large], xp).astype(dtype)
        return xp.maximum(x, jnp.finfo(dtype).tiny), s

    strata = ("bulk", "near-zero", "large")
    return _domain("positive", shape, strata, draw, editing=_POSITIVE_EDITING)


def unit_interval(shape: ShapeLike = ()) -> Domain:
    """A number in the open interval (0, 1): uniform bulk, and values within
    1e-30 (float64) or 1e-15 (float32) of 0 and within one rounding unit of 1.

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: a shape entry is not a positive int or a size name.

    Examples:
        >>> import numpy as np
        >>> from checks import domain, sampling
        >>> x, _ = domain.unit_interval().sample(sampling.stream(1), 500, {}, "float32")
        >>> x = np.asarray(x)
        >>> bool(((x > 0) & (x < 1)).all()), str(x.dtype)
        (True, 'float32')
    """
    shape = _check_shape(shape)
    return _unit_interval(shape)


@caches.register
@functools.cache
def _unit_interval(shape) -> Domain:
    def draw(key, n, shp, dtype, xp):
        k = _keys(key, 3)
        full = (n, *shp)
        toward_zero, toward_one = _decades(dtype)
        bulk = sampling.uniform(k[0], full, xp=xp)
        near0 = _log_uniform(k[1], full, toward_zero, -1.0, xp)
        near1 = 1.0 - _log_uniform(k[2], full, toward_one, -1.0, xp)
        s = _stratum_index(key, n, 3, xp)
        x = _choose(s, [bulk, near0, near1], xp).astype(dtype)
        finfo = jnp.finfo(dtype)
        below_one = xp.asarray(1.0 - float(finfo.epsneg), dtype)  # exact
        return xp.minimum(xp.maximum(x, xp.asarray(finfo.tiny, dtype)), below_one), s

    strata = ("bulk", "near-0", "near-1")
    return _domain("unit_interval", shape, strata, draw, editing=_UNIT_EDITING)


def simplex(shape: ShapeLike) -> Domain:
    """A probability vector along the last axis: entries > 0 summing to 1.

    Strata: uniform on the simplex (Dirichlet(1)); near a vertex, with the other
    entries down to 1e-30 (float64) or 1e-15 (float32); the centre (all equal).

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: a bad or empty shape.

    Examples:
        >>> import numpy as np
        >>> from checks import domain, sampling
        >>> key = sampling.stream(0)
        >>> p, _ = domain.simplex(("k",)).sample(key, 100, {"k": 4}, "float64")
        >>> p = np.asarray(p)
        >>> p.shape, bool(abs(p.sum(axis=-1) - 1).max() < 1e-12)
        ((100, 4), True)
    """
    shape = _check_shape(shape)
    return _simplex(shape)


@caches.register
@functools.cache
def _simplex(shape) -> Domain:
    if not shape:
        raise DomainError("simplex(shape) needs at least one axis (the last sums to 1)")

    def draw(key, n, shp, dtype, xp):
        k = _keys(key, 3)
        full = (n, *shp)
        toward_zero, _ = _decades(dtype)
        bulk = -xp.log(sampling.uniform(k[0], full, xp=xp))
        small = _log_uniform(k[1], full, toward_zero, -1.0, xp)
        top = sampling.integers(k[2], full[:-1], 0, shp[-1], xp=xp)
        vertex = xp.where(_indicator(top, shp[-1], bool, xp), 1.0, small)
        centre = xp.ones(full, xp.float64)
        s = _stratum_index(key, n, 3, xp)
        x = _choose(s, [bulk, vertex, centre], xp)
        x = (x / xp.sum(x, axis=-1, keepdims=True)).astype(dtype)
        return xp.maximum(x, jnp.finfo(dtype).tiny), s

    strata = ("dirichlet", "near-vertex", "centre")
    return _domain("simplex", shape, strata, draw, editing=_SIMPLEX_EDITING)


def one_hot(shape: ShapeLike) -> Domain:
    """A one-hot vector along the last axis (a class label), class uniform.

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: a bad or empty shape.

    Examples:
        >>> from checks import domain, sampling
        >>> y, _ = domain.one_hot((3,)).sample(sampling.stream(0), 10, {}, "float64")
        >>> y.sum(axis=-1).tolist() == [1.0] * 10
        True
    """
    shape = _check_shape(shape)
    return _one_hot(shape)


@caches.register
@functools.cache
def _one_hot(shape) -> Domain:
    if not shape:
        raise DomainError("one_hot(shape) needs at least one axis (the classes)")

    def draw(key, n, shp, dtype, xp):
        labels = sampling.integers(key, (n, *shp[:-1]), 0, shp[-1], xp=xp)
        return _indicator(labels, shp[-1], dtype, xp), xp.zeros(n, xp.int32)

    return _domain("one_hot", shape, ("uniform",), draw, continuous=False)


def integers(low: int, high: int, shape: ShapeLike = ()) -> Domain:
    """An integer n with low ≤ n < high (int32). Never differentiated.

    Args:
        low, high: the bounds, ``low < high``.
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: bounds that are not ints with ``low < high``, or a bad
            shape.

    Examples:
        >>> from checks import domain, sampling
        >>> n, _ = domain.integers(0, 5).sample(sampling.stream(0), 100, {}, "int32")
        >>> int(n.min()) >= 0 and int(n.max()) < 5
        True
    """
    shape = _check_shape(shape)
    return _integers(low, high, shape)


@caches.register
@functools.cache
def _integers(low, high, shape) -> Domain:
    if not (isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer))):
        raise DomainError(f"integers(low, high) takes ints, got {low!r}, {high!r}")
    if high <= low:
        raise DomainError(f"integers(low, high) needs low < high, got {low}, {high}")

    def draw(key, n, shp, dtype, xp):
        values = sampling.integers(key, (n, *shp), low, high, xp=xp)
        return values, xp.zeros(n, xp.int32)

    return _domain(
        "integers",
        shape,
        ("uniform",),
        draw,
        floating=False,
        continuous=False,
        params=(("", low), ("", high)),
    )


def fixed(value: ArrayLike) -> Domain:
    """A constant, the same for every sample (cast to the case's dtype if real).

    Args:
        value: a number or an array of numbers.

    Returns:
        The domain.

    Raises:
        DomainError: ``value`` is not a number or an array of numbers.

    Examples:
        >>> from checks import domain, sampling
        >>> x, _ = domain.fixed([1.0, 2.0]).sample(sampling.stream(0), 2, {}, "float64")
        >>> x.tolist()
        [[1.0, 2.0], [1.0, 2.0]]
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise DomainError(f"fixed(value) needs a number or array, got {value!r}")
    floating = array.dtype.kind == "f"

    def draw(key, n, shp, dtype, xp):
        x = xp.asarray(array, dtype if floating else xp.int32)
        return xp.broadcast_to(x, (n, *shp)), xp.zeros(n, xp.int32)

    return _domain(
        "fixed",
        tuple(int(s) for s in array.shape),
        ("fixed",),
        draw,
        floating=floating,
        continuous=False,
        params=(("", array.tolist()),),
        self_describing=False,
    )


def custom(
    sample: Callable[[jax.Array, tuple[int, ...], DTypeLike], ArrayLike],
    shape: ShapeLike = (),
) -> Domain:
    """Values from your own sampler.

    ``sample(key, shape, dtype)`` must return an array of exactly ``shape``, which
    is the batch shape ``(n, *shape_of_one_example)``, using only ``jax.random``
    and ``jax.numpy`` (it runs inside ``jax.jit``).

    Args:
        sample: the sampler; ``key`` is a ``jax.random`` key.
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain (one stratum, ``"custom"``; no NumPy sampler).

    Raises:
        DomainError: ``sample`` is not callable, or a bad shape.

    Examples:
        >>> import jax
        >>> import numpy as np
        >>> from checks import domain, sampling
        >>> def near_one(key, shape, dtype):
        ...     return 1 + 0.01 * jax.random.normal(key, shape, dtype)
        >>> sampler = domain.custom(near_one)
        >>> x, _ = sampler.sample(sampling.stream(0), 100, {}, "float64")
        >>> bool(abs(np.asarray(x) - 1).max() < 0.1)
        True
    """
    shape = _check_shape(shape)
    if not callable(sample):
        raise DomainError(f"custom(sample) needs a callable, got {sample!r}")

    def draw(key, n, shp, dtype):
        values = jnp.asarray(sample(sampling.jax_key(key), (n, *shp), dtype))
        if jnp.issubdtype(values.dtype, jnp.floating):
            values = values.astype(dtype)
        return values, jnp.zeros(n, jnp.int32)

    name = getattr(sample, "__name__", "sample")
    params = (("", name),)
    return Domain(
        "custom", shape, ("custom",), draw, params=params, self_describing=False
    )
