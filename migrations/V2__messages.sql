-- Conversations, messages and read receipts.
--
-- A conversation is a pair of users (kind 1, `user_lo < user_hi`) or a group (kind 2). Each has its
-- own gap-free, strictly increasing `seq`, allocated by the hub's single writer. The newest seq of a
-- conversation is `max(seq)` of its messages, one backward probe of `messages_conv_seq_key`; it is
-- deliberately not kept in a column, which would cost a row update per conversation per commit.

create table conversations (
    id         bigint generated always as identity primary key,
    kind       smallint not null,
    user_lo    bigint references users (id) on delete cascade,
    user_hi    bigint references users (id) on delete cascade,
    group_id   bigint references groups (id) on delete cascade,
    created_at timestamptz not null default now(),
    constraint conversations_kind check (
        (kind = 1 and user_lo < user_hi and group_id is null)
        or (kind = 2 and group_id is not null and user_lo is null and user_hi is null)
    )
);
create unique index conversations_direct_key on conversations (user_lo, user_hi) where kind = 1;
create unique index conversations_group_key on conversations (group_id) where kind = 2;
create index conversations_user_hi_idx on conversations (user_hi) where kind = 1;

create table messages (
    id         bigint generated always as identity primary key,
    conv_id    bigint not null references conversations (id) on delete cascade,
    seq        bigint not null,
    sender_id  bigint not null references users (id) on delete cascade,
    -- The seed's fields: cmd 10 (to a user) or 11 (to a group), dstid, media and its extras.
    cmd        smallint not null,
    dstid      bigint not null,
    media      smallint not null,
    content    text not null,
    pic        text,
    url        text,
    memo       text,
    amount     bigint,
    -- The upload service's media this message carries (image or voice); grants its readers access.
    media_id   uuid,
    -- The sender's client message id: a retried send with the same cid is stored once.
    cid        text not null,
    created_at timestamptz not null default now(),
    constraint messages_conv_seq_key unique (conv_id, seq),
    constraint messages_sender_cid_key unique (sender_id, cid)
);
create index messages_media_idx on messages (media_id) where media_id is not null;

-- How far each user has read each conversation.
create table read_receipts (
    user_id    bigint not null references users (id) on delete cascade,
    conv_id    bigint not null references conversations (id) on delete cascade,
    seq        bigint not null,
    updated_at timestamptz not null default now(),
    constraint read_receipts_pkey primary key (user_id, conv_id)
);
