"""Function execution: code store, sandboxes, the Runtime API, runtimes, the environment pool."""
