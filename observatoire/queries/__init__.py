"""Read-only queries of the store (parameterised SQL, one connection passed in)."""
