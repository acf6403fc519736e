"""STS: who is calling, and temporary credentials."""
