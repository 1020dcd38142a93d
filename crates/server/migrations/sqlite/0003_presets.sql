-- Presets: saved VJ show setups with every version kept (SQLite). `content` is the JSON object
-- {"layers":[…],"parameters":{…},"globalSettings":{…}}; `tags` the JSON array of the preset's tags, which
-- preset_tags repeats one row each so the same SQL filters by tag on both backends; `search_text` is the
-- lower-cased name and description the `q` filter matches. The presets row holds the current version;
-- preset_versions holds every version, the current one included. Times are Unix milliseconds.
CREATE TABLE presets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    BIGINT REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT,
    is_public   BOOLEAN NOT NULL,
    tags        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    content     TEXT NOT NULL,
    search_text TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX presets_owner ON presets(owner_id);
CREATE INDEX presets_updated ON presets(updated_at, id);

CREATE TABLE preset_versions (
    preset_id   BIGINT NOT NULL REFERENCES presets(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    is_public   BOOLEAN NOT NULL,
    tags        TEXT NOT NULL,
    content     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (preset_id, version)
);

CREATE TABLE preset_tags (
    preset_id BIGINT NOT NULL REFERENCES presets(id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (preset_id, tag)
);
CREATE INDEX preset_tags_tag ON preset_tags(tag, preset_id);
