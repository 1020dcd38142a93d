-- A world's own cap on live bodies, fixed when it is created from its owner's quota (NULL: the balance's
-- world.max_bodies). Fixed for the world's life, so replaying its journal always decides the same way.
ALTER TABLE worlds ADD COLUMN max_bodies INTEGER;
