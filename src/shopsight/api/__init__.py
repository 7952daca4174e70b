"""The REST API: one FastAPI app with every system's routes."""
