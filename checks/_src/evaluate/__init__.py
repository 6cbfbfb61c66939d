"""Evaluating a case: the autodiff reference, the rounding-error model, and the two
engines behind it (XLA compiled, NumPy interpreted)."""
