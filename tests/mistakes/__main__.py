"""``python -m tests.mistakes``: the share of the corpus diagnosed and repaired."""

import time

from tests.mistakes import measure

start = time.perf_counter()
out = measure()
print(f"diagnosed as expected: {len(out.right)}/{out.total}")
print(f"diagnosed otherwise:   {len(out.wrong)}")
for line in out.wrong:
    print(f"  {line}")
print(f"no diagnosis:          {len(out.missed)} {out.missed}")
print(f"repaired by one edit:  {len(out.repaired)}/{out.total} {out.repaired}")
print(f"not failing:           {out.not_failing}")
print(f"({time.perf_counter() - start:.0f} s)")
