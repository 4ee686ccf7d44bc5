"""Read-only questions to the store: parameterised SQL on a connection passed in, answers as
DataFrames or dataclasses; no Streamlit, no writes."""
