-- Deployment settings fixed at first start (the partition count) and campaign policies.

CREATE TABLE settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);

-- One policy per campaign, amounts in the campaign's currency. A campaign first seen on an
-- event gets the documented default policy (policy_source = 'default').
CREATE TABLE campaigns (
  campaign_id          text PRIMARY KEY,
  currency             char(3) NOT NULL,
  per_customer_cap     numeric CHECK (per_customer_cap >= 0),
  tolerance            numeric NOT NULL CHECK (tolerance >= 0),
  auto_credit_ceiling  numeric NOT NULL CHECK (auto_credit_ceiling >= 0),
  auto_credit_percent  numeric CHECK (auto_credit_percent > 0 AND auto_credit_percent <= 100),
  hold_threshold       numeric NOT NULL,
  resolution           text NOT NULL CHECK (resolution IN ('credit', 'refund')),
  policy_source        text NOT NULL CHECK (policy_source IN ('default', 'loaded')),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (hold_threshold >= auto_credit_ceiling)
);

-- Fencing: a worker that takes a partition bumps its epoch; every batch transaction checks it,
-- so a stale owner's late commit fails instead of counting twice.
CREATE TABLE partition_owners (
  partition  int PRIMARY KEY,
  epoch      bigint NOT NULL,
  owner      text NOT NULL,
  taken_at   timestamptz NOT NULL DEFAULT now()
);
