-- GET /members?within={org}&limit=50: the first page in (org_path, id) order, one more
-- row to know there is a next page, each row with its flags as of today (the API's
-- `flags`), and the audit row naming the 50 revealed members.
-- The caller's session, and the organisation inside the caller's subtree: its path
-- as a LIKE prefix for the statements after it (gset, a second round trip).
SELECT o.path || '%' AS prefix, o.path AS path, o.depth AS depth, uo.path AS caller_path,
       u.username AS caller
FROM users AS u
JOIN organisations AS uo ON uo.id = u.org_id
JOIN auth_sessions AS s ON s.user_id = u.id
JOIN organisations AS o ON o.id = :org AND o.path LIKE uo.path || '%'
WHERE u.id = :user AND s.id = :session AND u.active AND s.revoked_at IS NULL
\gset
-- the answer
WITH page AS (
    SELECT * FROM members WHERE org_path LIKE :prefix ORDER BY org_path, id LIMIT 51
), a AS (
    INSERT INTO audit_events (actor_id, actor_username, action, resource, org_path, after)
    SELECT :user, :caller, 'member.pii_read', 'member', :caller_path,
           jsonb_build_object('member_ids', jsonb_agg(id))
    FROM (SELECT id FROM page ORDER BY org_path, id LIMIT 50) AS shown
),
-- include: flags_days.sql
-- include: answer_columns.sql
FROM page AS m
-- include: flags_lateral.sql
ORDER BY m.org_path, m.id;
