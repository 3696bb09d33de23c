-- Organisations, API keys, clusters and idempotency records of the control plane.
CREATE TABLE organizations (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  plan        text NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
  -- The operator organisation (the local one in local mode) may create other organisations.
  is_operator boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_single_operator ON organizations (is_operator) WHERE is_operator;

CREATE TABLE api_keys (
  id              text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES organizations (id),
  name            text NOT NULL,
  scope           text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
  -- SHA-256 of the whole key: keys carry 256 bits of entropy, so a fast hash is enough.
  key_hash        bytea NOT NULL UNIQUE,
  -- First characters of the key, shown in listings so a person can tell keys apart.
  key_prefix      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  revoked_at      timestamptz
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);

CREATE TABLE clusters (
  id                   text PRIMARY KEY,
  organization_id      text NOT NULL REFERENCES organizations (id),
  name                 text NOT NULL,
  endpoint_id          text NOT NULL UNIQUE,
  region               text NOT NULL,
  tier                 text NOT NULL CHECK (tier IN ('serverless', 'dedicated')),
  size                 text NOT NULL,
  cu                   double precision NOT NULL,
  min_cu               double precision NOT NULL,
  max_cu               double precision NOT NULL,
  auto_suspend_seconds integer NOT NULL,
  max_connections      integer NOT NULL,
  allowed_cidrs        text[] NOT NULL DEFAULT '{}',
  database_name        text NOT NULL,
  role_name            text NOT NULL,
  -- AES-256-GCM (controlplane/crypto/secret-box.ts), associated data = cluster id.
  password_sealed      bytea NOT NULL,
  -- The verifier as pg_authid stores it; what proxies and the pooler check proofs against.
  scram_secret         text NOT NULL,
  -- provisioning | running | suspended | failed | deleting (desired/last known state).
  status               text NOT NULL,
  -- Set once the scheduler has provisioned the compute: its address is fixed for its lifetime.
  compute_host         text,
  compute_port         integer,
  -- The scheduler and pooler have caught up with this row (false: the reconciler retries).
  converged            boolean NOT NULL DEFAULT false,
  -- Bumped by every change proxies must see (secret, state, limits, addresses).
  version              bigint NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  deleted_at           timestamptz,
  -- Deprovisioned and kept only as a record.
  purged_at            timestamptz
);
CREATE UNIQUE INDEX clusters_live_name ON clusters (organization_id, name) WHERE deleted_at IS NULL;
CREATE INDEX clusters_unconverged ON clusters (id) WHERE NOT converged;

CREATE TABLE idempotency_keys (
  organization_id text NOT NULL REFERENCES organizations (id),
  key             text NOT NULL,
  -- Method, path and body hash: the same key with another request is an error.
  request_hash    text NOT NULL,
  -- The resource the first attempt created, so a retry converges it instead of creating another.
  -- Responses are not stored: they may hold a password; a replay renders the resource again.
  resource_id     text,
  -- Set once the first attempt answered successfully.
  status_code     integer,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, key)
);

-- Usage records from proxies: per endpoint and UTC minute a 60-bit mask of seconds with open
-- sessions (merged with bitwise OR, so duplicates never count twice) and bytes per direction.
CREATE TABLE usage_minutes (
  endpoint_id text NOT NULL,
  minute      timestamptz NOT NULL,
  active_mask bigint NOT NULL DEFAULT 0,
  cu          double precision NOT NULL,
  bytes_in    bigint NOT NULL DEFAULT 0,
  bytes_out   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (endpoint_id, minute)
);
