"""Testing support: a pytest plugin that runs a real cloudlet in-process."""
