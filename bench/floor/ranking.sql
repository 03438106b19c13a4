-- GET /organisations/{org}/points/ranking?year=2026&limit=100: the scheme's base from the
-- nearest scheme at or above the organisation, the top 100 scored members (full and
-- probationary) with their rank, and each one's branch's count of full members.
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
SELECT coalesce((
    SELECT base FROM point_schemes
    WHERE year = 2026 AND :path LIKE org_path || '%' ORDER BY length(org_path) DESC LIMIT 1
), 0) AS base
\gset
-- the answer
WITH top AS (
    SELECT m.id, m.name, m.org_id, m.status, :base::int + coalesce(t.points, 0) AS total
    FROM members AS m
    LEFT JOIN point_totals AS t ON t.member_id = m.id AND t.year = 2026
    WHERE m.org_path LIKE :prefix AND m.status IN ('full', 'probationary')
    ORDER BY total DESC, m.id LIMIT 100
)
SELECT top.id, top.name, top.total, rank() OVER (ORDER BY top.total DESC) AS rank,
       (SELECT count(*) FROM members AS f WHERE f.org_id = top.org_id AND f.status = 'full')
           AS branch_full
FROM top ORDER BY top.total DESC, top.id;
