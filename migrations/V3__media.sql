-- Media uploaded through the upload service.
--
-- Objects live in the bucket under server-chosen keys derived from the content hash, so the same
-- bytes are stored once; each owner gets one row per distinct content. A row exists only once its
-- object is in place (promoted), and `pending_uploads` tracks presigned direct uploads until completed.

create table media (
    id          uuid primary key,
    owner_id    bigint not null references users (id) on delete cascade,
    kind        text not null,
    mime        text not null,
    size        bigint not null,
    sha256      text not null,
    width       integer,
    height      integer,
    duration_ms bigint,
    waveform    bytea,
    object_key  text not null,
    thumb_key   text,
    thumb_mime  text,
    created_at  timestamptz not null default now(),
    constraint media_kind check (kind in ('image', 'voice')),
    constraint media_owner_sha_key unique (owner_id, sha256)
);

create table pending_uploads (
    id          uuid primary key,
    owner_id    bigint not null references users (id) on delete cascade,
    kind        text not null,
    mime        text not null,
    size        bigint not null,
    object_key  text not null,
    expires_at  timestamptz not null,
    created_at  timestamptz not null default now(),
    constraint pending_uploads_kind check (kind in ('image', 'voice'))
);
