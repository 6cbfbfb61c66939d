"""Running checks: verify and check_all, targets, time limits, caches, timing, the
command line and the pytest plugin."""
