"""Test configuration: float64 on, and silent broadcasting between ranks an error.

Rank promotion is the classic Jacobian bug (an (m,) vector meeting an (m, 1) one);
every closed form in the catalog must be written without it. Stored results and
compiled programs go to a directory of this test run, not the user's cache.
At the root, so that it holds for tests/ and for the catalog, whose modules
pytest collects with the plugin (``[tool.derivation-checker]`` in pyproject.toml).
"""

import os
import tempfile

import jax

os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="derivation-checker-tests-")

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
