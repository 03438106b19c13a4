-- GET /organisations/{org}/tree?depth=2: the live organisations two levels down, and
-- whether each one on the last level has live children.
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
SELECT o.id, o.parent_id, o.code, o.name, o.type, o.depth, o.dissolved_on,
       o.depth = :depth::int + 2 AND EXISTS (  -- one probe of the parent index per node
           -- (OFFSET 0: not hashed, which would read every organisation in the country)
           SELECT 1 FROM organisations AS c WHERE c.parent_id = o.id AND c.dissolved_on IS NULL
           OFFSET 0
       ) AS has_more_children
FROM organisations AS o
WHERE o.path LIKE :prefix AND o.depth <= :depth::int + 2 AND o.dissolved_on IS NULL
ORDER BY o.depth, o.code;
