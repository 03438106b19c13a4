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
-- every field of the answer (MemberRead's, the PII as stored: decrypting it is the
-- API's own work), and the flags
SELECT m.id, m.name, m.gender, m.birth_date, m.ethnicity, m.education, m.degree, m.post,
       m.new_social_stratum, m.hardship, m.status, m.category, m.org_id, m.group_id,
       m.applied_on, m.activist_on, m.candidate_on, m.joined_on, m.full_on, m.work_unit,
       m.residence, m.dues_base_fen, m.talked_on, m.admission_approved_on,
       m.lost_contact_since, m.residence_community_id, m.status_since,
       m.probation_extension_months, m.id_number_enc, m.phone_enc, m.org_path, m.version,
       m.created_at, m.updated_at, f.flags
FROM page AS m
-- include: flags_lateral.sql
ORDER BY m.org_path, m.id;
