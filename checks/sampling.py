"""The counter-based random streams that ``Domain.sample`` takes.

The public face of ``checks._src.declare.sampling`` (see its docstring for the math and
the sources); every name here is in ``__all__``.
"""

from checks._src.declare.sampling import (
    chunk_stream,
    integers,
    jax_key,
    normal,
    stream,
    substream,
    substream_of,
    uniform,
)

__all__ = [
    "chunk_stream",
    "integers",
    "jax_key",
    "normal",
    "stream",
    "substream",
    "substream_of",
    "uniform",
]
