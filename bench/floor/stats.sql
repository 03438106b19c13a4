-- GET /organisations/{org}/stats: members counted by status, category, gender, age band
-- and education in one hashed pass (the client adds the groups up), organisations by type.
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
SELECT 'm' AS kind, status, category, gender, coalesce(education, 'unknown') AS education,
       CASE WHEN birth_date > current_date - interval '31 years' THEN '<=30'
            WHEN birth_date > current_date - interval '41 years' THEN '31-40'
            WHEN birth_date > current_date - interval '51 years' THEN '41-50'
            WHEN birth_date > current_date - interval '61 years' THEN '51-60'
            WHEN birth_date > current_date - interval '71 years' THEN '61-70'
            ELSE '>70' END AS band,
       count(*) AS n
FROM members WHERE org_path LIKE :prefix
GROUP BY 2, 3, 4, 5, 6
UNION ALL
SELECT 'o', type, NULL, NULL, NULL, NULL, count(*)
FROM organisations WHERE path LIKE :prefix AND dissolved_on IS NULL
GROUP BY type;
