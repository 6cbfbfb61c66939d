"""What a result depends on (code digests, imports, package versions) and the results
stored under it."""
