-- Ingest batches say what they hold and where it came from, so a quarantined batch can be
-- traced to its archived raw file and `footcast store stats` can group batches by season.

ALTER TABLE ingest_batches
    ADD COLUMN competition_code text,
    ADD COLUMN season_code      text,
    ADD COLUMN raw_page_id      bigint REFERENCES raw_pages(id),
    ADD COLUMN summary          jsonb;

CREATE INDEX ingest_batches_status_idx ON ingest_batches (status);
CREATE INDEX matches_batch_idx ON matches (batch_id);
CREATE INDEX matches_season_idx ON matches (season_id);
