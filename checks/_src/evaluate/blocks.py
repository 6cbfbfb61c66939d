"""Blocks and shards: how a compiled check spreads its points.

On a CPU, a function of many points is evaluated a block of points at a time
(``over_points``: ``lax.map`` over blocks of ``block_points``), so that a
rounding-error bound's long chain of elementwise operations stays in the cache;
over several devices, each evaluates its own shard of the points
(``shard_devices``, ``points_sharding``, ``on_shards``) and the outputs are
gathered to the host (``_gather``), across processes too
(``checks._src.evaluate.distributed``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import jax
import numpy as np

__all__ = [
    "block_points",
    "on_shards",
    "over_points",
    "points_sharding",
    "shard_devices",
]

# A pytree of arrays, on the device or on the host.
T = TypeVar("T")


# On a CPU, a function of many points is evaluated a block of points at a time
# (``lax.map``), each block's intermediates about BLOCK_BYTES per array, so they
# stay in the core's cache: a rounding-error bound is a long chain of elementwise
# operations and small reductions, which XLA cannot fuse into one pass, and
# vmapped over 10⁵ points each link of the chain goes to memory and back (3 to 6
# times slower, measured on the softmax Jacobian and cross-entropy references).
# Fewer than MIN_BLOCKS blocks' worth of points are vmapped whole: they fit in the
# cache anyway, and XLA compiles the loop more slowly than it runs it.
BLOCK_BYTES = 16 * 1024
MAX_BLOCK_POINTS = 512
MIN_BLOCKS = 64


def block_points(largest: int, devices: Sequence[jax.Device] = ()) -> int | None:
    """Points per block for a compiled function of many points whose largest
    value per point has ``largest`` elements, on ``devices`` (the default device
    if none; each device maps its own points, see ``on_shards``); None (vmapped
    whole) off the CPU, where a map would serialize what the device runs in
    parallel."""
    device = devices[0] if devices else jax.config.jax_default_device
    if device is None:
        platform = jax.default_backend()
    else:  # a device, or a platform's name (jax.default_device("cpu"))
        platform = device if isinstance(device, str) else device.platform
    if platform != "cpu":
        return None
    return int(np.clip(BLOCK_BYTES // (8 * max(largest, 1)), 1, MAX_BLOCK_POINTS))


def on_shards(
    fn: Callable[..., Any], sharding: jax.sharding.NamedSharding | None
) -> Callable[..., Any]:
    """``fn`` (a function of points, point by point) run by each device on its
    own shard of the points (``jax.shard_map``), so a map over blocks of points
    stays local to a device; ``fn`` itself without sharding."""
    if sharding is None:
        return fn
    spec = jax.sharding.PartitionSpec("points")
    # No collectives: every value is a point's own (constants need no marking).
    return jax.shard_map(
        fn, mesh=sharding.mesh, in_specs=spec, out_specs=spec, check_vma=False
    )


def over_points(fn: Callable[..., Any], block: int | None) -> Callable[..., Any]:
    """``jax.vmap(fn)``, or with ``block``, the same evaluated ``block`` points at
    a time (``lax.map``) when there are at least ``MIN_BLOCKS`` blocks of them."""
    batched = jax.vmap(fn)
    if block is None:
        return batched

    def mapped(*xs: jax.Array) -> Any:
        if xs[0].shape[0] < MIN_BLOCKS * block:
            return batched(*xs)
        return jax.lax.map(lambda x: fn(*x), xs, batch_size=block)

    return mapped


def points_sharding(devices: Sequence[jax.Device]) -> jax.sharding.NamedSharding:
    """Arrays whose leading (points) axis is split evenly over ``devices``."""
    mesh = jax.sharding.Mesh(np.array(devices), ("points",))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("points"))


def shard_devices(device: jax.Device, shards: int | None) -> tuple[jax.Device, ...]:
    """The devices a case's points are spread over: the first ``shards`` of ``device``'s
    platform (all of them for None), ``device`` first. Across processes started with
    ``jax.distributed`` (``checks._src.evaluate.distributed``), these are every
    process's devices in JAX's global order, the same mesh in each."""
    if shards == 1:
        return (device,)
    if jax.process_count() > 1:
        found = list(jax.devices(device.platform))
    else:
        found = [device, *(x for x in jax.devices(device.platform) if x != device)]
    return tuple(found if shards is None else found[:shards])


def _gather(outputs: T) -> T:
    """A program's outputs on this host, whole."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        return multihost_utils.process_allgather(outputs, tiled=True)
    return jax.device_get(outputs)
