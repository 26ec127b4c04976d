"""Research: Qlib datasets, the model zoo, training jobs with progress and cancel, and the run registry."""
