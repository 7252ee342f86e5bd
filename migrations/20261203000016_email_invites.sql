-- Invites sent by email (one address, one use) and the email domains a
-- link invite accepts (empty: any).
alter table invite add column email text
  constraint invite_email_length check (char_length(email) <= 254);
alter table workspace add column signup_domains text[] not null default '{}'
  constraint workspace_signup_domains check (cardinality(signup_domains) <= 50);
