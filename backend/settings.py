"""One typed settings object for the whole product, loaded once and passed explicitly.

A settings file is TOML (or JSON) whose sections mirror the dataclasses below, for example::

    [input]
    id_column = "opportunity_id"
    text_columns = ["opportunity_name", "description", "customer_needs"]

    [layer]
    n_topics = 18

Unknown sections or keys are refused with the list of known ones, so a typo never passes silently.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.errors import SettingsError
from backend.store.base import ArtifactStore
from backend.store.layout import run_key

DEFAULT_TEXT_COLUMNS = (
    "opportunity_name",
    "description",
    "customer_needs",
    "product_name",
    "product_details",
    "product_group",
)

# spaCy's default nlp.max_length: longer texts raise E088.
MAX_SPACY_CHARS = 1_000_000

DEFAULT_TEMPLATE_PATTERNS = (
    r"opportunity created from (?:the )?web ?form[^.\n]*[.\n]?",
    r"auto[- ]?generated (?:by|from) [a-z ]+[.\n]?",
    r"created via (?:salesforce|crm|hubspot)[^.\n]*[.\n]?",
    r"see attached(?: file| document| notes)?[.\n]?",
    r"please refer to (?:the )?(?:notes|attachment)[^.\n]*[.\n]?",
    r"\[(?:internal|template|placeholder|tbd|n/?a)\]",
    r"\b(?:tbd|n/a|none|null|nan)\b",
    r"(?:description|customer needs|next steps|notes)\s*:",
)


@dataclass(frozen=True)
class InputSettings:
    """Which columns of the input table are the id, the text, and known entity names."""

    id_column: str = "opportunity_id"
    text_columns: tuple[str, ...] = DEFAULT_TEXT_COLUMNS
    # Columns whose values are names to remove from the text when no spaCy NER model is installed.
    entity_columns: tuple[str, ...] = ("account_name", "owner_email", "contact_name")
    encoding: str = "utf-8"


@dataclass(frozen=True)
class CleaningSettings:
    """Text cleaning rules; every step can be switched off."""

    template_patterns: tuple[str, ...] = DEFAULT_TEMPLATE_PATTERNS
    expand_contractions: bool = True
    remove_urls: bool = True
    remove_emails: bool = True
    remove_phone_numbers: bool = True
    remove_entities: bool = True
    # spaCy entity labels that carry no use-case signal.
    entity_labels: tuple[str, ...] = (
        "PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "DATE", "TIME", "MONEY", "CARDINAL",
        "PERCENT", "QUANTITY", "ORDINAL",
    )
    spacy_model: str = "en_core_web_sm"
    extra_stop_words: tuple[str, ...] = ()
    min_words: int = 1
    # Entities and keywords are found in at most this many characters of each record's text; the rest
    # is cut (counted and logged; text_raw keeps it all). spaCy refuses texts over 1,000,000
    # characters (E088) and its NER needs about 1 GB of memory per 100,000; CRM descriptions are a
    # few hundred characters and the embedding model reads only the first few hundred words anyway.
    max_document_chars: int = 100_000


@dataclass(frozen=True)
class EmbeddingSettings:
    """Which sentence-embedding model to use and how."""

    # "minilm" is the offline all-MiniLM-L6-v2 package; "tfidf-svd" the TF-IDF + SVD baseline
    # (local runs only); "hashing" a fast, model-free stand-in for tests; anything else is a
    # sentence-transformers model name or a local path.
    model: str = "minilm"
    # How the sentence model runs (backend/text/encoders.py): "auto" (torch in fp16 on a CUDA
    # device, else the CPU default below), "torch", "onnx", "onnx-int8", or "static" (a quick-preview
    # tier: much faster, much weaker). The CPU default comes from bench/QUALITY.md, 'Embedding backends'.
    backend: str = "auto"
    # Tokens read per text: CRM text is short, and attention costs grow with the square of this.
    max_seq_length: int = 256
    batch_size: int = 64
    cache: bool = True


@dataclass(frozen=True)
class LayerSettings:
    """Parameters of one layer model: UMAP -> BIRCH -> class-based TF-IDF."""

    n_topics: int = 20
    min_topics: int = 15
    max_topics: int = 25
    # The layer model's stages, by name (backend/topics/stages.py): the reducer "umap" (the real
    # thing) or "pca" (fast, for tests and very small layers), the clusterer "birch", and the
    # keyword vectorizer "count".
    reducer: str = "umap"
    clusterer: str = "birch"
    vectorizer: str = "count"
    # UMAP and BIRCH defaults were chosen with `topic-curator tune` on BBC News and the generated
    # data (bench/QUALITY.md): a little min_dist and 7 components beat BERTopic's 15/5/0.0.
    umap_n_neighbors: int = 13
    umap_n_components: int = 7
    umap_min_dist: float = 0.1
    umap_metric: str = "cosine"
    # None: derived from the data so BIRCH has enough sub-clusters to reach n_topics.
    birch_threshold: float | None = None
    birch_branching_factor: int = 60
    # How BIRCH groups its sub-clusters into topics: "weighted-kmeans" (each sub-cluster weighs its
    # documents) or "ward" (scikit-learn's unweighted Ward linkage, the default before 2026-12).
    # Weighted k-means raised layer-1 NMI on the generated sample, 20 Newsgroups and BBC alike
    # (bench/QUALITY.md, 'Levers').
    birch_final_step: str = "weighted-kmeans"
    ngram_range: tuple[int, int] = (1, 2)
    # Keyword terms must appear in at least this many documents (1 would let the vocabulary of a
    # million bigram-rich documents grow without bound for no measurable gain in coherence).
    min_df: int = 2
    top_n_words: int = 10
    # How keywords are weighed (backend/topics/ctfidf.py): "coherent" favours words many of a
    # topic's documents use and few other documents do; "bertopic" is BERTopic's c-TF-IDF (the
    # default before 2026-12). "coherent" raised NPMI on BBC, 20 Newsgroups and the generated
    # sample alike; BERTopic's MMR and KeyBERTInspired scored below it (bench/QUALITY.md, 'Keywords').
    keyword_weighting: str = "coherent"
    n_representative_docs: int = 5
    # Fit the reducer and clusterer on at most this many documents (a fixed random sample; 0: all)
    # and place the others by "neighbours" (their nearest sampled documents) or "transform"
    # (bench/QUALITY.md, 'A layer on a sample').
    fit_sample: int = 50_000
    placement: str = "neighbours"
    # 2-D coordinates for the document map: "umap" or "pca".
    coords: str = "umap"
    random_state: int = 42


@dataclass(frozen=True)
class DrillDownSettings:
    """How layers 2 and 3 split their parents, and which parents --auto-approve drills into."""

    min_parent_docs: int = 40
    docs_per_subtopic: int = 60
    min_subtopics: int = 2
    max_subtopics: int = 8
    # --auto-approve drills into the topics holding at least this share of their layer's documents.
    auto_min_share: float = 0.04
    auto_max_parents: int = 8


@dataclass(frozen=True)
class AppSettings:
    """The curation app: where it reads runs, who may approve, how much it draws."""

    store: str = "./curator-data"
    # Empty: anyone with a name may approve. Otherwise only these names (or login e-mails).
    approvers: tuple[str, ...] = ()
    # The document map draws at most this many points (a random, fixed sample beyond it).
    max_map_points: int = 20000


@dataclass(frozen=True)
class SageMakerSettings:
    """Where and how the pipeline runs on Amazon SageMaker (see README, 'SageMaker')."""

    pipeline_name: str = "topic-curator"
    region: str = "us-east-1"
    # The role SageMaker Pipelines assumes to create the jobs (docs/iam/pipeline-execution-role.json),
    # and the role the jobs run with (docs/iam/jobs-role.json); empty: the pipeline's role.
    role_arn: str = "arn:aws:iam::123456789012:role/TopicCuratorPipeline"
    job_role_arn: str = "arn:aws:iam::123456789012:role/TopicCuratorJobs"
    image_uri: str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/topic-curator:latest"
    store: str = "s3://topic-curator-artifacts/curator"
    input_data: str = "s3://topic-curator-artifacts/input/"
    callback_queue_url: str = "https://sqs.us-east-1.amazonaws.com/123456789012/topic-curator-callbacks"
    # Where `sagemaker poll` keeps callback messages it cannot read (empty: log and delete them).
    dead_letter_queue_url: str = ""
    model_package_group: str = "topic-curator"
    processing_instance_type: str = "ml.m5.xlarge"
    processing_instance_count: int = 1
    training_instance_type: str = "ml.m5.xlarge"
    curate_layer3: bool = True
    # Each processing and training job is stopped after this long (a layer of millions of documents
    # takes hours on one instance; SageMaker's own default would stop it after one).
    max_runtime_seconds: int = 86400
    # An approval still pending after this many hours is answered with a failure (sagemaker poll).
    approval_deadline_hours: float = 168.0


@dataclass(frozen=True)
class TuningSettings:
    """``topic-curator tune``: the search budget and the weights of its score (README, 'Tuning').

    score = w_coherence * NPMI + w_diversity * diversity + w_balance * balance + w_stability * stability,
    each measured on held-out documents by k-fold cross-validation; higher is better.
    """

    n_trials: int = 30
    n_folds: int = 3
    # Stop starting new trials after this many minutes (0: no limit).
    timeout_minutes: float = 0.0
    # Tune on a fixed random sample of at most this many documents (UMAP dominates a trial's time).
    max_documents: int = 3000
    # Candidate embedding models; those not installed are left out with a message.
    embedding_models: tuple[str, ...] = ("minilm", "tfidf-svd")
    weight_coherence: float = 1.0
    weight_diversity: float = 0.5
    weight_balance: float = 0.25
    weight_stability: float = 0.25


@dataclass(frozen=True)
class Settings:
    """Everything a run needs; stored in run.json so a run can be resumed exactly."""

    input: InputSettings = field(default_factory=InputSettings)
    cleaning: CleaningSettings = field(default_factory=CleaningSettings)
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    layer: LayerSettings = field(default_factory=LayerSettings)
    drilldown: DrillDownSettings = field(default_factory=DrillDownSettings)
    app: AppSettings = field(default_factory=AppSettings)
    sagemaker: SageMakerSettings = field(default_factory=SageMakerSettings)
    tuning: TuningSettings = field(default_factory=TuningSettings)
    n_layers: int = 3
    sample_size: int = 5000
    seed: int = 42

    def validate(self) -> "Settings":
        """Raise SettingsError on values out of range; return self for chaining."""
        layer = self.layer
        if not layer.min_topics <= layer.n_topics <= layer.max_topics:
            raise SettingsError(
                f"layer.n_topics is {layer.n_topics}, outside {layer.min_topics}-{layer.max_topics}.",
                "Choose a number of layer-1 topics within that range (20 is the default).",
            )
        if not 1 <= self.n_layers <= 3:
            raise SettingsError(f"n_layers is {self.n_layers}; it must be 1, 2 or 3.")
        if self.drilldown.min_subtopics < 2 or self.drilldown.max_subtopics < self.drilldown.min_subtopics:
            raise SettingsError("drilldown.min_subtopics must be >= 2 and <= drilldown.max_subtopics.")
        if self.tuning.n_folds < 2 or self.tuning.n_trials < 1:
            raise SettingsError("tuning.n_folds must be at least 2 and tuning.n_trials at least 1.")
        if not 1 <= self.cleaning.max_document_chars <= MAX_SPACY_CHARS:
            raise SettingsError(f"cleaning.max_document_chars is {self.cleaning.max_document_chars}; "
                                f"it must be between 1 and {MAX_SPACY_CHARS:,} (spaCy's limit).")
        if not self.input.text_columns:
            raise SettingsError("input.text_columns is empty.", "Name at least one text column.")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def run_settings(store: ArtifactStore, run_id: str) -> Settings:
    """The settings a run was started with, as its record keeps them (read without the run domain)."""
    return settings_from_dict(store.read_json(run_key(run_id))["settings"])


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Build Settings from nested plain data, refusing unknown keys."""
    return _build(Settings, data, "").validate()


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Load a TOML or JSON settings file (or the defaults) and apply dotted overrides.

    ``overrides`` use section__key names, e.g. ``input__id_column="id"``.
    """
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise SettingsError(f"Settings file {path} does not exist.", "Check the --config path.")
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"Settings file {path} is not valid TOML/JSON: {exc}") from exc
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, _, key = dotted.partition("__")
        if key:
            data.setdefault(section, {})[key] = value
        else:
            data[section] = value
    return settings_from_dict(data)


def settings_to_toml(settings: Settings, header: str = "") -> str:
    """The settings that differ from the defaults, as a TOML file that ``load_settings`` reads back."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    defaults = Settings().to_dict()
    changed = {k: v for k, v in settings.to_dict().items() if v != defaults[k]}
    for key, value in changed.items():
        if not isinstance(value, dict):
            lines.append(f"{key} = {_toml_value(value)}")
    for section, values in changed.items():
        if isinstance(values, dict):
            lines.append(f"\n[{section}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items() if v != defaults[section][k])
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if value is None:
        raise SettingsError("A setting of None cannot be written to TOML.")
    return repr(value)


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    if not isinstance(data, dict):
        raise SettingsError(f"Settings section '{where or 'top level'}' must be a table of keys.")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SettingsError(
            f"Unknown setting(s) {', '.join(where + k for k in unknown)}.",
            f"Known keys here: {', '.join(sorted(fields))}.",
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value, f"{where}{name}.")
        elif isinstance(default, tuple) and isinstance(value, list | tuple):
            kwargs[name] = tuple(value)
        elif isinstance(default, bool) and not isinstance(value, bool):
            raise SettingsError(f"Setting {where}{name} must be true or false, not {value!r}.")
        elif isinstance(default, int | float) and not isinstance(default, bool) and not isinstance(value, int | float):
            raise SettingsError(f"Setting {where}{name} must be a number, not {value!r}.")
        else:
            kwargs[name] = value
    return cls(**kwargs)
