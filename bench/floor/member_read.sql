-- GET /members/{id}: the caller's session and scope, the member's row and its flags as
-- of today (the API's `flags`: a dozen conditions over the member's records), and the
-- audit row of an unmasked (PII) read, committed. One round trip.
\set k random(1, 64)
-- the answer
WITH p AS (
    SELECT u.username, o.path FROM users AS u
    JOIN organisations AS o ON o.id = u.org_id
    JOIN auth_sessions AS s ON s.user_id = u.id
    WHERE u.id = :user AND s.id = :session AND u.active AND s.revoked_at IS NULL
), m AS (
    SELECT m.* FROM members AS m, p
    WHERE m.id = (:members::uuid[])[:k::int] AND m.org_path LIKE p.path || '%'
), a AS (
    INSERT INTO audit_events (actor_id, actor_username, action, resource, resource_id, org_path)
    SELECT :user, p.username, 'member.pii_read', 'member', m.id::text, m.org_path FROM m, p
),
-- include: flags_days.sql
-- include: answer_columns.sql
FROM m
-- include: flags_lateral.sql
;
