"""How model answers are read: one table of realistic answers and what each must give (issue 19).

The answers are the shapes real chat models produce when asked for K names, one label, or a
cluster name. Every LLM/VLM step of semclust reads its answers through ``pipeline/model_answers``.
"""
from __future__ import annotations

import pytest

from semclust.pipeline.classes import ClassSpec
from semclust.pipeline.model_answers import map_reply, read_answer, read_name, read_names

TEN = ["database", "network", "weather", "music", "sport", "food", "travel", "finance", "health", "sound"]

NAMES = [
    # numbered lists in every punctuation, with commentary after them (the reported defect)
    ("\n".join(f"{i}: {n}" for i, n in enumerate(TEN, 1)) + "\nReason 1: grouped by purpose", TEN),
    ("1. database\n2. network\n3. weather", TEN[:3]),
    ("1) database\n2) network", TEN[:2]),
    ("1 - database\n2 - network", TEN[:2]),
    ("1 – database\n2 — network", TEN[:2]),
    ("(1) database\n(2) network", TEN[:2]),
    # prefixes
    ("Cluster 1: database\nCluster 2: network\nCluster 3: weather", TEN[:3]),
    ("Name 1 - database\nName 2 - network", TEN[:2]),
    ("Topic: database\nTopic: network", TEN[:2]),
    ("Cluster #1: database\nCluster #2: network", TEN[:2]),
    # markdown
    ("1. **database**\n2. **network**", TEN[:2]),
    ("**1. database**\n**2. network**", TEN[:2]),
    ("- *database*\n- _network_", TEN[:2]),
    ("### Cluster names\n1. database\n2. network", TEN[:2]),
    ("```\n1. database\n2. network\n```", TEN[:2]),
    # JSON
    ('["database", "network", "weather"]', TEN[:3]),
    ('```json\n["database", "network"]\n```', TEN[:2]),
    ('{"names": ["database", "network"]}', TEN[:2]),
    ('{"1": "database", "2": "network"}', TEN[:2]),
    ('Here is the list:\n```json\n{"clusters": [{"name": "database"}, {"name": "network"}]}\n```', TEN[:2]),
    # one line, preambles, commentary
    ("database, network, weather", TEN[:3]),
    ("Here are the names: database, network and weather.", TEN[:3]),
    ("Sure! Here are the 3 names:\n\ndatabase\nnetwork\nweather\n\nHope this helps!", TEN[:3]),
    ("Here are the names:\n- database\n- network\nExplanation: the first holds tables.", TEN[:2]),
    ("1. database\n2. network\n\nThese names cover the labels above.", TEN[:2]),
    # a name followed by why
    ("1. database — tables and queries\n2. network – cables", TEN[:2]),
    ("1. database: tables and queries\n2. network: cables", TEN[:2]),
    ("1. database (tables, queries)\n2. network (cables)", TEN[:2]),
    ("- **database** - stores records\n- **network** - links machines", TEN[:2]),
    # repeats and none
    ("1. Joy\n2. joy\n3. Fear\n4. None", ["Joy", "Fear"]),
    ("Sure!\n- Joy\n* joy\n• Fear\n(3) None\nThanks", ["Joy", "Fear"]),
    ("", []),
]

ANSWERS = [
    ("Answer: database", "database"),
    ("**Answer:** database", "database"),
    ("The description mentions tables.\nAnswer: **Database**.", "Database"),
    ("Answer: calm\nAnswer: Joy\nbecause ...", "Joy"),
    ("Final answer - weather", "weather"),
    ("The answer is weather.", "weather"),
    ('{"answer": "music"}', "music"),
    ('```json\n{"class": "sport"}\n```', "sport"),
    ("database", "database"),
    ("Database.", "Database"),
    ("database\nReason: the text is about tables", "database"),
    ("two\nlines", ""),
    ("", ""),
    ("Answer: none of these", "none of these"),
]

NAME_REPLIES = [
    ('Name: "Climate protest".', "Climate protest"),
    ("  \n'Wind power'\nbecause turbines", "Wind power"),
    ("**Heat**", "Heat"),
    ("Sure! Here is a name:\n**Melting ice** - glaciers retreating", "Melting ice"),
    ("Cluster name: Ocean plastic — bottles on beaches", "Ocean plastic"),
    ('{"name": "Wildfire smoke"}', "Wildfire smoke"),
    ("## Flooded streets", "Flooded streets"),
    ("", None),
]


@pytest.mark.parametrize("text, expected", NAMES)
def test_a_list_answer_reads_as_its_names(text, expected):
    assert read_names(text) == expected


@pytest.mark.parametrize("text, expected", ANSWERS)
def test_a_one_answer_reply_reads_as_its_answer(text, expected):
    assert read_answer(text) == expected


@pytest.mark.parametrize("text, expected", NAME_REPLIES)
def test_a_naming_reply_reads_as_its_name(text, expected):
    assert read_name(text) == expected


CLASSES = [ClassSpec("database"), ClassSpec("ocean plastic", aliases=("litter",)), ClassSpec("wildfire")]


@pytest.mark.parametrize("reply, expected", [
    ("Answer: database", (0, "exact")),
    ("**Answer:** Ocean Plastic.", (1, "normalised")),
    ("Answer: litter", (1, "exact")),
    ("Answer: wildfrie", (2, "close")),
    ("Answer: none of these", (-1, "none")),
    ("Answer: other", (-1, "none")),
    ("Answer: unknown", (-1, "none")),
    ("Answer: volcano", (-1, "unrecognised")),
    ("I cannot tell.\nIt could be several.", (-1, "unreadable")),
    ("", (-1, "empty")),
])
def test_mapping_a_reply_to_a_class_is_exact_then_normalised_then_close_never_guessed(reply, expected):
    assert map_reply(reply, CLASSES) == expected


def test_the_table_holds_at_least_thirty_realistic_answers():
    assert len(NAMES) + len(ANSWERS) + len(NAME_REPLIES) >= 30
