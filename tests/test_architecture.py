"""The house rules (DESIGN.md), checked on the source with ``ast``: every import, at module level or
inside a function, must run downward, and no modules may import each other in a circle.

    pages -> app -> services -> runs -> curation -> topics -> text -> store / settings / errors / clock

``pipeline/`` is the edge: it may use any of backend/, but nothing in backend/, app/ or pages/
imports it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each room's level: a module may import its own room and rooms below it, never one above.
LEVELS = {
    "backend.errors": 0, "backend.settings": 0, "backend.clock": 0, "backend.store": 0,
    "backend.text": 1, "backend.topics": 2, "backend.curation": 3, "backend.runs": 4, "backend.services": 5,
    "app": 6, "pages": 7, "pipeline": 8,
}
BOTO_ADAPTERS = {"backend/store/s3.py", "backend/runs/callbacks.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a.b import c`` counts as a.b and, when it is one, a.b.c)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def ours() -> dict[str, Path]:
    files = [p for folder in ("backend", "app", "pages", "pipeline") for p in (ROOT / folder).rglob("*.py")]
    return {module_name(p): p for p in files}


def level(module: str) -> int | None:
    room = next((r for r in sorted(LEVELS, key=len, reverse=True) if module == r or module.startswith(r + ".")), None)
    return LEVELS[room] if room else None


def graph() -> dict[str, set[str]]:
    modules = ours()
    return {name: {m for m in imports(path) if m in modules} for name, path in modules.items()}


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            if level(source) is not None and level(target) is not None and level(target) > level(source):
                problems.append(f"{source} imports {target}, a room above it")
    return problems


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            group.append(node)
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_is_in_a_room():
    assert [m for m in ours() if level(m) is None and m not in {"backend"}] == []


def test_imports_run_downward():
    problems = upward_imports(graph())
    assert not problems, "\n".join(problems)


def test_no_modules_import_each_other_in_a_circle():
    found = circles(graph())
    assert not found, "\n".join(" <-> ".join(group) for group in found)


def test_the_guard_catches_what_it_should():
    """The checks above fail on an upward import or a circle, however the import is written."""
    fake = {"backend.topics.layer_model": {"backend.runs.record"}, "backend.runs.record": {"backend.topics.layer_model"}}
    assert upward_imports(fake) == ["backend.topics.layer_model imports backend.runs.record, a room above it"]
    assert circles(fake) == [["backend.runs.record", "backend.topics.layer_model"]]


def test_backend_imports_neither_streamlit_nor_sagemaker_and_boto3_only_in_adapters():
    for name, path in ours().items():
        if not name.startswith("backend"):
            continue
        roots = {m.split(".")[0] for m in imports(path)}
        relative = path.relative_to(ROOT).as_posix()
        assert not roots & {"streamlit", "sagemaker", "plotly"}, relative
        if relative not in BOTO_ADAPTERS:
            assert not roots & {"boto3", "botocore"}, relative


# What a page may not use: it asks backend services for data instead (DESIGN.md, rule 5).
PAGE_FORBIDDEN_MODULES = {"boto3", "botocore", "pipeline", "os", "pathlib", "shutil", "glob", "tempfile", "pickle"}
PAGE_FORBIDDEN_CALLS = {"open", "Path", "listdir", "scandir", "walk", "remove", "unlink", "mkdir", "rmtree",
                        "read_text", "write_text", "read_bytes", "write_bytes", "iterdir", "rglob",
                        "read_csv", "read_parquet", "read_json", "read_excel", "read_table", "read_pickle"}


def _called_name(node: ast.Call) -> str | None:
    """``f`` for ``f(...)``, ``obj.f(...)`` and ``a.b.f(...)``."""
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def file_system_use(source: str) -> list[str]:
    """Each import of a file-system or AWS module and each call that reads or writes files, by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{node.lineno}: import {n}" for n in names if n.split(".")[0] in PAGE_FORBIDDEN_MODULES]
        elif isinstance(node, ast.Call) and _called_name(node) in PAGE_FORBIDDEN_CALLS | {"__import__"}:
            found.append(f"{node.lineno}: {_called_name(node)}()")
    return found


def test_pages_talk_to_backend_services_only():
    offenders = {path.name: found for path in (ROOT / "pages").rglob("*.py")
                 if (found := file_system_use(path.read_text(encoding="utf-8")))}
    assert not offenders, offenders


def test_the_page_guard_catches_what_it_should():
    sneaky = ("from pathlib import Path as P\nimport os.path\nimport io\nimport pandas as pd\n"
              "x = P('a')\nio.open('f')\npd.read_csv('f')\n__import__('shutil')\n")
    assert file_system_use(sneaky) == ["1: import pathlib", "2: import os.path", "6: open()", "7: read_csv()",
                                       "8: __import__()"]
    assert file_system_use("import io\nimport pandas as pd\nbuffer = io.BytesIO()\npd.DataFrame()\n") == []


def test_only_the_layout_builds_artifact_keys():
    """Keys like runs/<id>/... are spelled in backend/store/layout.py and nowhere else."""
    key = re.compile(r"""f?["'](runs|cache|samples|settings|shards)/""")
    offenders = [f"{path.relative_to(ROOT)}:{number}" for path in ours().values()
                 if path.relative_to(ROOT).as_posix() != "backend/store/layout.py"
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if key.search(line) and not line.lstrip().startswith("#")]
    assert not offenders, "artifact keys built outside backend/store/layout.py: " + ", ".join(offenders)


def test_only_step_id_spells_step_names():
    """Step names are parsed and spelled by backend/runs/step_id.py alone (no string slicing)."""
    spelled = re.compile(r"""curate-layer|removeprefix\(["'](curate|layer)|startswith\(["'](curate|layer)""")
    offenders = [f"{path.relative_to(ROOT)}:{number}" for path in ours().values()
                 if path.relative_to(ROOT).as_posix() != "backend/runs/step_id.py"
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if spelled.search(line)]
    assert not offenders, "step names spelled outside backend/runs/step_id.py: " + ", ".join(offenders)


UNPICKLING_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def unpickling(source: str) -> list[str]:
    """Each import of a pickle-like module, ``read_pickle``, ``torch.load`` without ``weights_only=True``,
    and any ``allow_pickle`` that is not a literal False, by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{node.lineno}: import {n}" for n in names if n.split(".")[0] in UNPICKLING_MODULES]
        elif isinstance(node, ast.Call):
            keywords = {k.arg: k.value for k in node.keywords}
            name = _called_name(node)
            allow = keywords.get("allow_pickle")
            if allow is not None and not (isinstance(allow, ast.Constant) and allow.value is False):
                found.append(f"{node.lineno}: allow_pickle")
            if name == "read_pickle":
                found.append(f"{node.lineno}: read_pickle()")
            weights_only = keywords.get("weights_only")
            if (name == "load" and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "torch"
                    and not (isinstance(weights_only, ast.Constant) and weights_only.value is True)):
                found.append(f"{node.lineno}: torch.load()")
    return found


def test_nothing_unpickles_stored_artifacts():
    offenders = {str(path.relative_to(ROOT)): found for path in ours().values()
                 if (found := unpickling(path.read_text(encoding="utf-8")))}
    assert not offenders, offenders


def test_the_pickle_guard_catches_what_it_should():
    sneaky = ("from pickle import loads\nimport joblib\nimport numpy as np\nimport torch\n"
              "np.load(f, allow_pickle = True)\nflag = True\nnp.load(f, allow_pickle=flag)\n"
              "pd.read_pickle(f)\ntorch.load(f)\n")
    assert unpickling(sneaky) == ["1: import pickle", "2: import joblib", "5: allow_pickle", "7: allow_pickle",
                                  "8: read_pickle()", "9: torch.load()"]
    assert unpickling("np.load(f, allow_pickle=False)\ntorch.load(f, weights_only=True)\n") == []
