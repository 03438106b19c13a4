-- POST /point-entries: the caller's session and scope, the rule, the member locked, the
-- entry written with its change-feed event and its audit row, committed. One round trip.
-- The source key is new each time (the endpoint's own replay check finds nothing).
\set k random(1, 64)
-- the answer
WITH p AS (
    SELECT u.username, o.path FROM users AS u
    JOIN organisations AS o ON o.id = u.org_id
    JOIN auth_sessions AS s ON s.user_id = u.id
    WHERE u.id = :user AND s.id = :session AND u.active AND s.revoked_at IS NULL
), r AS (
    SELECT id, version, category, points FROM point_rules WHERE id = :rule AND active
), mem AS (
    SELECT m.id, m.org_path FROM members AS m, p
    WHERE m.id = (:members::uuid[])[:k::int] AND m.org_path LIKE p.path || '%'
      AND m.status IN ('full', 'probationary')
    FOR UPDATE OF m
), e AS (
    INSERT INTO point_entries (id, member_id, org_path, rule_id, rule_version, category,
        points, occurred_on, year, source, source_key, state, created_by, decided_by,
        decided_at)
    SELECT gen_random_uuid(), mem.id, mem.org_path, r.id, r.version, r.category, r.points,
           DATE '2026-06-01', 2026, 'manual', :tag || gen_random_uuid(), 'approved',
           :user, :user, now()
    FROM mem, r
    ON CONFLICT (member_id, source_key) DO NOTHING
    RETURNING id, member_id, org_path, rule_id, category, points, state, source_key
), feed AS (
    INSERT INTO outbox_events (event_type, resource, resource_id, org_path, payload)
    SELECT 'point_entry.created', 'point_entry', e.id, e.org_path, '{}' FROM e
), a AS (
    INSERT INTO audit_events (actor_id, actor_username, action, resource, resource_id,
        org_path, after)
    SELECT :user, p.username, 'points.awarded', 'member', e.member_id::text, e.org_path,
           jsonb_build_object('entry_id', e.id, 'points', e.points, 'source_key', e.source_key)
    FROM e, p
)
SELECT id, member_id, category, points, state FROM e;
