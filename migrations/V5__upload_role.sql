-- The upload service's database role, holding only what that service needs.
--
-- The hub applies the migrations and owns the schema. The upload service logs in as
-- `natter_upload` (infra/db/roles.sql gives it a password in a deployment) and may read and write
-- its own tables, and read just the columns of the conversation tables that its access check
-- (who may fetch a media item) joins on: not message text, not password hashes, no DDL.
-- A later table the upload service uses gets its grant in the migration that creates it.
--
-- Roles belong to the whole server, not one database: the role is made only where it is missing
-- (the deployment's set-up creates it with a login first), and two databases migrating at once on
-- one server (the tests) may race to make it, which is harmless.
do $$
begin
    if not exists (select from pg_roles where rolname = 'natter_upload') then
        create role natter_upload nologin;
    end if;
exception
    when duplicate_object or unique_violation then null;
end
$$;

grant usage on schema public to natter_upload;
grant select, insert, update, delete on media to natter_upload;
grant select, insert, update, delete on pending_uploads to natter_upload;
grant select (id, conv_id, media_id) on messages to natter_upload;
grant select (id, kind, user_lo, user_hi, group_id) on conversations to natter_upload;
grant select (group_id, user_id) on group_members to natter_upload;
