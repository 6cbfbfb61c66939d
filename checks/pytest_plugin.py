"""The pytest plugin (``-p checks.pytest_plugin``, or active once the package is
installed): each entry of a derivations file as a test item. Its hooks are
implemented in ``checks._src.run.pytest_plugin``."""

from checks._src.run.pytest_plugin import (
    pytest_addoption,
    pytest_collect_file,
    pytest_collection_modifyitems,
    pytest_configure,
)

__all__ = [
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_collection_modifyitems",
    "pytest_configure",
]
