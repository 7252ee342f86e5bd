-- Outgoing mail, queued in the transaction that decided to send it, so a
-- slow or failing mail server never blocks a request and nothing is lost on
-- a restart. A background worker sends with retries (see app/src/mail).
create table mail_outbox (
  mail_id         bigint generated always as identity primary key,
  to_email        text not null,
  subject         text not null,
  body_text       text not null,
  -- What the mail is for (`password_reset`), for logs and tests.
  kind            text not null,
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  sent_at         timestamptz,
  last_error      text,
  created_at      timestamptz not null default now(),
  constraint mail_outbox_subject_length check (char_length(subject) <= 200),
  constraint mail_outbox_body_length check (char_length(body_text) <= 20000)
);
create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where sent_at is null;

-- Single-use password reset links. Only the SHA-256 of the token is kept.
create table password_reset (
  token_hash  bytea primary key,
  account_id  uuid not null references account (account_id) on delete cascade,
  expires_at  timestamptz not null,
  used_at     timestamptz,
  created_at  timestamptz not null default now()
);
create index password_reset_account_idx on password_reset (account_id);
