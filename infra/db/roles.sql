-- The services' database roles, made once per deployment by the database's administrator:
-- compose's `postgres-init` job and Terraform's `db-setup` task run it with psql, e.g.
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v hub_password="$HUB_DB_PASSWORD" \
--        -v upload_password="$UPLOAD_DB_PASSWORD" -f infra/db/roles.sql
--
-- natter_hub owns the database, so it can apply the migrations (and nothing beyond it: not a
-- superuser, no CREATEROLE, no other database). natter_upload only logs in here; what it may read
-- and write is granted by the migrations (migrations/V5__upload_role.sql), which the hub applies.
-- Running it again only resets the two passwords.

\set ON_ERROR_STOP on

select 'create role natter_hub'
where not exists (select from pg_roles where rolname = 'natter_hub')
\gexec
select 'create role natter_upload'
where not exists (select from pg_roles where rolname = 'natter_upload')
\gexec

alter role natter_hub with login nosuperuser nocreatedb nocreaterole password :'hub_password';
alter role natter_upload with login nosuperuser nocreatedb nocreaterole password :'upload_password';

-- Handing objects to natter_hub needs membership in it (managed databases have no superuser).
grant natter_hub to current_user;
select format('alter database %I owner to natter_hub', current_database())
\gexec
-- A deployment older than these roles: its tables move to the hub as well.
select format('alter table public.%I owner to natter_hub', tablename)
from pg_tables where schemaname = 'public' and tableowner = current_user
\gexec
