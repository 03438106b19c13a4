"""Developer tooling: the demo data set and the synthetic benchmark data generator.
Nothing in the API imports it."""
