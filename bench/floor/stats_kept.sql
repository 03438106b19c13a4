-- GET /organisations/{org}/stats answered from the kept counts (migration 0030), as a
-- hand implementer would read them: the subtree's rollup rows of today's snapshot (the
-- primary key's range for (snapshot, path)), plus the member changes recorded under the
-- subtree since (the deltas' path index; banded here as the rollups are), summed per
-- group; ended members (left, deceased) counted by their status only; organisations by
-- type. The caller's session and the organisation inside the caller's subtree first,
-- with the age cut-offs (born after `cNN` <=> at most NN full years old on the app's day (`today`, China).
SELECT o.path AS path, o.path || '%' AS prefix,
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
WITH k AS (
    SELECT status, category, gender, education, band, n FROM member_stat_rollups
    WHERE snapshot_id = (SELECT id FROM member_stat_snapshots WHERE day = CAST(:today AS date))
      AND path = :path
    UNION ALL
    SELECT status, category, gender, coalesce(education, 'unknown'),
           CASE WHEN birth_date > :c30::date THEN '<=30' WHEN birth_date > :c40::date THEN '31-40'
                WHEN birth_date > :c50::date THEN '41-50' WHEN birth_date > :c60::date THEN '51-60'
                WHEN birth_date > :c70::date THEN '61-70' ELSE '>70' END, n
    FROM member_stat_deltas WHERE org_path LIKE :prefix
), g AS (
    SELECT status, category, gender, education, band, sum(n) AS n FROM k
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0
)
SELECT 'm' AS kind, status, category, gender, education, band, n
FROM g WHERE status NOT IN ('left', 'deceased')
UNION ALL
SELECT 'm', status, NULL, NULL, NULL, NULL, sum(n) FROM g
WHERE status IN ('left', 'deceased') GROUP BY status
UNION ALL
SELECT 'o', type, NULL, NULL, NULL, NULL, count(*)
FROM organisations WHERE path LIKE :prefix AND dissolved_on IS NULL
GROUP BY type;
