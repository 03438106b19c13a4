-- GET /organisations/{org}/stats: members counted by status, and the current ones (not
-- left or deceased) by category, gender, age band and education; organisations by type.
-- Written in the shape a hand implementer would choose: one pass over the covering index
-- `ix_members_org_path_stats` (index-only), hashed by status, category, gender and
-- education (a few hundred groups), the age bands as one `count(*) FILTER` per cut-off
-- date (the cut-offs computed once, with the session check), then the groups unpivoted
-- into rows of (status, category, gender, education, band, n) for the client to add up.
-- Ended members come out as one row per group with only their status (the rest NULL).
-- The caller's session, the organisation inside the caller's subtree (its path as a LIKE
-- prefix) and the age cut-offs: born after `cNN` <=> at most NN full years old on the app's day (`today`, China).
SELECT o.path || '%' AS prefix, o.path AS path, o.depth AS depth, uo.path AS caller_path,
       u.username AS caller,
       (CAST(:today AS date) - interval '31 years')::date AS c30,
       (CAST(:today AS date) - interval '41 years')::date AS c40,
       (CAST(:today AS date) - interval '51 years')::date AS c50,
       (CAST(:today AS date) - interval '61 years')::date AS c60,
       (CAST(:today AS date) - interval '71 years')::date AS c70
FROM users AS u
JOIN organisations AS uo ON uo.id = u.org_id
JOIN auth_sessions AS s ON s.user_id = u.id
JOIN organisations AS o ON o.id = :org AND o.path LIKE uo.path || '%'
WHERE u.id = :user AND s.id = :session AND u.active AND s.revoked_at IS NULL
\gset
-- the answer
WITH g AS (
    SELECT status, category, gender, coalesce(education, 'unknown') AS education,
           count(*) AS n,
           count(*) FILTER (WHERE birth_date > :c30::date) AS y30,
           count(*) FILTER (WHERE birth_date > :c40::date) AS y40,
           count(*) FILTER (WHERE birth_date > :c50::date) AS y50,
           count(*) FILTER (WHERE birth_date > :c60::date) AS y60,
           count(*) FILTER (WHERE birth_date > :c70::date) AS y70
    FROM members WHERE org_path LIKE :prefix
    GROUP BY 1, 2, 3, 4
)
SELECT 'm' AS kind, g.status, g.category, g.gender, g.education, b.band, b.n
FROM g CROSS JOIN LATERAL (VALUES ('<=30', g.y30), ('31-40', g.y40 - g.y30),
                                  ('41-50', g.y50 - g.y40), ('51-60', g.y60 - g.y50),
                                  ('61-70', g.y70 - g.y60), ('>70', g.n - g.y70)) AS b (band, n)
WHERE g.status NOT IN ('left', 'deceased') AND b.n > 0
UNION ALL
SELECT 'm', status, NULL, NULL, NULL, NULL, n FROM g WHERE status IN ('left', 'deceased')
UNION ALL
SELECT 'o', type, NULL, NULL, NULL, NULL, count(*)
FROM organisations WHERE path LIKE :prefix AND dissolved_on IS NULL
GROUP BY type;
