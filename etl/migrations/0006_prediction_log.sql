-- The prediction log: every forecast served, once per (fixture, model version and run,
-- inputs). The first answer served is the one kept (later identical answers, cache hits
-- included, add nothing), so ``served_at`` says when that forecast was first public and
-- the scoreboard can keep only forecasts made before kickoff.

DROP TABLE prediction_log;

CREATE TABLE prediction_log (
    id              bigserial PRIMARY KEY,
    served_at       timestamptz NOT NULL DEFAULT now(),
    match_id        bigint REFERENCES matches(id) ON DELETE SET NULL,  -- when a stored match
    competition     text NOT NULL,
    home_team       text NOT NULL,
    away_team       text NOT NULL,
    kickoff_date    date NOT NULL,
    model_version   text NOT NULL,
    run_id          text NOT NULL,
    inputs_key      text NOT NULL,                 -- digest of ``inputs``; '' when unpriced
    inputs          jsonb NOT NULL,                -- prices used: source, prices, bookmaker, seen
    p_home          double precision NOT NULL,
    p_draw          double precision NOT NULL,
    p_away          double precision NOT NULL,
    forecast        jsonb NOT NULL,                -- the whole forecast as served
    UNIQUE (competition, home_team, away_team, kickoff_date, model_version, run_id, inputs_key)
);
CREATE INDEX prediction_log_match_idx ON prediction_log (match_id);
