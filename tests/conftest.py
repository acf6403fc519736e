"""Settings for the whole suite: property tests keep to what they check, not to how fast they run.

Hypothesis by default fails an example that takes over 200 ms, and a test whose inputs come slowly;
on a busy machine both happen without anything being wrong."""

from hypothesis import HealthCheck, settings

settings.register_profile("cloudlet", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("cloudlet")
