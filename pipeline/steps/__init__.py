"""SageMaker job programs: thin adapters from SageMaker's container contract (``container``) to the
same ``backend.runs.steps`` functions a local run calls."""
