-- Heartbeats: a message that goes producer → bus → worker → store, recorded once per
-- (source, beat_at). The newest row per source says when that whole path last worked.

CREATE TABLE heartbeats (
    source      text NOT NULL,                 -- who sent it: cli, airflow, probe, ...
    beat_at     timestamptz NOT NULL,          -- when it was sent
    handled_by  text NOT NULL,                 -- host:pid of the worker that recorded it
    request_id  text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, beat_at)
);
