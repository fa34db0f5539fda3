"""The edges: the command line, the SageMaker definition and job programs, the model server, the Lambda."""
