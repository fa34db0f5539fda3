"""The sample generator: deterministic, shaped like a CRM export, noisy, with consistent truth."""

from __future__ import annotations

import pandas as pd
import pytest

from backend.text.sample_data import (
    TEXT_COLUMNS,
    TRUTH_COLUMNS,
    USE_CASE_TREE,
    generate_opportunities,
    write_sample,
)

EXPECTED_COLUMNS = [
    "opportunity_id",
    "opportunity_name",
    "description",
    "customer_needs",
    "product_name",
    "product_details",
    "product_group",
    "industry",
    "account_name",
    "contact_name",
    "owner_email",
    "created_date",
    "amount",
    "true_family",
    "true_use_case",
    "true_sub_use_case",
    "true_path",
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_opportunities(600, seed=42)


def free_text(frame: pd.DataFrame) -> pd.Series:
    """Description and customer needs of each row, empty cells as ''."""
    return frame["description"].fillna("") + " \n " + frame["customer_needs"].fillna("")


def test_same_seed_gives_identical_frame() -> None:
    pd.testing.assert_frame_equal(generate_opportunities(300, seed=7),
                                  generate_opportunities(300, seed=7))


def test_different_seed_gives_different_data() -> None:
    a = generate_opportunities(300, seed=1)
    b = generate_opportunities(300, seed=2)
    assert not a.equals(b)
    assert (a["description"].fillna("") != b["description"].fillna("")).mean() > 0.9


def test_columns_are_exactly_as_documented(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert tuple(EXPECTED_COLUMNS[-4:]) == TRUTH_COLUMNS
    assert set(TEXT_COLUMNS) <= set(EXPECTED_COLUMNS)


def test_ids_are_unique_and_formatted(frame: pd.DataFrame) -> None:
    assert frame["opportunity_id"].is_unique
    assert frame["opportunity_id"].str.fullmatch(r"OPP-\d{6}").all()


def test_record_count_and_simple_column_types(frame: pd.DataFrame) -> None:
    assert len(frame) == 600
    assert frame["amount"].dtype == float
    assert (frame["amount"] > 0).all()
    assert pd.to_datetime(frame["created_date"], format="%Y-%m-%d").notna().all()
    assert frame["owner_email"].str.fullmatch(r"[a-z.]+@acmeai\.com").all()
    assert 8 <= frame["industry"].nunique() <= 12


def test_zero_records_gives_empty_frame_with_columns() -> None:
    empty = generate_opportunities(0)
    assert empty.empty and list(empty.columns) == EXPECTED_COLUMNS


@pytest.mark.parametrize("bad", [-1, 2.5, "10"])
def test_bad_record_count_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        generate_opportunities(bad)  # type: ignore[arg-type]


def test_tree_shape() -> None:
    assert len(USE_CASE_TREE) == 6
    use_cases = [uc for family in USE_CASE_TREE for uc in family.use_cases]
    assert len(use_cases) == 25
    assert all(4 <= len(family.use_cases) <= 5 for family in USE_CASE_TREE)
    assert all(2 <= len(uc.sub_use_cases) <= 3 for uc in use_cases)
    assert all(len(uc.phrases) >= 8 for uc in use_cases)
    assert all(len(sub.phrases) >= 4 for uc in use_cases for sub in uc.sub_use_cases)
    assert len({uc.name for uc in use_cases}) == 25
    assert len({family.name for family in USE_CASE_TREE}) == 6


def test_truth_columns_are_a_path_in_the_tree(frame: pd.DataFrame) -> None:
    known = {
        (family.name, uc.name, sub.name)
        for family in USE_CASE_TREE
        for uc in family.use_cases
        for sub in uc.sub_use_cases
    }
    triples = set(zip(frame["true_family"], frame["true_use_case"], frame["true_sub_use_case"]))
    assert triples <= known
    expected_path = (frame["true_family"] + " > " + frame["true_use_case"] + " > "
                     + frame["true_sub_use_case"])
    assert (frame["true_path"] == expected_path).all()


def test_every_use_case_appears(frame: pd.DataFrame) -> None:
    assert frame["true_use_case"].nunique() == 25
    assert frame["true_family"].nunique() == 6


def test_use_case_frequencies_are_skewed() -> None:
    counts = generate_opportunities(2000, seed=3)["true_use_case"].value_counts()
    assert counts.max() >= 3 * counts.min()


@pytest.mark.parametrize(
    "kind, pattern",
    [
        ("url", r"https?://|www\."),
        ("email", r"[\w.+-]+@[\w-]+\.[a-z]{2,}"),
        ("phone", r"\+\d{1,2} \(?\d|\(\d{3}\) 555|\d{3}[-.]555[-.]\d{4}|020 7946 \d{4}"),
        ("contraction", r"\b\w+['\u2019](?:re|t|ll|s|ve)\b"),
        ("boilerplate", r"(?i)web form|auto-generated|see attached|\bTBD\b|\bN/A\b|next steps"),
        ("money", r"[$€£]\s?\d|USD \d"),
        ("shouting", r"\b[A-Z]{4,}\b(?:\W+\b[A-Z]{4,}\b){2,}"),
    ],
)
def test_text_carries_crm_noise(frame: pd.DataFrame, kind: str, pattern: str) -> None:
    share = free_text(frame).str.contains(pattern).mean()
    assert 0.01 <= share <= 0.8, f"{kind}: {share:.3f} of rows"


def test_names_of_account_and_contact_appear_in_some_text(frame: pd.DataFrame) -> None:
    text = free_text(frame)
    with_account = sum(a in t for a, t in zip(frame["account_name"], text))
    with_contact = sum(c in t for c, t in zip(frame["contact_name"], text))
    assert 0.03 * len(frame) <= with_account <= 0.5 * len(frame)
    assert 0.03 * len(frame) <= with_contact <= 0.5 * len(frame)


def test_some_fields_are_empty_and_a_few_records_have_no_text(frame: pd.DataFrame) -> None:
    for column in ("description", "customer_needs", "product_details"):
        cells = frame[column]
        assert cells.isna().any(), column
        assert (cells == "").any(), column
        assert cells.fillna("").eq("").mean() < 0.3, column
    no_text = frame[list(TEXT_COLUMNS)].fillna("").eq("").all(axis=1)
    assert 1 <= no_text.sum() <= 0.02 * len(frame)


def test_descriptions_have_one_to_four_sentences_mostly(frame: pd.DataFrame) -> None:
    described = frame["description"].dropna()
    described = described[described.str.len() > 0]
    sentences = described.str.count(r"[.!?](?:\s|$)")
    assert sentences.median() <= 4
    assert (sentences <= 5).mean() > 0.95


def test_product_group_follows_family_most_of_the_time(frame: pd.DataFrame) -> None:
    has_group = frame[frame["product_group"].fillna("") != ""]
    usual_group = has_group.groupby("product_group")["true_family"].agg(
        lambda families: families.value_counts().index[0])
    usual_share = (has_group["product_group"].map(usual_group) == has_group["true_family"]).mean()
    assert 0.6 <= usual_share < 0.98
    # The product carries signal about the family, but is not a leak of the truth.
    per_family = has_group.groupby("true_family")["product_group"].nunique()
    assert (per_family >= 3).all()


def test_use_case_vocabulary_shows_up_in_the_text(frame: pd.DataFrame) -> None:
    phrases = {
        uc.name: [p.lower() for p in uc.phrases]
        + [p.lower() for sub in uc.sub_use_cases for p in sub.phrases]
        for family in USE_CASE_TREE
        for uc in family.use_cases
    }
    text = (frame["opportunity_name"].fillna("") + " " + free_text(frame)).str.lower()
    hits = [any(p in t for p in phrases[uc]) for uc, t in zip(frame["true_use_case"], text)]
    assert sum(hits) / len(hits) > 0.6


def test_write_sample_round_trips(tmp_path) -> None:
    path = write_sample(tmp_path / "nested" / "sample.csv", n_records=250, seed=5)
    assert path.exists()
    back = pd.read_csv(path, encoding="utf-8")
    original = generate_opportunities(250, seed=5)
    assert list(back.columns) == EXPECTED_COLUMNS
    assert len(back) == 250
    assert (back["opportunity_id"] == original["opportunity_id"]).all()
    assert (back["true_path"] == original["true_path"]).all()
    assert back["amount"].tolist() == pytest.approx(original["amount"].tolist())
