"""Server-rendered pages over the same services as the API; every page has a JSON twin (`.json`)."""
