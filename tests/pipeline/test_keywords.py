"""Keywords: top TF-IDF terms per cluster, document = one cluster's joined descriptions."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from semclust.pipeline.keywords import cluster_keywords, cluster_table, default_stop_words, read_stopwords
from semclust.resources import resource_path
from semclust.study import UserError


def test_keywords_top_term_matches_the_hand_computed_tfidf():
    texts = pd.Series(["dog dog beach happy", "dog sand", "crowd protest happy", "crowd anger"])
    labels = pd.Series([0, 0, 1, 1])
    kw = cluster_keywords(texts, labels, k=7)
    # cluster 0 document: dog x3, beach, sand, happy; 2 documents in all.
    idf_one = math.log(3 / 2) + 1  # terms in one cluster's document
    idf_both = math.log(3 / 3) + 1  # "happy" is in both
    weights = {"dog": 3 * idf_one, "beach": idf_one, "sand": idf_one, "happy": idf_both}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    c0 = kw[kw.cluster == 0]
    assert c0.iloc[0]["term"] == "dog" and c0.iloc[0]["rank"] == 1
    assert c0.iloc[0]["score"] == pytest.approx(weights["dog"] / norm, abs=1e-6)
    assert c0["term"].tolist() == ["dog", "beach", "sand", "happy"]  # ties alphabetical
    assert c0.iloc[-1]["score"] == pytest.approx(weights["happy"] / norm, abs=1e-6)
    assert kw[kw.cluster == 1].iloc[0]["term"] == "crowd"


def test_keywords_drop_english_and_vlm_stop_words():
    texts = pd.Series(["The image conveys a sense of freedom and suggests joy overall",
                       "This picture evokes freedom; it depicts the sea",
                       "The image conveys anger and suggests conflict",
                       "It evokes anger overall"])
    kw = cluster_keywords(texts, pd.Series([0, 0, 1, 1]), k=10)
    terms = set(kw["term"])
    assert {"freedom", "joy", "sea", "anger", "conflict"} <= terms
    assert not terms & {"the", "a", "of", "and", "it", "this", "image", "conveys", "sense",
                        "suggests", "overall", "evokes", "picture", "depicts"}


def test_keywords_keep_at_most_k_terms_ranked_from_one():
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    kw = cluster_keywords(pd.Series([words, "lambda mu", words]), pd.Series([0, 1, 0]), k=7)
    assert kw.groupby("cluster").size().to_dict() == {0: 7, 1: 2}
    assert kw[kw.cluster == 0]["rank"].tolist() == list(range(1, 8))
    for _, group in kw.groupby("cluster"):
        assert group["score"].is_monotonic_decreasing


def test_keywords_leave_noise_out_and_handle_missing_texts():
    texts = pd.Series(["storm clouds", None, "storm rain", "noise words only"])
    kw = cluster_keywords(texts, pd.Series([3, 3, 3, -1]))
    assert set(kw["cluster"]) == {3}
    assert "noise" not in set(kw["term"]) and kw.iloc[0]["term"] == "storm"


def test_keywords_with_only_stop_words_or_no_cluster_are_empty():
    assert cluster_keywords(pd.Series(["the image conveys"]), pd.Series([0])).empty
    assert cluster_keywords(pd.Series(["storm"]), pd.Series([-1])).empty
    with pytest.raises(ValueError):
        cluster_keywords(pd.Series(["a"]), pd.Series([0, 1]))


def test_stop_word_file_is_editable_and_replaces_the_shipped_list(tmp_path):
    shipped = read_stopwords()
    assert {"conveys", "suggests", "image", "evokes", "sense", "depicts", "overall"} <= set(shipped)
    assert "conveys" in resource_path("pipeline", "vlm_stopwords.txt").read_text()
    custom = tmp_path / "stop.txt"
    custom.write_text("# mine\nStorm  # weather word\n\nrain\n")
    assert read_stopwords(custom) == ["rain", "storm"]
    stop = default_stop_words(custom)
    assert "storm" in stop and "the" in stop and "conveys" not in stop
    kw = cluster_keywords(pd.Series(["storm rain wind", "sun beach"]), pd.Series([0, 1]),
                          stop_words=stop)
    assert set(kw[kw.cluster == 0]["term"]) == {"wind"}
    with pytest.raises(UserError, match="nope.txt"):
        read_stopwords(tmp_path / "nope.txt")


def test_cluster_table_orders_by_size_with_noise_last_and_lists_examples():
    labels = pd.DataFrame({"image_id": ["a", "b", "c", "d", "e", "f"],
                           "cluster": [1, 0, 0, -1, 0, 1]})
    keywords = pd.DataFrame({"cluster": [0, 0, 1], "rank": [2, 1, 1],
                             "term": ["sand", "beach", "crowd"], "score": [0.5, 0.8, 0.9]})
    images = pd.DataFrame({"image_id": list("abcdef"), "path": [f"p/{x}.jpg" for x in "abcdef"]})
    table = cluster_table(labels, keywords, images, examples=2)
    assert table["cluster"].tolist() == [0, 1, -1]
    assert table["size"].tolist() == [3, 2, 1]
    assert table.iloc[0]["keywords"] == "beach, sand"
    assert table.iloc[0]["examples"] == ["p/b.jpg", "p/c.jpg"]
