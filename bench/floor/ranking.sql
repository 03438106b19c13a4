-- GET /organisations/{org}/points/ranking?year=2026&limit=100: the scheme's base from the
-- nearest scheme at or above the organisation, the top 100 scored members (full and
-- probationary) with their rank, and each one's branch's count of full members.
-- Written as a hand implementer who knows the data would: it walks the top of the kept
-- totals, `ix_point_totals_year_points (year, points DESC, member_id) INCLUDE (org_path)`,
-- and stops at the 100th eligible member, with the same indexes the app has. It knows,
-- and does not prove (the app proves it on every call): one scheme applies to the whole
-- subtree (no scheme below the organisation, true of the synth data: one province
-- scheme), so the order by total is the order by points; and at least 100 eligible
-- members of the subtree have positive points, so nobody without points (base + 0) is
-- in the top. floor_bench.py compares its answer with the API's before measuring.
-- The caller's session, and the organisation inside the caller's subtree: its path
-- as a LIKE prefix for the statement after it (gset, a second round trip).
SELECT o.path || '%' AS prefix, o.path AS path, o.depth AS depth, uo.path AS caller_path,
       u.username AS caller
FROM users AS u
JOIN organisations AS uo ON uo.id = u.org_id
JOIN auth_sessions AS s ON s.user_id = u.id
JOIN organisations AS o ON o.id = :org AND o.path LIKE uo.path || '%'
WHERE u.id = :user AND s.id = :session AND u.active AND s.revoked_at IS NULL
\gset
-- the answer
WITH base AS (
    SELECT coalesce((
        SELECT base FROM point_schemes
        WHERE year = 2026 AND :path LIKE org_path || '%' ORDER BY length(org_path) DESC LIMIT 1
    ), 0) AS base
), top AS MATERIALIZED (
    SELECT t.member_id AS id, m.name, m.org_path, t.points
    FROM point_totals AS t
    JOIN members AS m ON m.id = t.member_id
    WHERE t.year = 2026 AND t.org_path LIKE :prefix AND t.points > 0
      AND m.status IN ('full', 'probationary')
    ORDER BY t.points DESC, t.member_id
    LIMIT 100
), branch AS MATERIALIZED (
    SELECT p.org_path,
           (SELECT count(*) FROM members AS f WHERE f.org_path = p.org_path AND f.status = 'full')
               AS n
    FROM (SELECT DISTINCT org_path FROM top) AS p
)
SELECT top.id, top.name, base.base + top.points AS total,
       rank() OVER (ORDER BY top.points DESC) AS rank, branch.n AS branch_full
FROM top CROSS JOIN base JOIN branch ON branch.org_path = top.org_path
ORDER BY top.points DESC, top.id;
