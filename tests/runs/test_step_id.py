"""Step names are values: parsed and spelled in one place."""

from __future__ import annotations

import pytest

from backend.runs.step_id import StepId, run_steps


@pytest.mark.parametrize("name, step", [
    ("preprocess", StepId("preprocess")), ("layer2", StepId.fit(2)), ("curate-layer3", StepId.curate(3)),
    ("labels", StepId("labels")), ("model", StepId("model")),
])
def test_a_name_and_its_step_are_one_value(name, step):
    assert StepId.parse(name) == step and str(step) == name


@pytest.mark.parametrize("name", ["layer", "curate-layer", "curate-layer0", "layer12", "embedding", ""])
def test_anything_else_is_refused(name):
    with pytest.raises(ValueError, match="is not a step"):
        StepId.parse(name)


def test_a_run_has_its_steps_in_order():
    assert [str(s) for s in run_steps(2)] == ["preprocess", "embed", "layer1", "curate-layer1", "layer2",
                                              "curate-layer2", "labels", "model"]
