-- Live-session rooms (v1z3r): a room's description and its show state as JSON, kept so rooms survive a
-- restart; removed when nobody was in them for live.room_ttl. Times are Unix milliseconds.
CREATE TABLE live_rooms (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    owner_id    BIGINT NOT NULL,
    meta        TEXT NOT NULL,
    state       TEXT NOT NULL,
    last_active BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
