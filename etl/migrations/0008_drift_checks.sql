-- Feature drift checks: one row per check, the population stability index of each feature
-- between the coming fixtures and the finished matches of the year before (ml/drift.py).

CREATE TABLE drift_checks (
    id                bigserial PRIMARY KEY,
    checked_at        timestamptz NOT NULL DEFAULT now(),
    day               date NOT NULL,               -- fixtures from this day were compared
    model_version     text NOT NULL,               -- the champion whose features were read
    fixtures          integer NOT NULL,            -- scheduled matches compared
    reference_matches integer NOT NULL,            -- finished matches they were compared with
    psi               jsonb NOT NULL               -- feature name -> PSI
);

CREATE INDEX drift_checks_checked ON drift_checks (checked_at DESC);
