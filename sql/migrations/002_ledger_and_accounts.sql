-- The append-only ledger of every accepted obligation and payment, and per-account totals.

CREATE TABLE ledger (
  seq          bigserial PRIMARY KEY,
  type         text NOT NULL CHECK (type IN ('obligation', 'payment')),
  channel      text NOT NULL,
  external_id  text NOT NULL,
  partition    int NOT NULL,
  customer_id  text NOT NULL,
  campaign_id  text NOT NULL,
  ref          text NOT NULL,
  kind         text NOT NULL,
  amount       numeric NOT NULL CHECK (amount >= 0),
  currency     char(3) NOT NULL,
  occurred_at  timestamptz NOT NULL,
  stream_id    text NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  -- The idempotency key: a re-delivered or re-imported event is never counted twice.
  UNIQUE (type, channel, external_id)
);

-- Duplicate-payment look-ups: same customer, currency and amount near a time.
CREATE INDEX ledger_duplicate_probe ON ledger (customer_id, currency, amount, occurred_at)
  WHERE type = 'payment' AND kind = 'payment';

-- An account is (customer, campaign, ref); ref '' is the campaign-level account.
CREATE TABLE accounts (
  customer_id      text NOT NULL,
  campaign_id      text NOT NULL,
  ref              text NOT NULL,
  partition        int NOT NULL,
  currency         char(3) NOT NULL,
  obligation       numeric,
  obligation_at    timestamptz,
  obligation_key   text,
  limit_amount     numeric,
  net_paid         numeric NOT NULL DEFAULT 0,
  settled          numeric NOT NULL DEFAULT 0,
  payment_count    int NOT NULL DEFAULT 0,
  -- Suspected duplicates raised while the account had no limit; they name the cause of
  -- the case that opens once a limit arrives.
  open_flags       int NOT NULL DEFAULT 0,
  waiting_case_id  uuid,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, campaign_id, ref)
);
CREATE INDEX accounts_by_partition ON accounts (partition);

-- Suspected duplicates on accounts with no limit yet; cleared when a limit arrives.
CREATE TABLE flags (
  flag_id       bigserial PRIMARY KEY,
  kind          text NOT NULL,
  ledger_seq    bigint NOT NULL REFERENCES ledger (seq),
  duplicate_of  bigint NOT NULL REFERENCES ledger (seq),
  customer_id   text NOT NULL,
  campaign_id   text NOT NULL,
  ref           text NOT NULL,
  raised_at     timestamptz NOT NULL DEFAULT now(),
  cleared_at    timestamptz,
  UNIQUE (kind, ledger_seq)
);
CREATE INDEX flags_open ON flags (customer_id, campaign_id, ref) WHERE cleared_at IS NULL;

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
