"""The verdict and stability rules (the only place a tolerance or a status is decided),
a case's tally, and the evidence a documented error needs."""
