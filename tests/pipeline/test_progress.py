from __future__ import annotations

import io

from pipeline.progress import ConsoleProgress


def test_a_log_gets_every_new_stage_and_its_end():
    stream = io.StringIO()
    progress = ConsoleProgress(stream)
    for stage, fraction in [("embed", 0.0), ("embed", 0.1), ("embed", 1.0), ("layer1", 0.0), ("layer1", 0.7)]:
        progress(stage, fraction)
    lines = stream.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["embed", "embed", "layer1"]
    assert "100.0%" in lines[1]
