-- The member floors' answer (member_read.sql, page.sql): every field of MemberRead, the
-- PII as stored (decrypting it is the API's own work), and the flags; `m` is the
-- member row, `f` its flags (flags_lateral.sql).
SELECT m.id, m.name, m.gender, m.birth_date, m.ethnicity, m.education, m.degree, m.post,
       m.new_social_stratum, m.hardship, m.status, m.category, m.org_id, m.group_id,
       m.applied_on, m.activist_on, m.candidate_on, m.joined_on, m.full_on, m.work_unit,
       m.residence, m.dues_base_fen, m.talked_on, m.admission_approved_on,
       m.lost_contact_since, m.residence_community_id, m.status_since,
       m.probation_extension_months, m.id_number_enc, m.phone_enc, m.org_path, m.version,
       m.created_at, m.updated_at, f.flags
