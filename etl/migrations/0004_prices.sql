-- Every pre-match market a source carries: 1X2, over/under 2.5 goals and the Asian
-- handicap. Season files give one opening and one closing price per bookmaker and market
-- (``odds``). fixtures.csv is read several times a day before kickoff, and each reading is
-- kept as its own snapshot (``price_snapshots``), so the prices a forecast saw can always
-- be told from later ones. Closing prices live only in ``odds`` and are never a model input.

ALTER TABLE odds ADD COLUMN line double precision;    -- Asian handicap of the home side
ALTER TABLE odds ADD COLUMN over double precision;    -- over 2.5 goals
ALTER TABLE odds ADD COLUMN under double precision;   -- under 2.5 goals
ALTER TABLE odds ADD CONSTRAINT odds_market_check CHECK (market IN ('1x2', 'ou2.5', 'ah'));

CREATE TABLE price_snapshots (
    match_id    bigint NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
    seen_at     timestamptz NOT NULL,          -- when the source showed these prices
    bookmaker   text NOT NULL,                 -- B365, PS, ..., or market: Avg, Max
    market      text NOT NULL CHECK (market IN ('1x2', 'ou2.5', 'ah')),
    home        double precision,              -- 1x2 and ah
    draw        double precision,              -- 1x2
    away        double precision,              -- 1x2 and ah
    over        double precision,              -- ou2.5
    under       double precision,              -- ou2.5
    line        double precision,              -- ah: handicap of the home side
    batch_id    bigint REFERENCES ingest_batches(id),
    PRIMARY KEY (match_id, market, bookmaker, seen_at)
);
CREATE INDEX price_snapshots_seen_idx ON price_snapshots (match_id, seen_at DESC);
