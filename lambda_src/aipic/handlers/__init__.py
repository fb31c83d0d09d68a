"""One module per event source; each exposes ``handler(event, context)``."""
