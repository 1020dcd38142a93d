-- Cluster mode: the newest fencing token each world's owner has written with. A write that carries an
-- older token than this is refused (the node that sent it lost its lease and must step down). The
-- journal and snapshots record the token they were written with (NULL: a single node, no lease).
CREATE TABLE world_fences (
    world_id   BIGINT PRIMARY KEY,
    fence      BIGINT NOT NULL,
    node       TEXT NOT NULL,
    claimed_at BIGINT NOT NULL
);
ALTER TABLE world_commands ADD COLUMN fence BIGINT;
ALTER TABLE world_snapshots ADD COLUMN fence BIGINT;
