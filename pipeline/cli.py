"""The ``topic-curator`` command: run the layered pipeline, inspect, approve, reject, export.

Every user error is printed as "error: <problem>" and "what to do: <fix>" with exit status 2;
nothing already saved is touched by a failed command.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from backend.errors import CuratorError
from backend.settings import Settings, TuningSettings, load_settings
from backend.store import ArtifactStore, open_store
from pipeline.output_files import check_outputs, write_output

DEFAULT_STORE = "./curator-data"
EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="topic-curator",
        description="Discover use cases in sales-opportunity text with three curated layers of topics.",
        epilog="Typical flow: run -> status -> approve (layer 1) -> approve (layer 2) -> approve (layer 3) -> export.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--store", default=DEFAULT_STORE,
                         help=f"artifact store: a folder or s3://bucket/prefix (default: {DEFAULT_STORE})")
        return sub

    run = add("run", "Start a run (or resume one with --run-id): preprocess, embed, fit layer 1, then wait for approval.")
    add_input_arguments(run)
    run.add_argument("--config", type=Path, help="TOML or JSON settings file (see README, 'Settings')")
    run.add_argument("--auto-approve", action="store_true",
                     help="approve every layer automatically (drill into the largest topics) and run to the final labels")
    run.add_argument("--run-id", help="name the run; an existing run with this id is resumed where it stopped")

    status = add("status", "Show a run's steps and what it waits for (without RUN: list the runs).")
    status.add_argument("run_id", nargs="?", metavar="RUN")

    approve = add("approve", "Approve the layer a run waits at. A local run resumes into the next layer here; "
                             "a SageMaker run is answered through its CallbackStep and goes on in SageMaker.")
    approve.add_argument("run_id", metavar="RUN")
    approve.add_argument("--mapping", type=Path, help="mapping JSON to approve (default: the latest saved version, as is)")
    approve.add_argument("--version", type=int, help="the saved mapping version you reviewed: refused if someone "
                                                     "saved a newer one since (default: the latest)")
    approve.add_argument("--layer", type=int, help="the layer you reviewed: refused if the run waits at another")
    approve.add_argument("--by", default=None, help="who approves (default: your user name; with an approver list "
                                                    "it must be who runs this: the OS account, or the AWS caller "
                                                    "for an s3:// store)")
    approve.add_argument("--config", type=Path, help="settings file whose app.approvers narrows who may approve "
                                                     "(never widens the run's own list)")
    approve.add_argument("--auto-approve", action="store_true",
                         help="after this approval, approve later layers automatically (local runs)")

    reject = add("reject", "Reject the layer a run waits at; the run stops (a SageMaker execution fails with the reason).")
    reject.add_argument("run_id", metavar="RUN")
    reject.add_argument("--reason", required=True, help="why (kept with the run, at most 256 characters)")
    reject.add_argument("--layer", type=int, help="the layer you reviewed: refused if the run waits at another")
    reject.add_argument("--by", default=None, help="who rejects (default: your user name; with an approver list "
                                                   "it must be who runs this)")
    reject.add_argument("--config", type=Path, help="settings file whose app.approvers narrows who may reject "
                                                    "(never widens the run's own list)")

    mapping = add("mapping", "Write the current mapping of the waiting layer to a file, to edit and approve with --mapping.")
    mapping.add_argument("run_id", metavar="RUN")
    mapping.add_argument("--layer", type=int, help="layer (default: the one the run waits at)")
    mapping.add_argument("--output", type=Path, required=True, help="where to write the JSON")

    export = add("export", "Export one label per input document (final, or as far as layers are approved).")
    export.add_argument("run_id", metavar="RUN")
    export.add_argument("--format", choices=["csv", "parquet"], default="csv", help="file format (default: csv)")
    export.add_argument("--output", type=Path, required=True, help="file to write")
    export.add_argument("--tree", type=Path, help="also write the curated topic tree as JSON here")

    propose = add("propose-labels", "Propose labels for a run's topics from a previous run's approved mapping.")
    propose.add_argument("run_id", metavar="RUN")
    propose.add_argument("--previous", required=True, metavar="RUN", help="the earlier run whose labels to carry over")
    propose.add_argument("--layer", type=int, help="layer (default: the one the run waits at)")
    propose.add_argument("--min-confidence", type=float, default=0.5, help="propose only matches this good (default 0.5)")
    propose.add_argument("--accept-above", type=float,
                         help="rename the topics whose proposal is at least this confident and save a new version")
    propose.add_argument("--by", default=None, help="who accepts (default: your user name)")

    predict = add("predict", "Give texts their curated use-case path with the run's registered model.")
    predict.add_argument("run_id", metavar="RUN")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", action="append", help="a text to label (repeatable)")
    source.add_argument("--input", type=Path, help="CSV with a 'text' column (or one text per line), or JSON")
    predict.add_argument("--output", type=Path, help="write JSON (or CSV by suffix) here instead of printing")

    tune = add("tune", "Search the layer model's parameters and embedding model (Bayesian, k-fold cross-validated); "
                       "write the best as a settings file for run --config.")
    add_input_arguments(tune)
    tune.add_argument("--config", type=Path, help="settings to start from; its [tuning] section sets the budget and weights")
    tune.add_argument("--trials", type=int, help=f"number of trials (default: {TuningSettings.n_trials})")
    tune.add_argument("--folds", type=int, help=f"cross-validation folds (default: {TuningSettings.n_folds})")
    tune.add_argument("--timeout-minutes", type=float, help="start no new trial after this long (default: no limit)")
    tune.add_argument("--max-documents", type=int,
                      help=f"tune on a random sample of at most this many documents (default: {TuningSettings.max_documents})")
    tune.add_argument("--models", help="comma-separated candidate embedding models (default: minilm,tfidf-svd)")
    tune.add_argument("--output", type=Path, default=Path("tuned-settings.toml"),
                      help="settings file to write (default: tuned-settings.toml); the trials go beside it "
                           "as <name>-trials.csv and a chart as <name>-history.html")

    from pipeline.sagemaker_commands import add_commands

    add_commands(commands)

    prepare = commands.add_parser(
        "prepare-models", help="Prepare the embedding backends once (ONNX export and int8, static distillation).",
        description="Export the sentence model to ONNX (fp32 and int8) and distil its static model, beside the "
                    "model (or under ~/.cache/topic-curator/models), so no run pays for it. The image runs this "
                    "at build time.")
    prepare.add_argument("--model", default="minilm", help="sentence model: 'minilm' or a local folder (default: minilm)")
    prepare.add_argument("--backend", action="append", choices=["onnx", "onnx-int8", "static"],
                         help="backend to prepare (repeatable; default: all three)")

    sample = commands.add_parser("sample", help="Write generated sample opportunity records (with their true use cases).",
                                 description="Write generated sample opportunity records (with their true use cases).")
    sample.add_argument("--rows", type=int, default=5000, help="number of records (default: 5000)")
    sample.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    sample.add_argument("--output", type=Path, required=True, help="CSV file to write")
    return parser


def add_input_arguments(sub: argparse.ArgumentParser) -> None:
    """The input records and their columns, shared by run and tune."""
    sub.add_argument("--input", type=Path, help="CSV or Parquet of records (default: the bundled sample of 5,000 generated records)")
    sub.add_argument("--id-column", help="column holding the record id (default: opportunity_id)")
    sub.add_argument("--text-columns", help="comma-separated text columns to combine (default: name, description, needs, product fields)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("BERTopic", "numba", "sentence_transformers", "urllib3", "botocore", "filelock", "gensim"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return COMMANDS[args.command](args)
    except CuratorError as exc:
        print(f"error: {exc.problem}", file=sys.stderr)
        if exc.fix:
            print(f"what to do: {exc.fix}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception as exc:
        if not type(exc).__module__.startswith(("botocore", "boto3")):
            raise
        print(f"error: an AWS call failed: {exc}", file=sys.stderr)
        print("what to do: check your AWS credentials, region and permissions (README, 'AWS set-up'), "
              "then run the command again; nothing was changed locally.", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted: finished steps are saved; resume with topic-curator run --run-id RUN", file=sys.stderr)
        return 130


@contextmanager
def _runner(store: ArtifactStore, auto_approve: bool, user: str):
    """A local runner that reports progress on the console (the line is closed however it ends)."""
    from backend.runs.runner import LocalRunner
    from pipeline.progress import ConsoleProgress

    progress = ConsoleProgress()
    try:
        yield LocalRunner(store, progress, auto_approve=auto_approve, user=user)
    finally:
        progress.close()


def cmd_run(args: argparse.Namespace) -> int:
    from backend.runs.record import load_run
    from backend.store.layout import run_key

    store = open_store(args.store)
    resuming = bool(args.run_id) and store.exists(run_key(args.run_id))
    settings = load_run(store, args.run_id).typed_settings if resuming else _settings(args)
    # --auto-approve decides as the person running the command, checked like approve.
    user = _decider(store, args, settings) if args.auto_approve else _user()
    with _runner(store, args.auto_approve, user) as runner:
        if resuming:
            print(f"Resuming run {args.run_id} (its stored settings are used).", file=sys.stderr)
            record = load_run(store, args.run_id)
            if args.auto_approve and record.waiting_at:
                runner.auto_approve_waiting(args.run_id)  # the one approval route; SageMaker runs are answered there
                record = load_run(store, args.run_id)
            if record.runs_on == "local":
                record = runner.resume(args.run_id)
        else:
            records = args.input if args.input else _sample_records(store, settings)
            record = runner.start(records, settings, args.run_id)
    _print_outcome(store, record.run_id)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from backend.runs.record import list_run_ids, load_run

    store = open_store(args.store)
    if not args.run_id:
        ids = list_run_ids(store)
        if not ids:
            print(f"No runs in {store.uri()} yet. Start one with: topic-curator run")
        for run_id in ids:
            record = load_run(store, run_id)
            where = f" at {record.waiting_at}" if record.waiting_at else ""
            print(f"{run_id}  {_shown_status(store, record)}{where}  ({record.created_at})")
        return 0
    from backend.runs.decisions import finish_decided

    record = finish_decided(store, args.run_id)  # never "waiting" for a decision already made
    print(f"run {record.run_id}: {_shown_status(store, record)}  (created {record.created_at}, updated {record.updated_at})")
    if record.input:
        print("input: " + ", ".join(f"{k}={v}" for k, v in record.input.items()))
    for name, state in record.steps.items():
        took = f"{state.seconds:7.1f}s" if state.seconds is not None else " " * 8
        print(f"  {name:<15} {state.status:<8} {took}  {state.detail}")
    if record.error:
        print(f"error: {record.error}")
    _print_outcome(store, record.run_id, header=False)
    return 0


def _shown_status(store: ArtifactStore, record) -> str:
    """The stored status, except that a run whose process was killed reads "interrupted", with how to resume."""
    from backend.runs.lease import derived_status, resume_hint

    status = derived_status(store, record.status, record.run_id, record.runs_on, record.updated_at)
    return f"interrupted — {resume_hint(store.uri(), record.run_id)}" if status == "interrupted" else status


def cmd_approve(args: argparse.Namespace) -> int:
    from backend.curation.mapping import mapping_from_json
    from backend.runs.decisions import approve

    store = open_store(args.store)
    mapping = None
    if args.mapping:
        if not args.mapping.is_file():
            raise CuratorError(f"Mapping file {args.mapping} does not exist.", "Check the --mapping path.")
        mapping = mapping_from_json(args.mapping.read_bytes(), str(args.mapping))
    settings = _decision_settings(store, args)
    user = _decider(store, args, settings)
    if mapping is not None and args.version is not None:
        raise CuratorError("Give --mapping or --version, not both.",
                           "A --mapping file names the version it was edited from in its own \"version\".")
    outcome = approve(store, args.run_id, user, settings, layer=args.layer,
                      version=args.version, mapping=mapping)
    print(f"Approved layer {outcome.approval.layer} of run {args.run_id} (mapping version {outcome.mapping.version}).")
    if outcome.resume_locally:
        with _runner(store, args.auto_approve, user) as runner:
            runner.resume(args.run_id)
    else:
        print("Sent to the waiting SageMaker CallbackStep: the pipeline goes on in SageMaker "
              "(topic-curator sagemaker status shows it).")
    _print_outcome(store, args.run_id)
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    from backend.runs.decisions import reject

    store = open_store(args.store)
    settings = _decision_settings(store, args)
    outcome = reject(store, args.run_id, _decider(store, args, settings), args.reason, settings, layer=args.layer)
    where = " (SageMaker was told: its execution fails with this reason)" if outcome.approval.on_sagemaker else ""
    print(f"Run {args.run_id} rejected and stopped{where}: {outcome.approval.reason}")
    return 0


def _decision_settings(store: ArtifactStore, args: argparse.Namespace) -> Settings:
    """The run's settings, with who may decide: the run's own app.approvers, and a --config file's
    too. A --config can only narrow the run's list (a person must be on both), never widen it."""
    from dataclasses import replace

    from backend.runs.record import load_run

    settings = load_run(store, args.run_id).typed_settings
    if not args.config:
        return settings
    own, given = settings.app.approvers, load_settings(args.config).app.approvers
    both = tuple(a for a in own if a.lower() in {g.lower() for g in given}) if own and given else own or given
    if own and given and not both:
        raise CuratorError(f"No one is on both the run's approver list ({', '.join(own)}) and {args.config}'s "
                           f"({', '.join(given)}).", "Use a --config whose app.approvers names people on the run's list.")
    return replace(settings, app=replace(settings.app, approvers=both))


def _decider(store: ArtifactStore, args: argparse.Namespace, settings: Settings) -> str:
    """Who decides. Without an approver list, --by or the user name, as ever. With one, the person
    is who the system says: the OS account, or the AWS caller for an s3:// store; --by may only
    repeat that name (it narrows, never changes, who decides)."""
    if not settings.app.approvers:
        return getattr(args, "by", None) or _user()
    names = _aws_caller() if store.uri().startswith("s3://") else [_os_account()]
    listed = {a.lower(): a for a in settings.app.approvers}
    who = next((listed[n.lower()] for n in names if n.lower() in listed), names[-1])
    by = getattr(args, "by", None)
    if by and by.strip().lower() not in {n.lower() for n in names}:
        raise CuratorError(f"--by {by} is not who runs this command ({names[-1]}); with an approver list, "
                           "decisions are made under your own identity.",
                           "Leave out --by, or run the command as that person.")
    return who


def _os_account() -> str:
    """The OS account running the command (from the process's user id: $USER is easy to set)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no pwd on Windows; a user id without an account entry
        return _user()


def _aws_caller() -> list[str]:
    """The AWS caller (STS GetCallerIdentity): its ARN, then its user or role-session name."""
    import boto3

    arn = boto3.client("sts").get_caller_identity()["Arn"]
    return [arn, arn.rsplit("/", 1)[-1]]


def cmd_mapping(args: argparse.Namespace) -> int:
    from backend.curation.versions import load_version

    check_outputs(args.output)
    store = open_store(args.store)
    layer = args.layer or _waiting_layer(store, args.run_id)
    mapping = load_version(store, args.run_id, layer)
    text = json.dumps(mapping.to_dict(), indent=2, ensure_ascii=False)
    write_output(args.output, lambda path: path.write_text(text, encoding="utf-8"))
    print(f"Wrote layer-{layer} mapping version {mapping.version} to {args.output}.")
    print(f"Edit labels, statuses ('kept', 'merged', 'discarded'), merged_into and drill_down, then:\n"
          f"  topic-curator approve {args.run_id} --mapping {args.output}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from backend.runs.record import load_run
    from backend.runs.steps import current_labels
    from backend.store.csv_export import csv_bytes
    from backend.store.layout import labels_key, records_key

    check_outputs(args.output, args.tree)
    store = open_store(args.store)
    record = load_run(store, args.run_id)
    if store.exists(labels_key(args.run_id)):
        labels = store.read_parquet(labels_key(args.run_id))
    else:
        records = store.read_parquet(records_key(args.run_id))
        ids = records[record.typed_settings.input.id_column].astype(str).tolist()
        labels = current_labels(store, args.run_id, ids)
        print(f"Note: run {args.run_id} is {record.status}; labels cover the layers approved so far.", file=sys.stderr)
    tree = None
    if args.tree:  # made before anything is written: a failure here leaves no labels file behind
        from backend.runs.steps import current_tree

        tree = json.dumps(current_tree(store, args.run_id, labels), indent=2, ensure_ascii=False)
    if args.format == "csv":
        write_output(args.output, lambda path: path.write_bytes(csv_bytes(labels)))
    else:
        write_output(args.output, lambda path: labels.to_parquet(path, index=False))
    print(f"Wrote {len(labels)} labels to {args.output}.")
    if tree is not None:
        write_output(args.tree, lambda path: path.write_text(tree, encoding="utf-8"))
        print(f"Wrote the topic tree to {args.tree}.")
    return 0


def cmd_propose_labels(args: argparse.Namespace) -> int:
    from backend.curation.label_transfer import apply_proposals
    from backend.curation.previous_run import propose_from_previous_run
    from backend.curation.session import CurationSession

    store = open_store(args.store)
    layer = args.layer or _waiting_layer(store, args.run_id)
    proposals = propose_from_previous_run(store, args.run_id, layer, args.previous, args.min_confidence)
    session = CurationSession(store, args.run_id, layer, args.by or _user())
    print(f"{len(proposals)} of {len(session.result.topics)} layer-{layer} topics match a topic of run {args.previous}:")
    for key, proposal in sorted(proposals.items(), key=lambda kv: -kv[1].confidence):
        current = session.mapping.topics[key].label
        print(f"  {key:>6}  {current[:40]:<40} -> {proposal.label[:40]:<40} confidence {proposal.confidence:.2f}")
    if args.accept_above is None:
        print("Accept with --accept-above CONFIDENCE (e.g. 0.8); the others keep their labels.")
        return 0
    accepted = [k for k, p in proposals.items() if p.confidence >= args.accept_above]
    if not accepted:
        print(f"No proposal reaches {args.accept_above}; nothing changed.")
        return 0
    for op in apply_proposals(session.mapping, session.index, proposals, accepted, session.user).operations[
        len(session.mapping.operations):
    ]:
        session.apply(op)
    saved = session.save()
    print(f"Renamed {len(accepted)} topic(s); saved as version {saved.version}.")
    return 0


def cmd_sagemaker(args: argparse.Namespace) -> int:
    from pipeline import sagemaker_commands

    return sagemaker_commands.run(args, load_settings(args.config))


def cmd_prepare_models(args: argparse.Namespace) -> int:
    import time

    from backend.text.encoders import model_path, prepare

    source = model_path(args.model)
    for backend in args.backend or ["onnx", "onnx-int8", "static"]:
        started = time.perf_counter()
        folder = prepare(source, backend)
        print(f"{backend}: {folder} ({time.perf_counter() - started:.0f} s)")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from backend.text.sample_data import write_sample

    check_outputs(args.output)
    path = write_sample(args.output, args.rows, args.seed)
    print(f"Wrote {args.rows} generated records to {path}.")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from backend.errors import RunStateError
    from backend.store.layout import model_prefix
    from backend.topics.inference_model import InferenceModel
    from pipeline.inference import CSV, JSON, LoadedModel, input_fn, output_fn, predict_fn

    check_outputs(args.output)
    store = open_store(args.store)
    if not InferenceModel.is_saved(store, model_prefix(args.run_id)):
        raise RunStateError(f"Run {args.run_id} has no model yet.", "Finish the run (approve every layer) first.")
    model = InferenceModel.load(store, model_prefix(args.run_id))
    loaded = LoadedModel(model, model.embedder())
    if args.text:
        texts = args.text
    else:
        texts = input_fn(args.input.read_bytes(), JSON if args.input.suffix == ".json" else CSV)
    body, _ = output_fn(predict_fn(texts, loaded), CSV if args.output and args.output.suffix == ".csv" else JSON)
    if args.output:
        write_output(args.output, lambda path: path.write_text(body, encoding="utf-8"))
        print(f"Wrote {len(texts)} predictions to {args.output}.")
    else:
        print(body)
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from backend.text.input_data import read_table, validate_table
    from backend.text.preprocess import preprocess
    from backend.topics.tuning import tune
    from pipeline.progress import ConsoleProgress
    from pipeline.tune_report import print_trial, write_outputs

    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    settings = _settings(args, tuning__n_trials=args.trials, tuning__n_folds=args.folds,
                         tuning__timeout_minutes=args.timeout_minutes, tuning__max_documents=args.max_documents,
                         tuning__embedding_models=models)
    check_outputs(args.output)  # before minutes of tuning, not after
    store = open_store(args.store)
    records = read_table(args.input, settings.input.encoding) if args.input else _sample_records(store, settings)
    records = validate_table(records, settings.input.id_column, settings.input.text_columns)
    progress = ConsoleProgress()
    try:
        docs = preprocess(records, settings, progress).docs
        print(f"Tuning on {min(len(docs), settings.tuning.max_documents)} of {len(docs)} documents: "
              f"{settings.tuning.n_trials} trials x {settings.tuning.n_folds} folds "
              f"(Ctrl-C keeps the best trial so far).", file=sys.stderr)
        result = tune(docs, settings, store, on_trial=lambda report: (progress.close(), print_trial(report)),
                      progress=progress)
    finally:
        progress.close()
    for path in write_outputs(result, args.output):
        print(f"Wrote {path}")
    print(f"Use it: topic-curator run --config {args.output}" + (f" --input {args.input}" if args.input else ""))
    return 0


COMMANDS = {
    "run": cmd_run,
    "status": cmd_status,
    "approve": cmd_approve,
    "reject": cmd_reject,
    "mapping": cmd_mapping,
    "export": cmd_export,
    "propose-labels": cmd_propose_labels,
    "predict": cmd_predict,
    "sagemaker": cmd_sagemaker,
    "tune": cmd_tune,
    "sample": cmd_sample,
    "prepare-models": cmd_prepare_models,
}


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    text_columns = [c.strip() for c in args.text_columns.split(",") if c.strip()] if args.text_columns else None
    return load_settings(args.config, input__id_column=args.id_column, input__text_columns=text_columns, **overrides)


def _sample_records(store: ArtifactStore, settings: Settings) -> pd.DataFrame:
    """The bundled sample: generated once (deterministically) and kept in the store."""
    from backend.store.layout import sample_key
    from backend.text.sample_data import generate_opportunities

    key = sample_key(settings.sample_size, settings.seed)
    if not store.exists(key):
        print(f"Generating the sample data ({settings.sample_size} records) into {store.uri(key)} ...", file=sys.stderr)
        frame = generate_opportunities(settings.sample_size, seed=settings.seed)
        store.write_bytes(key, frame.to_csv(index=False).encode("utf-8"))
    return pd.read_csv(io.BytesIO(store.read_bytes(key)), dtype=str, keep_default_na=False)


def _print_outcome(store: ArtifactStore, run_id: str, header: bool = True) -> None:
    from backend.runs.approvals import load_approval
    from backend.runs.record import load_run
    from backend.store.layout import labels_key

    record = load_run(store, run_id)
    if header:
        print(f"run id: {run_id}")
    if record.status == "waiting" and record.waiting_at:
        approval = load_approval(store, run_id, record.waiting_at)
        args = approval.arguments
        print(f"waiting at: {record.waiting_at} (layer {approval.layer}), token {approval.token}")
        print(f"  topics and model: {args['model_artifacts']}")
        print(f"  mapping versions: {args['mapping_versions']}")
        print(f"  approve as is:    topic-curator approve {run_id} --store {store.uri()}")
        print(f"  edit, then approve: topic-curator mapping {run_id} --output mapping.json --store {store.uri()}")
        print(f"  reject:           topic-curator reject {run_id} --reason '...' --store {store.uri()}")
    elif record.status == "completed":
        print(f"completed: labels in {store.uri(labels_key(run_id))} (and .csv)")
        print(f"  export: topic-curator export {run_id} --format csv --output labels.csv --store {store.uri()}")
    elif record.status in {"failed", "rejected"}:
        print(f"{record.status}: {record.error or 'see topic-curator status ' + run_id}")


def _waiting_layer(store: ArtifactStore, run_id: str) -> int:
    from backend.errors import RunStateError
    from backend.runs.record import load_run

    waiting = load_run(store, run_id).waiting_step
    if waiting is None:
        raise RunStateError(f"Run {run_id} waits at no layer.", "Name one with --layer.")
    return waiting.layer


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"
