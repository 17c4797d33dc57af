-- The canonical store. Every table that ingestion writes has a natural key, so every
-- write is an upsert and replaying an import or a message changes nothing.

CREATE TABLE competitions (
    id          serial PRIMARY KEY,
    code        text NOT NULL UNIQUE,          -- football-data division code: E0, SP1, ...
    name        text NOT NULL,
    country     text NOT NULL
);

CREATE TABLE seasons (
    id              serial PRIMARY KEY,
    competition_id  int NOT NULL REFERENCES competitions(id),
    code            text NOT NULL,             -- '2324' for 2023-24
    start_year      int NOT NULL,
    UNIQUE (competition_id, code)
);

CREATE TABLE teams (
    id              serial PRIMARY KEY,
    name            text NOT NULL UNIQUE,      -- canonical name
    country         text
);

CREATE TABLE team_aliases (
    source      text NOT NULL,                 -- football-data, whoscored, user
    alias       text NOT NULL,
    team_id     int NOT NULL REFERENCES teams(id),
    PRIMARY KEY (source, alias)
);

CREATE TABLE ingest_batches (
    id              bigserial PRIMARY KEY,
    source          text NOT NULL,
    batch_key       text NOT NULL,             -- e.g. mmz4281/2324/E0.csv
    content_sha256  text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'validated', 'quarantined')),
    row_count       int NOT NULL DEFAULT 0,
    reason          text,
    report          jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, batch_key, content_sha256)
);

CREATE TABLE matches (
    id              bigserial PRIMARY KEY,
    competition_id  int NOT NULL REFERENCES competitions(id),
    season_id       int NOT NULL REFERENCES seasons(id),
    home_team_id    int NOT NULL REFERENCES teams(id),
    away_team_id    int NOT NULL REFERENCES teams(id),
    kickoff_date    date NOT NULL,
    kickoff_at      timestamptz,
    status          text NOT NULL DEFAULT 'scheduled'
                    CHECK (status IN ('scheduled', 'finished', 'postponed', 'cancelled')),
    home_goals      smallint,
    away_goals      smallint,
    ht_home_goals   smallint,
    ht_away_goals   smallint,
    referee         text,
    venue           text,
    attendance      int,
    whoscored_id    bigint UNIQUE,
    batch_id        bigint REFERENCES ingest_batches(id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (competition_id, season_id, home_team_id, away_team_id, kickoff_date),
    CHECK (home_team_id <> away_team_id)
);
CREATE INDEX matches_kickoff_idx ON matches (kickoff_date);

CREATE TABLE match_stats (
    match_id        bigint NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
    source          text NOT NULL,
    home_shots      smallint, away_shots smallint,
    home_shots_on_target smallint, away_shots_on_target smallint,
    home_corners    smallint, away_corners smallint,
    home_fouls      smallint, away_fouls smallint,
    home_yellow     smallint, away_yellow smallint,
    home_red        smallint, away_red smallint,
    home_possession real, away_possession real,
    extra           jsonb,
    PRIMARY KEY (match_id, source)
);

CREATE TABLE odds (
    match_id        bigint NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
    bookmaker       text NOT NULL,             -- B365, PS, ..., or market: Avg, Max, BbAv, BbMx
    market          text NOT NULL DEFAULT '1x2',
    kind            text NOT NULL CHECK (kind IN ('opening', 'closing')),
    home            double precision,
    draw            double precision,
    away            double precision,
    PRIMARY KEY (match_id, bookmaker, market, kind)
);

CREATE TABLE raw_pages (
    id              bigserial PRIMARY KEY,
    source          text NOT NULL,
    url             text NOT NULL,
    fetched_at      timestamptz NOT NULL DEFAULT now(),
    http_status     int,
    content_type    text,
    sha256          text NOT NULL,
    body_zlib       bytea NOT NULL,
    UNIQUE (source, url, sha256)
);

CREATE TABLE scrape_runs (
    id              bigserial PRIMARY KEY,
    source          text NOT NULL,
    competition     text NOT NULL,
    season          text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    status          text NOT NULL DEFAULT 'running',
    pages           int NOT NULL DEFAULT 0,
    error           text
);

CREATE TABLE prediction_log (
    id              bigserial PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    request_id      text,
    model_version   text NOT NULL,
    fixture         jsonb NOT NULL,
    result          jsonb NOT NULL
);
