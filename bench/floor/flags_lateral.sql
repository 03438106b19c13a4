-- Each member's flags (`m`, a member row; `d`, flags_days.sql), written into the
-- member read's and the page's floors by floor_bench.py (`-- include:
-- flags_lateral.sql`); bench/floor/flags_check.py reads it too.
CROSS JOIN LATERAL (
    -- the member's flags as of today, in the API's order (FLAG_CODES), written by hand:
    -- the open mobile episode and the active 双报到 registration are at most one row
    -- each (their partial unique indexes), read once for the flags that look at them
    SELECT array_remove(ARRAY[
        CASE WHEN m.status = 'applicant' AND m.talked_on IS NULL AND m.applied_on < d.talk_by
             THEN 'applicant.talk_overdue' END,
        CASE WHEN m.status = 'probationary' AND m.admission_approved_on IS NULL
                  AND m.joined_on < d.approval_due AND m.joined_on >= d.approval_limit
             THEN 'admission.approval_overdue' END,
        CASE WHEN m.status = 'probationary' AND m.admission_approved_on IS NULL
                  AND m.joined_on < d.approval_limit
             THEN 'admission.approval_expired' END,
        CASE WHEN m.status = 'probationary' AND pe.ends > d.today AND pe.ends <= d.today + 30
             THEN 'probation.ending' END,
        CASE WHEN m.status = 'probationary' AND pe.ends <= d.today THEN 'probation.due' END,
        CASE WHEN m.status IN ('full', 'probationary')
                  AND (m.lost_contact_since <= d.silent_since OR e.last_contact_on <= d.silent_since)
             THEN 'contact.lost' END,
        CASE WHEN m.status IN ('full', 'probationary') AND m.relocated_on IS NOT NULL
                  AND (e.id IS NULL OR e.started_on < m.relocated_on)
                  AND NOT EXISTS (
                      SELECT FROM transfers AS t
                      WHERE t.member_id = m.id AND t.state IN ('pending', 'accepted')
                        AND (t.created_at AT TIME ZONE 'Asia/Shanghai')::date >= m.relocated_on)
             THEN 'transfer.suggested' END,
        CASE WHEN EXISTS (
                  SELECT FROM member_disciplines AS x
                  WHERE x.member_id = m.id AND x.kind = 'probation' AND x.outcome IS NULL
                    AND x.ends_on <= d.today)
             THEN 'discipline.outcome_due' END,
        CASE WHEN e.started_on + e.expected_months * interval '1 month' < d.today
             THEN 'mobile.expected_period_exceeded' END,
        CASE WHEN r.registered_on < d.year_start
                  AND (r.review_year IS NULL OR r.review_year < d.year)
             THEN 'community_report.review_due' END,
        CASE WHEN EXISTS (
                  SELECT FROM member_disciplines AS x
                  JOIN organisation_leaders AS l
                    ON l.member_id = x.member_id AND l.started_on <= x.decided_on
                   AND (l.ended_on IS NULL OR l.ended_on >= d.today)
                  WHERE x.member_id = m.id AND x.kind IN ('removal_from_post', 'probation')
                    AND x.decided_on <= d.today)
             THEN 'discipline.post_still_held' END,
        -- six months owed and unpaid: admitted by the first of them, none paid or exempt
        -- (months are stored as first days), and with a status history, a due status
        -- on some day of each (without one, the current status, a due one)
        CASE WHEN m.status IN ('full', 'probationary')
                  AND (m.joined_on IS NULL OR m.joined_on < d.dues_from + interval '1 month')
                  AND NOT EXISTS (
                      SELECT FROM dues_payment_months AS pm
                      WHERE pm.member_id = m.id AND pm.month BETWEEN d.dues_from AND d.dues_to)
                  AND NOT EXISTS (
                      SELECT FROM dues_reliefs AS x
                      WHERE x.member_id = m.id AND x.kind = 'exemption'
                        AND x.from_month <= d.dues_to AND x.to_month >= d.dues_from)
                  AND (NOT EXISTS (SELECT FROM member_transitions AS t WHERE t.member_id = m.id)
                       OR NOT EXISTS (
                           SELECT FROM generate_series(d.dues_from::timestamp,
                                                       d.dues_to::timestamp,
                                                       interval '1 month') AS s(first)
                           WHERE coalesce(
                                   (SELECT t.to_status FROM member_transitions AS t
                                    WHERE t.member_id = m.id AND t.effective_date <= s.first
                                    ORDER BY t.effective_date DESC, t.recorded_at DESC LIMIT 1),
                                   (SELECT t.from_status FROM member_transitions AS t
                                    WHERE t.member_id = m.id
                                    ORDER BY t.effective_date, t.recorded_at LIMIT 1),
                                   m.status) NOT IN ('full', 'probationary')
                             AND NOT EXISTS (
                                 SELECT FROM member_transitions AS t
                                 WHERE t.member_id = m.id AND t.effective_date > s.first
                                   AND t.effective_date < s.first + interval '1 month'
                                   AND t.to_status IN ('full', 'probationary'))))
             THEN 'dues.six_months_unpaid' END,
        CASE WHEN m.status = 'suspended' AND m.status_since <= d.left_by
             THEN 'suspension.left_suggested' END
    ], NULL) AS flags
    FROM d
    CROSS JOIN LATERAL (
        SELECT m.joined_on
               + (12 + coalesce(m.probation_extension_months, 0)) * interval '1 month' AS ends
    ) AS pe
    LEFT JOIN mobile_episodes AS e ON e.member_id = m.id AND e.state IN ('registered', 'hosted')
    LEFT JOIN community_reports AS r ON r.member_id = m.id AND r.state = 'active'
) AS f
