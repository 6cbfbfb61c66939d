"""After a failure: counterexample search and shrinking, the reproduction script,
mutants, and the diagnosis."""
