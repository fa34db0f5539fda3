"""A step of a run, as a value: its kind and, for per-layer steps, its layer ("curate-layer2")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["preprocess", "embed", "layer", "curate", "labels", "model"]
_PATTERN = re.compile(r"^(?:(preprocess|embed|labels|model)|(layer|curate-layer)([1-9]))$")


@dataclass(frozen=True, order=True)
class StepId:
    kind: Kind
    layer: int = 0  # 0 for the steps that are not per layer

    @classmethod
    def parse(cls, name: str) -> "StepId":
        match = _PATTERN.match(name)
        if not match:
            raise ValueError(f"{name!r} is not a step of a run")
        if match.group(1):
            return cls(match.group(1))  # type: ignore[arg-type]
        return cls("layer" if match.group(2) == "layer" else "curate", int(match.group(3)))

    @classmethod
    def fit(cls, layer: int) -> "StepId":
        return cls("layer", layer)

    @classmethod
    def curate(cls, layer: int) -> "StepId":
        return cls("curate", layer)

    def __str__(self) -> str:
        if self.kind == "layer":
            return f"layer{self.layer}"
        if self.kind == "curate":
            return f"curate-layer{self.layer}"
        return self.kind


def run_steps(n_layers: int) -> list[StepId]:
    """Every step of a run, in order: preprocess, embed, layer1, curate-layer1, ..., labels, model."""
    layered = [step for layer in range(1, n_layers + 1) for step in (StepId.fit(layer), StepId.curate(layer))]
    return [StepId("preprocess"), StepId("embed"), *layered, StepId("labels"), StepId("model")]
