-- GET /organisations/{org}/meeting-compliance?year=2026&quarter=1: the policies in force
-- (the subtree's and its ancestors'), then each branch and group with its leaders and its
-- finalized meetings of the quarter by type: count, dates, attendance.
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
SELECT o.path, p.values FROM organisation_policies AS p JOIN organisations AS o ON o.id = p.org_id
WHERE o.path LIKE :prefix OR :path LIKE o.path || '%' ORDER BY o.depth;
-- the answer
SELECT o.id, o.code, o.name, o.type, mt.type AS meeting_type,
       count(DISTINCT mt.id) AS held, array_agg(DISTINCT mt.held_on) AS dates,
       count(a.member_id) FILTER (WHERE a.presence = 'present') AS present,
       count(a.member_id) AS attendees,
       (SELECT count(DISTINCT l.member_id) FROM organisation_leaders AS l
        WHERE l.org_id = o.id AND l.started_on <= DATE '2026-03-31'
          AND (l.ended_on IS NULL OR l.ended_on >= DATE '2026-03-31')) AS leaders
FROM organisations AS o
LEFT JOIN meetings AS mt ON mt.org_id = o.id AND mt.state = 'finalized'
     AND mt.held_on >= DATE '2026-01-01' AND mt.held_on < DATE '2026-04-01'
LEFT JOIN meeting_attendees AS a ON a.meeting_id = mt.id
WHERE o.path LIKE :prefix AND o.type IN ('branch', 'joint_branch', 'group')
  AND (o.dissolved_on IS NULL OR o.dissolved_on >= DATE '2026-04-01')
GROUP BY o.id, mt.type ORDER BY o.path;
