"""The SageMaker pipeline: Preprocess -> TrainLayer1 -> CurateLayer1 -> TrainLayer2 -> CurateLayer2 ->
TrainLayer3 -> CurateLayer3 (optional) -> BuildModel -> RegisterModel.

Step code is baked into the project's image, so building the definition uploads nothing and makes
no AWS call: the same settings always give the same JSON. Every step reads and writes the run's
artifact store (``sagemaker.store``, s3://bucket/prefix) under ``runs/<execution id>/``, the same
layout the local runner uses, so the app shows SageMaker runs like local ones.

The definition validates against AWS's published schema (``validate.py --open``), which is
stricter than the service: job output locations and the callback queue are literal strings (from
the settings), never ``Std:Join`` or parameters. So the preprocessing shards land under
``<store>/shards/<execution id>/`` by the job's own local layout, TrainLayer1 reads that channel in
FastFile mode (nothing of other runs is downloaded), and BuildModel is a training job whose model
artifact is the ``model.tar.gz`` RegisterModel points at.
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any

from backend.approvals_aws import OUTPUT_NAME
from backend.settings import Settings

PROCESSING = "/opt/ml/processing"


def get_pipeline(settings: Settings) -> Any:
    """Build the pipeline object (sagemaker.mlops.workflow.pipeline.Pipeline) offline."""
    os.environ.setdefault("AWS_DEFAULT_REGION", settings.sagemaker.region)
    os.environ.setdefault("SAGEMAKER_VALIDATE_ROLE", "false")
    import boto3
    from sagemaker.core.processing import Processor
    from sagemaker.core.shapes import (
        OutputDataConfig,
        ProcessingInput,
        ProcessingOutput,
        ProcessingS3Input,
        ProcessingS3Output,
    )
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterInteger, ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.mlops.workflow.callback_step import CallbackOutput, CallbackStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep
    from sagemaker.train.configs import Compute, InputData
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
    run_prefix = Join(on="/", values=[store, "runs", run_id])
    settings_json = json.dumps(settings.to_dict(), sort_keys=True, separators=(",", ":"))

    def processor(module: str, count: Any = 1) -> Processor:
        return Processor(role=sm.role_arn, image_uri=sm.image_uri, instance_count=count, instance_type=p.processing_type,
                         entrypoint=["python", "-m", module], sagemaker_session=session,
                         env={"TOPIC_CURATOR_SETTINGS": settings_json}, base_job_name=f"{sm.pipeline_name}-{module.rsplit('.', 1)[-1]}")

    preprocess = ProcessingStep(name="Preprocess", step_args=processor("pipeline.steps.preprocess", p.processing_count).run(
        inputs=[ProcessingInput(input_name="records", s3_input=ProcessingS3Input(
            s3_uri=p.input_data, local_path=f"{PROCESSING}/input/records", s3_data_type="S3Prefix",
            s3_input_mode="File", s3_data_distribution_type="ShardedByS3Key"))],
        outputs=[ProcessingOutput(output_name="shards", s3_output=ProcessingS3Output(
            s3_uri=f"{store}/shards", local_path=f"{PROCESSING}/output", s3_upload_mode="EndOfJob"))],
        arguments=["--run-id", run_id],
    ))

    def train(name: str, hyperparameters: dict, channel: str, source: Any, after: Any) -> TrainingStep:
        trainer = ModelTrainer(
            training_image=sm.image_uri, role=sm.role_arn, sagemaker_session=session,
            compute=Compute(instance_type=p.training_type, instance_count=1),
            base_job_name=f"{sm.pipeline_name}-{name.lower()}", training_input_mode="FastFile",
            hyperparameters={"run_id": run_id, "store": store, "settings": settings_json, **hyperparameters},
            output_data_config=OutputDataConfig(s3_output_path=f"{store}/jobs"),
        )
        step = TrainingStep(name=name, step_args=trainer.train(
            input_data_config=[InputData(channel_name=channel, data_source=source)]))
        step.add_depends_on([after])
        return step

    def curate(layer: int, trained: TrainingStep) -> CallbackStep:
        mapping = Join(on="/", values=[run_prefix, "mapping", f"layer{layer}"])
        return CallbackStep(
            name=f"CurateLayer{layer}", sqs_queue_url=sm.callback_queue_url, depends_on=[trained],
            inputs={"run_id": run_id, "layer": str(layer), "model_artifacts": trained.properties.ModelArtifacts.S3ModelArtifacts,
                    "documents": Join(on="/", values=[run_prefix, "preprocess", "docs.parquet"]),
                    "mapping_input": mapping, "mapping_output": Join(on="/", values=[mapping, "approved.json"])},
            outputs=[CallbackOutput(output_name=OUTPUT_NAME)],
        )

    shards = preprocess.properties.ProcessingOutputConfig.Outputs["shards"].S3Output.S3Uri
    train1 = train("TrainLayer1", {"layer": "1"}, "documents", shards, preprocess)
    curate1 = curate(1, train1)
    train2 = train("TrainLayer2", {"layer": "2"}, "mapping", curate1.properties.Outputs[OUTPUT_NAME], curate1)
    curate2 = curate(2, train2)
    train3 = train("TrainLayer3", {"layer": "3"}, "mapping", curate2.properties.Outputs[OUTPUT_NAME], curate2)
    steps: list[Any] = [preprocess, train1, curate1, train2, curate2, train3]
    last_mapping = curate2.properties.Outputs[OUTPUT_NAME]
    if sm.curate_layer3:
        steps.append(curate(3, train3))
        last_mapping = steps[-1].properties.Outputs[OUTPUT_NAME]
    # A training job, so its model.tar.gz (model.json, centroids.npz) is a single property to register.
    build = train("BuildModel", {"task": "build-model"}, "mapping", last_mapping, steps[-1])
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
    """The pipeline definition as JSON (what CreatePipeline receives)."""
    import logging
    import warnings

    logging.getLogger("sagemaker").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_pipeline(settings).definition()
