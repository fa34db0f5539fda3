"""SageMaker's container contract for bring-your-own images, read in one place.

SageMaker gives a job files, not ``SM_*`` variables: those come only from the sagemaker-training
toolkit, which this image does not ship. What AWS documents, and this module reads:

Training jobs (SageMaker Developer Guide, "How Amazon SageMaker AI Provides Training Information";
"How Amazon SageMaker AI Processes Training Output"; "How Amazon SageMaker AI Signals Algorithm
Success and Failure"):
  /opt/ml/input/config/hyperparameters.json   the job's HyperParameters, every value a string
  /opt/ml/input/config/inputdataconfig.json   one entry per input channel
  /opt/ml/input/config/resourceconfig.json    current_host and hosts
  /opt/ml/input/data/<channel>/               the channel's objects (File and FastFile modes)
  /opt/ml/model/                               saved as the job's model.tar.gz
  /opt/ml/output/failure                       why it failed (DescribeTrainingJob's FailureReason)

Processing jobs ("How Amazon SageMaker Processing Configures Your Processing Container"; "Save and
Access Metadata Information About Your Processing Job"):
  /opt/ml/config/resourceconfig.json           current_host and hosts
  /opt/ml/processing/...                       inputs and outputs at their LocalPath
  /opt/ml/output/message                       why it failed (DescribeProcessingJob's ExitMessage)
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import CuratorError

OPT_ML = Path("/opt/ml")
# Where the pipeline definition asks SageMaker to put Preprocess's input and take its output.
RECORDS_PATH = "/opt/ml/processing/input/records"
SHARDS_PATH = "/opt/ml/processing/output"
MAX_FAILURE_CHARACTERS = 1024  # FailureReason and ExitMessage keep the first 1 KB


class ContractError(CuratorError):
    """The job was not given what the pipeline definition promises it."""


def read_json(path: Path) -> Any:
    if not path.is_file():
        raise ContractError(f"{path} is missing: SageMaker writes it for every job of this kind.",
                            "Run this program as a SageMaker job (or the test emulation), not by hand.")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class TrainingJob:
    """What a training job was given, under ``root`` (``/opt/ml`` in a real job)."""

    root: Path = OPT_ML

    @property
    def hyperparameters(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in read_json(self.root / "input/config/hyperparameters.json").items()}

    def hyperparameter(self, name: str) -> str:
        value = self.hyperparameters.get(name)
        if value is None:
            raise ContractError(f"The training job has no hyperparameter {name!r}.",
                                "Upsert the pipeline again with this version of topic-curator.")
        return value

    @property
    def channels(self) -> dict[str, Any]:
        return read_json(self.root / "input/config/inputdataconfig.json")

    def channel(self, name: str) -> Path:
        """The folder holding channel ``name``'s objects."""
        if name not in self.channels:
            raise ContractError(f"The training job has no input channel {name!r} (it has: "
                                f"{', '.join(self.channels) or 'none'}).")
        return self.root / "input/data" / name

    @property
    def host(self) -> str:
        return str(read_json(self.root / "input/config/resourceconfig.json")["current_host"])

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def failure_file(self) -> Path:
        return self.root / "output/failure"


@dataclass(frozen=True)
class ProcessingJob:
    """What a processing job was given, under ``root`` (``/opt/ml`` in a real job)."""

    root: Path = OPT_ML

    @property
    def resources(self) -> dict[str, Any]:
        return read_json(self.root / "config/resourceconfig.json")

    @property
    def host(self) -> str:
        return str(self.resources["current_host"])

    @property
    def hosts(self) -> list[str]:
        return [str(h) for h in self.resources.get("hosts", [self.host])]

    def path(self, local_path: str | Path) -> Path:
        """An input's or output's LocalPath (as written in the definition) inside this root."""
        return self.root / Path(local_path).relative_to(OPT_ML)

    @property
    def failure_file(self) -> Path:
        return self.root / "output/message"


def run_job(work: Callable[[], object], failure_file: Path) -> int:
    """Run a job's work. On any failure, write one readable line where SageMaker shows it to people,
    the traceback to the log, and return a non-zero exit status (which fails the job)."""
    try:
        work()
        return 0
    except Exception as exc:  # a job must never die without saying why
        if isinstance(exc, CuratorError):
            line = exc.problem + (f" What to do: {exc.fix}" if exc.fix else "")
        else:
            line = f"{type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
        line = " ".join(line.split())[:MAX_FAILURE_CHARACTERS]
        print(f"error: {line}", file=sys.stderr)
        failure_file.parent.mkdir(parents=True, exist_ok=True)
        failure_file.write_text(line + "\n", encoding="utf-8")
        return 1
