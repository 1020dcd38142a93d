-- Accounts, worlds, play data and the durable world journal (PostgreSQL). Times are Unix milliseconds.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT UNIQUE,
    email         TEXT UNIQUE,
    password_hash TEXT,
    is_guest      BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    family      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family);

CREATE TABLE worlds (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    public      BOOLEAN NOT NULL,
    max_players INTEGER NOT NULL,
    tick_rate   INTEGER NOT NULL,
    seed        BIGINT NOT NULL,
    bodies      INTEGER NOT NULL,
    owner_id    BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE world_members (
    world_id  BIGINT NOT NULL REFERENCES worlds(id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (world_id, user_id)
);

CREATE TABLE player_stats (
    world_id           BIGINT NOT NULL,
    user_id            BIGINT NOT NULL,
    total_dust         DOUBLE PRECISION NOT NULL,
    stars_created      BIGINT NOT NULL,
    bodies_created     BIGINT NOT NULL,
    highest_life_stage INTEGER NOT NULL,
    resources          TEXT NOT NULL,
    research           TEXT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (world_id, user_id)
);
CREATE INDEX player_stats_dust ON player_stats(world_id, total_dust DESC);

CREATE TABLE world_commands (
    world_id BIGINT NOT NULL,
    tick     BIGINT NOT NULL,
    seq      INTEGER NOT NULL,
    payload  TEXT NOT NULL,
    PRIMARY KEY (world_id, tick, seq)
);

CREATE TABLE world_snapshots (
    world_id   BIGINT NOT NULL,
    tick       BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    checksum   TEXT NOT NULL,
    data       BYTEA NOT NULL,
    PRIMARY KEY (world_id, tick)
);
