"""Runs: the run record, its steps, the local runner, approvals and the SageMaker callback route."""
