"""SageMaker job entry points: thin adapters from SageMaker's paths and variables to backend steps.

Each job builds a small local store in its working folder with the keys the local run uses, calls
the same ``backend.runs.steps`` functions, and copies the results to the job's output folder.
"""
