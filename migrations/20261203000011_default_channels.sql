-- Channels every new member joins besides #general, chosen by admins.
alter table channel add column is_default boolean not null default false;
