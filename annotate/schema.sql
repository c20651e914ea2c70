-- The annotation database (annotations.sqlite) of one study.
--
-- Append-only: every submission is a new row; an edit appends, the latest row
-- (highest id) per (item, person, dimension, round) counts. Answers are never
-- updated or deleted by the app, so the history stays auditable. Only logins
-- change: a person's token_hash (a new link) and removed_at, and a session's ended_at.
-- Applied with CREATE ... IF NOT EXISTS on every start; tables are never dropped.
-- Columns added after a table first shipped are added by db.migrate (ALTER TABLE ... ADD COLUMN).

-- Settings of the database. Holds no secret: the cookie signing key lives outside the
-- database (STUDY/.secret_key or SEMCLUST_SECRET_KEY); an old 'secret_key' row is deleted on start.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS people (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('coder', 'evaluator', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,          -- sha256 hex of the login token; the token is never stored
    created_at TEXT NOT NULL,
    removed_at TEXT                           -- set by `people remove`: link and sessions stop working
);

-- Logged-in browsers. The session cookie carries a random session id; only its sha256 is
-- stored. A session counts while ended_at is NULL and expires_at (UTC ISO 8601) is in the future.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash    TEXT PRIMARY KEY,              -- sha256 hex of the session id; the id is never stored
    person_id  INTEGER NOT NULL REFERENCES people(id),
    created_at TEXT NOT NULL,                 -- the login
    expires_at TEXT NOT NULL,
    ended_at   TEXT                           -- logout, new link, revoke or removal
);
CREATE INDEX IF NOT EXISTS sessions_by_person ON sessions (person_id, ended_at);

-- Phases of pairs.csv that an admin opened (or closed again); the latest row per phase counts.
CREATE TABLE IF NOT EXISTS phase_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phase      TEXT NOT NULL,
    is_open    INTEGER NOT NULL CHECK (is_open IN (0, 1)),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    created_at TEXT NOT NULL
);

-- Clusterings whose matching sets an admin opened for evaluators; the latest row counts.
CREATE TABLE IF NOT EXISTS matching_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    clustering TEXT NOT NULL,
    is_open    INTEGER NOT NULL CHECK (is_open IN (0, 1)),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    created_at TEXT NOT NULL
);

-- One row per pair x dimension per submission. round 'independent' = a coder's own
-- judgment; round 'consensus' = the score the coders agreed on, recorded by an admin.
-- score is NULL exactly when the rater could not judge the pair.
CREATE TABLE IF NOT EXISTS ratings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    pair_id      TEXT NOT NULL,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    dimension    TEXT NOT NULL CHECK (dimension IN ('denotative', 'connotative')),
    score        INTEGER CHECK (score IN (0, 1, 2)),
    cannot_judge INTEGER NOT NULL DEFAULT 0 CHECK (cannot_judge IN (0, 1)),
    comment      TEXT NOT NULL DEFAULT '',
    round        TEXT NOT NULL CHECK (round IN ('independent', 'consensus')),
    phase        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    CHECK ((score IS NULL) = (cannot_judge = 1))
);
CREATE INDEX IF NOT EXISTS ratings_by_item ON ratings (pair_id, dimension, round, person_id);
CREATE INDEX IF NOT EXISTS ratings_by_person ON ratings (person_id, round);

-- One row per matching submission: the cluster the evaluator chose for a set,
-- and the letter it was shown under. db.ADDED_COLUMNS adds
-- descriptions TEXT NOT NULL DEFAULT 'keywords': the kind of cluster description shown
-- (keywords | names; see `semclust sample sets --descriptions`).
CREATE TABLE IF NOT EXISTS matches (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    clustering     TEXT NOT NULL,
    set_id         TEXT NOT NULL,
    person_id      INTEGER NOT NULL REFERENCES people(id),
    chosen_cluster INTEGER NOT NULL,
    shown_label    TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS matches_by_person ON matches (person_id, clustering, set_id);

-- Attention checks: pairs with a known answer (an image with itself is 2/2, a known-unrelated
-- pair 0/0), added by an admin (`semclust checks add`), shown to every coder at random
-- positions among the pairs. Their answers go to check_answers, never to ratings, so they
-- are never exported or analysed as ratings. A check stays; removed_at hides it from coders.
CREATE TABLE IF NOT EXISTS checks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    image_a     TEXT NOT NULL,
    image_b     TEXT NOT NULL,
    denotative  INTEGER NOT NULL CHECK (denotative IN (0, 1, 2)),   -- the expected scores
    connotative INTEGER NOT NULL CHECK (connotative IN (0, 1, 2)),
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    removed_at  TEXT
);

-- One row per answer to a check (append-only; the latest per check and person counts).
CREATE TABLE IF NOT EXISTS check_answers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id        INTEGER NOT NULL REFERENCES checks(id),
    person_id       INTEGER NOT NULL REFERENCES people(id),
    denotative      INTEGER CHECK (denotative IN (0, 1, 2)),
    connotative     INTEGER CHECK (connotative IN (0, 1, 2)),
    cannot_judge    INTEGER NOT NULL DEFAULT 0 CHECK (cannot_judge IN (0, 1)),
    comment         TEXT NOT NULL DEFAULT '',
    seconds_on_item REAL,
    created_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS check_answers_by_person ON check_answers (person_id, check_id);

-- @views ------------------------------------------------------------------------------------
-- The database's rules, written once: an edit appends a row, and the latest row counts.
-- Every reader (the app, the dashboard's first read, export, checks) selects from these views.
-- Views hold no data: they are dropped and made again on every start (after db.migrate has
-- added any missing column), so a new version's rule replaces the old one.

-- A coder's current score per pair and dimension (independent round): their latest row.
DROP VIEW IF EXISTS current_ratings;
CREATE VIEW current_ratings AS
SELECT r.* FROM ratings r
WHERE r.round = 'independent' AND NOT EXISTS (
    SELECT 1 FROM ratings n WHERE n.pair_id = r.pair_id AND n.dimension = r.dimension
    AND n.round = 'independent' AND n.person_id = r.person_id AND n.id > r.id);

-- The agreed score per pair and dimension: the latest consensus row, whoever recorded it.
DROP VIEW IF EXISTS current_consensus;
CREATE VIEW current_consensus AS
SELECT r.* FROM ratings r
WHERE r.round = 'consensus' AND NOT EXISTS (
    SELECT 1 FROM ratings n WHERE n.pair_id = r.pair_id AND n.dimension = r.dimension
    AND n.round = 'consensus' AND n.id > r.id);

-- Each person's latest submission per pair and round (whose comment counts; a cleared comment is gone).
DROP VIEW IF EXISTS current_submissions;
CREATE VIEW current_submissions AS
SELECT r.* FROM ratings r
WHERE NOT EXISTS (
    SELECT 1 FROM ratings n WHERE n.pair_id = r.pair_id AND n.person_id = r.person_id
    AND n.round = r.round AND n.id > r.id);

-- An evaluator's current choice per clustering, set and description kind.
DROP VIEW IF EXISTS current_matches;
CREATE VIEW current_matches AS
SELECT m.* FROM matches m
WHERE NOT EXISTS (
    SELECT 1 FROM matches n WHERE n.person_id = m.person_id AND n.clustering = m.clustering
    AND n.set_id = m.set_id AND n.descriptions = m.descriptions AND n.id > m.id);

-- A coder's current answer per attention check.
DROP VIEW IF EXISTS current_check_answers;
CREATE VIEW current_check_answers AS
SELECT a.* FROM check_answers a
WHERE NOT EXISTS (
    SELECT 1 FROM check_answers n WHERE n.person_id = a.person_id AND n.check_id = a.check_id
    AND n.id > a.id);

-- Whether each phase of pairs, and each clustering's matching, is open now (its latest event).
DROP VIEW IF EXISTS phase_state;
CREATE VIEW phase_state AS
SELECT e.phase, e.is_open FROM phase_events e
WHERE NOT EXISTS (SELECT 1 FROM phase_events n WHERE n.phase = e.phase AND n.id > e.id);

DROP VIEW IF EXISTS matching_state;
CREATE VIEW matching_state AS
SELECT e.clustering, e.is_open FROM matching_events e
WHERE NOT EXISTS (SELECT 1 FROM matching_events n WHERE n.clustering = e.clustering AND n.id > e.id);
