"""The edge: one ASGI app on one port that routes each request to the right handler."""
