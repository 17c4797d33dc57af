-- Pipeline runs: one row per run_pipeline request. A request that arrives while a run holds
-- the pipeline is recorded as skipped; a run whose worker died stays running until the next
-- run marks it abandoned.

CREATE TABLE pipeline_runs (
    id          bigserial PRIMARY KEY,
    reason      text NOT NULL,                 -- why it was asked for: weekly schedule, ...
    status      text NOT NULL CHECK (status IN
                    ('running', 'succeeded', 'failed', 'skipped', 'abandoned')),
    requested_at timestamptz,                  -- when the message was sent
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    model_version text,                        -- the challenger it registered, if any
    promoted    boolean,
    dvc_lock    text,                          -- dvc.lock after the run
    error       text,
    handled_by  text NOT NULL                  -- host:pid of the worker
);

CREATE INDEX pipeline_runs_started ON pipeline_runs (started_at DESC);
CREATE UNIQUE INDEX pipeline_runs_one_running ON pipeline_runs ((true)) WHERE status = 'running';
