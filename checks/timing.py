"""What a check costs: ``time_check`` and ``profile_check``.

The public face of ``checks._src.run.timing`` (see its docstring for the math and
the sources); every name here is in ``__all__``.
"""

from checks._src.run.timing import (
    PARTS,
    Timing,
    profile_check,
    time_check,
)

__all__ = ["PARTS", "Timing", "profile_check", "time_check"]
