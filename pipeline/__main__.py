"""``python -m pipeline`` is the ``topic-curator`` command."""

from pipeline.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
