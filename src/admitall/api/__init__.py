"""The HTTP API: thin FastAPI routes over the services. Authentication and scoping live in `deps`."""
