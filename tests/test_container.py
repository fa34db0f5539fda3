"""The image, checked by reading it (no Docker engine here); its programs run in the emulation."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    return [line.strip()[len(name) + 1:] for line in text.splitlines() if line.strip().startswith(name + " ")]


def test_sagemaker_jobs_run_as_root_and_the_app_does_not():
    # SageMaker runs `docker run <image> train` / `serve` with the image's user and mounts /opt/ml for
    # root, so the image sets no USER; the default command drops to `curator` itself.
    assert instructions("USER") == []
    assert instructions("CMD") == ['["app"]']
    app = (ROOT / "container/app").read_text()
    assert "setpriv --reuid=curator --regid=curator --init-groups" in app
    assert "COPY container/app /usr/local/bin/app" in DOCKERFILE
    assert subprocess.run(["sh", "-n", str(ROOT / "container/app")]).returncode == 0


def test_the_programs_sagemaker_runs_are_installed_by_pip():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["train"] == "pipeline.steps.train_layer:main"  # "How Amazon SageMaker AI Runs Your Training Image"
    assert scripts["serve"] == "pipeline.serve:main"  # "Custom Inference Code with Hosting Services"
    assert any(line.startswith("pip install .") for line in instructions("RUN"))


def test_serve_may_be_told_its_port():
    # "Run Real-time Predictions with an Inference Pipeline": the label says the container honours
    # SAGEMAKER_BIND_TO_PORT.
    assert "com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true" in DOCKERFILE
