"""Read-only queries on the store (plain SQL, parameterised; no Streamlit)."""
