-- Accounts, contacts and groups.
--
-- Conventions for every migration in this folder:
--   * lowercase SQL, `bigint generated always as identity` primary keys named `id`;
--   * `created_at timestamptz not null default now()` on every table;
--   * constraints are named on purpose: the services map a violated constraint name to an API error;
--   * an applied migration is never edited: add a new numbered file instead (see README.md here).

create table users (
    id            bigint generated always as identity primary key,
    username      text not null,
    nickname      text not null,
    avatar        text not null default '',
    -- argon2id PHC string (salt and parameters included).
    password_hash text not null,
    created_at    timestamptz not null default now(),
    constraint users_username_format check (username ~ '^[a-z0-9_]{3,32}$')
);
-- Usernames are stored lowercase; the index makes them unique and searchable.
create unique index users_username_key on users (username);
create index users_nickname_lower_idx on users (lower(nickname) text_pattern_ops);

-- A contact is mutual: adding one stores both directions.
create table contacts (
    user_id    bigint not null references users (id) on delete cascade,
    contact_id bigint not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    constraint contacts_pkey primary key (user_id, contact_id),
    constraint contacts_not_self check (user_id <> contact_id)
);

create table groups (
    id         bigint generated always as identity primary key,
    name       text not null,
    owner_id   bigint not null references users (id),
    created_at timestamptz not null default now(),
    constraint groups_name_length check (char_length(name) between 1 and 64)
);

create table group_members (
    group_id  bigint not null references groups (id) on delete cascade,
    user_id   bigint not null references users (id) on delete cascade,
    joined_at timestamptz not null default now(),
    constraint group_members_pkey primary key (group_id, user_id)
);
create index group_members_user_idx on group_members (user_id);
