"""Build the callback Lambda's deployment zip: the handler and only the modules it imports.

    python -m pipeline.lambda_package --output build/callback-lambda.zip    (also: make lambda)

The handler is imported in a fresh interpreter; every ``backend``/``pipeline`` module that import
loads goes into the zip, and the build stops if anything else beyond the standard library and
boto3 (which the Lambda Python runtime provides) was needed, pandas and NumPy above all.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLER = "pipeline.lambda_handler"
OURS = ("backend", "pipeline")
PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
_PROBE = """
import json, sys
before = set(sys.modules)
import {handler}
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def imported_modules() -> list[str]:
    """The top-level and package modules importing the handler loads (in a clean interpreter)."""
    probe = subprocess.run([sys.executable, "-c", _PROBE.format(handler=HANDLER)], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    return json.loads(probe.stdout)


def third_party(modules: list[str]) -> list[str]:
    """Modules that are neither ours, the standard library, nor in the Lambda runtime."""
    roots = {m.split(".")[0] for m in modules}
    return sorted(r for r in roots if r not in OURS and r not in PROVIDED and r not in sys.stdlib_module_names
                  and not r.startswith("_"))


def build(output: Path) -> list[str]:
    """Write the zip; return the files in it."""
    modules = imported_modules()
    extra = third_party(modules)
    if extra:
        raise SystemExit(f"the Lambda handler imports {', '.join(extra)}, which the Lambda runtime lacks")
    files = set()
    for name in modules:
        if name.split(".")[0] in OURS:
            path = ROOT / Path(*name.split("."))
            files.add(path / "__init__.py" if path.is_dir() else path.with_suffix(".py"))
    output.parent.mkdir(parents=True, exist_ok=True)
    names = sorted(f.relative_to(ROOT).as_posix() for f in files if f.is_file())
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(ROOT / name, name)
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=Path("build/callback-lambda.zip"))
    args = parser.parse_args(argv)
    names = build(args.output)
    print(f"Wrote {args.output} ({args.output.stat().st_size:,} bytes, {len(names)} files); "
          f"handler: {HANDLER}.handler, runtime python3.11")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
