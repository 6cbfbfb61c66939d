"""Results as plain data, and their renderings: table, JSON, listings, JUnit XML and
annotations."""
