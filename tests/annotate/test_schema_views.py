"""The database's rule "the latest submission counts" is written once, as views in schema.sql (issue 19)."""
from __future__ import annotations

import re
from pathlib import Path

from semclust.annotate import answers, db
from semclust.annotate.people import add_person

REPO = Path(__file__).resolve().parents[2]


def test_the_views_keep_the_latest_row_per_item_person_and_round(tmp_path):
    path = tmp_path / "a.sqlite"
    add_person(path, "cora", "coder")
    add_person(path, "ada", "admin")
    with db.opened(path) as conn:
        answers.record_pair(conn, 1, "p1", "1", {"denotative": 0, "connotative": 0}, "first")
        answers.record_pair(conn, 1, "p1", "1", {"denotative": 2, "connotative": 1}, "")  # an edit
        answers.record_pair(conn, 2, "p1", "1", {"denotative": 1}, round_="consensus")
        answers.record_pair(conn, 2, "p1", "1", {"denotative": 2}, round_="consensus")
        current = conn.execute("SELECT dimension, score, comment FROM current_ratings ORDER BY dimension").fetchall()
        assert [tuple(r) for r in current] == [("connotative", 1, ""), ("denotative", 2, "")]
        assert [tuple(r) for r in conn.execute("SELECT dimension, score FROM current_consensus")] == [("denotative", 2)]
        assert answers.pair_comments(conn, ["p1"]) == {"p1": []}  # the edit cleared the comment
        answers.set_phase(conn, "1", True, 2)
        answers.set_phase(conn, "1", False, 2)
        assert answers.open_phases(conn) == set()


def test_no_module_spells_the_rule_again():
    offenders = [str(p.relative_to(REPO)) for folder in ("annotate", "evaluation", "pipeline", "semclust")
                 for p in (REPO / folder).rglob("*.py") if re.search(r"max\(id\)", p.read_text(), re.IGNORECASE)]
    assert offenders == []


def test_views_are_made_after_migration_on_an_old_database(tmp_path):
    """An old matches table without `descriptions`: the column is added first, then the views."""
    import sqlite3

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE matches (id INTEGER PRIMARY KEY AUTOINCREMENT, clustering TEXT NOT NULL, "
                 "set_id TEXT NOT NULL, person_id INTEGER NOT NULL, chosen_cluster INTEGER NOT NULL, "
                 "shown_label TEXT NOT NULL, created_at TEXT NOT NULL)")
    conn.commit()
    conn.close()
    db.init_db(path)
    with db.opened(path) as conn:
        assert conn.execute("SELECT count(*) FROM current_matches").fetchone()[0] == 0
