"""The checks, one module per group; every check is a pure function returning Findings."""
