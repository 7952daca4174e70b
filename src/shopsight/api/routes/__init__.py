"""API routers, one module per system; routes parse, call one service, return."""
