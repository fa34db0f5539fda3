from __future__ import annotations

import pytest

from backend.errors import SettingsError
from backend.settings import Settings, load_settings, settings_from_dict


def test_defaults_are_valid_and_documented_values():
    settings = Settings().validate()
    assert settings.layer.n_topics == 20
    assert settings.embedding.model == "minilm"
    assert settings.n_layers == 3


def test_toml_file_and_overrides(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[input]\nid_column = "record"\n[layer]\nn_topics = 16\nngram_range = [1, 1]\n')
    settings = load_settings(path, input__text_columns=["body"])
    assert settings.input.id_column == "record"
    assert settings.input.text_columns == ("body",)
    assert settings.layer.n_topics == 16
    assert settings.layer.ngram_range == (1, 1)


def test_json_file(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"embedding": {"model": "hashing"}}')
    assert load_settings(path).embedding.model == "hashing"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"layer": {"n_topicz": 3}}, "Unknown setting.*layer.n_topicz"),
        ({"layer": {"n_topics": 40}}, "outside 15-25"),
        ({"embedding": {"cache": "yes"}}, "true or false"),
        ({"layer": {"min_df": "two"}}, "must be a number"),
        ({"n_layers": 4}, "1, 2 or 3"),
    ],
)
def test_bad_settings_are_named(data, message):
    with pytest.raises(SettingsError, match=message):
        settings_from_dict(data)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[layer\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(broken)


def test_round_trip_through_plain_data():
    settings = load_settings(None, layer__n_topics=18)
    assert settings_from_dict(settings.to_dict()) == settings


def test_settings_round_trip_through_the_toml_that_tune_writes(tmp_path):
    from backend.settings import settings_to_toml

    settings = load_settings(layer__umap_n_neighbors=31, layer__birch_threshold=0.25, layer__ngram_range=[1, 1],
                             embedding__model="tfidf-svd", input__text_columns=["a", "b"], seed=3)
    text = settings_to_toml(settings, "written by a test\nsecond line")
    assert text.startswith("# written by a test\n# second line\n")
    assert "[sagemaker]" not in text  # only what differs from the defaults
    path = tmp_path / "tuned.toml"
    path.write_text(text)
    assert load_settings(path) == settings
