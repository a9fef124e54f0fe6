-- Cases, their audit trail, adjustments, and what was refused on the way in.

CREATE TABLE cases (
  case_id      uuid PRIMARY KEY,
  partition    int NOT NULL,
  customer_id  text NOT NULL,
  campaign_id  text NOT NULL,
  ref          text NOT NULL,
  currency     char(3) NOT NULL,
  state        text NOT NULL CHECK (state IN ('detected', 'auto_credit_pending', 'review_pending',
                 'on_hold', 'approved', 'rejected', 'credited', 'refunded', 'manually_adjusted',
                 'closed')),
  amount       numeric NOT NULL CHECK (amount >= 0),
  max_amount   numeric NOT NULL CHECK (max_amount >= amount),
  causes       text[] NOT NULL,
  first_event  bigint NOT NULL REFERENCES ledger (seq),
  detected_at  timestamptz NOT NULL DEFAULT now(),
  settled_at   timestamptz,
  resolved_at  timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_by_account ON cases (customer_id, campaign_id, ref);
CREATE INDEX cases_by_state ON cases (state);

-- Every case transition and adjustment, who or what made it, why, with what evidence.
CREATE TABLE audit_events (
  audit_id     bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL,
  case_id      uuid REFERENCES cases (case_id),
  customer_id  text NOT NULL,
  reason       text NOT NULL,
  evidence     jsonb NOT NULL DEFAULT '{}',
  before       jsonb,
  after        jsonb
);
CREATE INDEX audit_by_case ON audit_events (case_id);

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Money given back: one adjustment of each kind per case at most (idempotent jobs).
CREATE TABLE adjustments (
  adjustment_id  bigserial PRIMARY KEY,
  case_id        uuid NOT NULL REFERENCES cases (case_id),
  kind           text NOT NULL CHECK (kind IN ('credit', 'refund', 'manual')),
  amount         numeric NOT NULL CHECK (amount > 0),
  currency       char(3) NOT NULL,
  customer_id    text NOT NULL,
  campaign_id    text NOT NULL,
  actor          text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now(),
  UNIQUE (case_id, kind)
);

CREATE TRIGGER adjustments_append_only BEFORE UPDATE OR DELETE ON adjustments
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER adjustments_no_truncate BEFORE TRUNCATE ON adjustments
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Input records refused at an entrance, each kept once however often it is re-sent.
CREATE TABLE rejected_records (
  record_key     text PRIMARY KEY,
  source         text NOT NULL,
  format         text NOT NULL,
  line           int NOT NULL,
  reason         text NOT NULL,
  field          text NOT NULL,
  message        text NOT NULL,
  raw            text NOT NULL,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  times_seen     int NOT NULL DEFAULT 1
);
CREATE INDEX rejected_by_reason ON rejected_records (reason);

-- Stream entries the detector could not use; kept with their original fields, then acked.
-- One row per problem: the same event sent again with the same problem only counts again
-- in times_seen (dedupe_key = reason + idempotency key, or the entry id when it has none).
CREATE TABLE dead_letters (
  dead_letter_id  bigserial PRIMARY KEY,
  dedupe_key      text NOT NULL UNIQUE,
  partition       int NOT NULL,
  entry_id        text NOT NULL,
  reason          text NOT NULL,
  field           text NOT NULL,
  message         text NOT NULL,
  fields          jsonb NOT NULL,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at    timestamptz NOT NULL DEFAULT now(),
  times_seen      int NOT NULL DEFAULT 1
);
