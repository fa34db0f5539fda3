"""The SageMaker pipeline: Preprocess -> TrainLayer1 -> CurateLayer1 -> TrainLayer2 -> CurateLayer2 ->
TrainLayer3 -> CurateLayer3 (optional) -> BuildModel -> RegisterModel.

Step code is baked into the project's image, so building the definition uploads nothing and makes
no AWS call: the same settings always give the same JSON. Every step reads and writes the run's
artifact store (``sagemaker.store``, s3://bucket/prefix) under ``runs/<execution id>/``, the same
layout the local runner uses, so the app shows SageMaker runs like local ones.

Jobs get only short values: the settings travel as an object in the store (``job_settings``), and
each job is given its URI, so no request comes near SageMaker's limits (256 characters per
environment value, 2,500 per hyperparameter); ``check_limits`` refuses a definition that would, with
botocore's own numbers. Each execution's preprocessing shards go under
``<store>/shards/<execution id>/`` and TrainLayer1's channel reads exactly that prefix (FastFile:
streamed as read); later layers and BuildModel get the mapping version the last CallbackStep
approved as a one-file channel. BuildModel is a training job whose model artifact is the
``model.tar.gz`` RegisterModel points at.

The definition validates against AWS's published schema, except that the schema predates
``Std:Join`` in job arguments, which the SDK emits and the service resolves (the schema's README).
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any

from backend.errors import SettingsError
from backend.runs.callbacks import callback_step_name
from backend.runs.decisions import OUTPUT_NAME
from backend.settings import Settings
from backend.store.layout import DOCS, JOBS, RUNS, SHARDS, mapping_folder
from backend.topics.stages import check_stages
from pipeline.aws_limits import definition_problems
from pipeline.job_settings import settings_uri
from pipeline.steps.container import RECORDS_PATH, SHARDS_PATH


def get_pipeline(settings: Settings) -> Any:
    """Build the pipeline object (sagemaker.mlops.workflow.pipeline.Pipeline) offline."""
    os.environ.setdefault("AWS_DEFAULT_REGION", settings.sagemaker.region)
    os.environ.setdefault("SAGEMAKER_VALIDATE_ROLE", "false")
    import boto3
    from sagemaker.core.processing import Processor
    from sagemaker.core.shapes import (
        Channel,
        DataSource,
        OutputDataConfig,
        ProcessingInput,
        ProcessingOutput,
        ProcessingS3Input,
        ProcessingS3Output,
        S3DataSource,
        StoppingCondition,
    )
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterInteger, ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.mlops.workflow.callback_step import CallbackOutput, CallbackStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep
    from sagemaker.train.configs import Compute
    from sagemaker.train.model_trainer import ModelTrainer

    sm = settings.sagemaker
    bucket = sm.store.removeprefix("s3://").split("/")[0]
    session = PipelineSession(boto_session=boto3.Session(region_name=sm.region), default_bucket=bucket)
    p = SimpleNamespace(
        input_data=ParameterString("InputData", default_value=sm.input_data),
        processing_type=ParameterString("ProcessingInstanceType", default_value=sm.processing_instance_type),
        processing_count=ParameterInteger("ProcessingInstanceCount", default_value=sm.processing_instance_count),
        training_type=ParameterString("TrainingInstanceType", default_value=sm.training_instance_type),
        group=ParameterString("ModelPackageGroup", default_value=sm.model_package_group),
        approval=ParameterString("ModelApprovalStatus", default_value="PendingManualApproval"),
    )
    store = sm.store.rstrip("/")
    run_id = ExecutionVariables.PIPELINE_EXECUTION_ID
    run_prefix = Join(on="/", values=[store, RUNS, run_id])
    settings_object = settings_uri(settings)
    # The jobs' S3 client finds the store's region without guessing.
    environment = {"AWS_DEFAULT_REGION": sm.region}

    job_role = sm.job_role_arn or sm.role_arn
    processor = Processor(role=job_role, image_uri=sm.image_uri, instance_count=p.processing_count,
                          instance_type=p.processing_type, entrypoint=["python", "-m", "pipeline.steps.preprocess"],
                          sagemaker_session=session, env=environment, base_job_name=f"{sm.pipeline_name}-preprocess",
                          max_runtime_in_seconds=sm.max_runtime_seconds)
    preprocess = ProcessingStep(name="Preprocess", step_args=processor.run(
        inputs=[ProcessingInput(input_name="records", s3_input=ProcessingS3Input(
            s3_uri=p.input_data, local_path=RECORDS_PATH, s3_data_type="S3Prefix",
            s3_input_mode="File", s3_data_distribution_type="ShardedByS3Key"))],
        outputs=[ProcessingOutput(output_name="shards", s3_output=ProcessingS3Output(
            s3_uri=Join(on="/", values=[store, SHARDS, run_id]), local_path=SHARDS_PATH, s3_upload_mode="EndOfJob"))],
        arguments=["--run-id", run_id, "--settings", settings_object],
    ))

    def channel(name: str, source: Any, mode: str) -> Channel:
        return Channel(channel_name=name, input_mode=mode, data_source=DataSource(s3_data_source=S3DataSource(
            s3_data_type="S3Prefix", s3_uri=source, s3_data_distribution_type="FullyReplicated")))

    def train(name: str, hyperparameters: dict, data: Channel, after: Any) -> TrainingStep:
        trainer = ModelTrainer(
            training_image=sm.image_uri, role=job_role, sagemaker_session=session,
            compute=Compute(instance_type=p.training_type, instance_count=1),
            base_job_name=f"{sm.pipeline_name}-{name.lower()}", environment=environment,
            hyperparameters={"run_id": run_id, "store": store, "settings": settings_object, **hyperparameters},
            output_data_config=OutputDataConfig(s3_output_path=f"{store}/{JOBS}"),
            stopping_condition=StoppingCondition(max_runtime_in_seconds=sm.max_runtime_seconds),
        )
        step = TrainingStep(name=name, step_args=trainer.train(input_data_config=[data]))
        step.add_depends_on([after])
        return step

    def approved(curate: CallbackStep) -> Channel:
        return channel("mapping", curate.properties.Outputs[OUTPUT_NAME], "File")

    def curate(layer: int, trained: TrainingStep) -> CallbackStep:
        # What the inbox records and the app shows; the answer's output is the approved mapping version.
        return CallbackStep(
            name=callback_step_name(layer), sqs_queue_url=sm.callback_queue_url, depends_on=[trained],
            inputs={"run_id": run_id, "layer": str(layer), "model_artifacts": trained.properties.ModelArtifacts.S3ModelArtifacts,
                    "documents": Join(on="/", values=[run_prefix, DOCS]),
                    "mapping_versions": Join(on="/", values=[run_prefix, mapping_folder(layer)])},
            outputs=[CallbackOutput(output_name=OUTPUT_NAME)],
        )

    shards = preprocess.properties.ProcessingOutputConfig.Outputs["shards"].S3Output.S3Uri
    train1 = train("TrainLayer1", {"layer": "1"}, channel("documents", shards, "FastFile"), preprocess)
    curate1 = curate(1, train1)
    train2 = train("TrainLayer2", {"layer": "2"}, approved(curate1), curate1)
    curate2 = curate(2, train2)
    train3 = train("TrainLayer3", {"layer": "3"}, approved(curate2), curate2)
    steps: list[Any] = [preprocess, train1, curate1, train2, curate2, train3]
    last_curate = curate2
    if sm.curate_layer3:
        last_curate = curate(3, train3)
        steps.append(last_curate)
    # A training job, so its model.tar.gz (model.json, centroids.npz) is a single property to register.
    build = train("BuildModel", {"task": "build-model"}, approved(last_curate), steps[-1])
    model_data = build.properties.ModelArtifacts.S3ModelArtifacts
    steps += [build, _register_step(session, sm.image_uri, model_data, p.group, p.approval, build)]
    return Pipeline(name=sm.pipeline_name, parameters=list(vars(p).values()), steps=steps, sagemaker_session=session)


def _register_step(session: Any, image_uri: str, model_data: Any, group: Any, approval: Any, after: Any) -> Any:
    """ModelStep registering the nearest-centroid model in the model package group.

    SDK 3.27's public route (ModelBuilder.register) uploads code even under a PipelineSession; our
    code is in the image, so the register request is built directly and wrapped the way
    ``ModelStep`` expects (its ``_ModelStepArguments``).
    """
    from sagemaker.core.model_registry import get_create_model_package_request
    from sagemaker.core.workflow.pipeline_context import _ModelStepArguments
    from sagemaker.mlops.workflow.model_step import ModelStep

    arguments = _ModelStepArguments(SimpleNamespace(sagemaker_session=session))
    arguments.caller_name = "create_model_package_from_containers"
    arguments.create_model_package_request = get_create_model_package_request(
        containers=[{"Image": image_uri, "ModelDataUrl": model_data}],
        content_types=["text/csv", "application/json"], response_types=["application/json", "text/csv"],
        inference_instances=["ml.m5.large", "ml.c5.xlarge"], transform_instances=["ml.m5.large"],
        model_package_group_name=group, approval_status=approval,
        description="topic-curator: curated use-case paths by nearest centroid over sentence embeddings",
    )
    return ModelStep(name="RegisterModel", step_args=arguments, depends_on=[after])


def definition_json(settings: Settings) -> str:
    """The pipeline definition as JSON (what CreatePipeline receives), checked against the API limits."""
    import logging

    check_stages(settings.layer)
    if settings.n_layers != 3:
        raise SettingsError(f"n_layers is {settings.n_layers}; the SageMaker pipeline always fits three layers.",
                            "Set n_layers = 3 for SageMaker (drill into nothing to stop earlier), or run locally.")
    import warnings

    logging.getLogger("sagemaker").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body = get_pipeline(settings).definition()
    check_limits(json.loads(body))
    return body


def check_limits(definition: dict) -> None:
    """Refuse a definition whose jobs SageMaker would refuse to create (botocore's limits)."""
    problems = definition_problems(definition)
    if problems:
        raise SettingsError("SageMaker would refuse this pipeline's jobs: " + "; ".join(problems[:5]) + ".",
                            "Shorten those values in the [sagemaker] settings (image, store, role, names).")
