-- The days the flags compare with, as of today (the date in China Standard Time, as
-- the API's): a CTE of the member read's and the page's floors, written into them by
-- floor_bench.py (`-- include: flags_days.sql`); bench/floor/flags_check.py reads it too.
d AS (  -- today (the date in China Standard Time, as the API's) and its limits
    SELECT t AS today,
           (t - interval '1 month')::date AS talk_by,  -- talk due within a month
           (t - interval '3 months')::date AS approval_due,
           (t - interval '6 months')::date AS approval_limit,
           (t - interval '6 months')::date AS silent_since,  -- out of contact 6 months
           (t - interval '24 months')::date AS left_by,  -- suspended two years
           make_date(extract(year FROM t)::int, 1, 1) AS year_start,
           extract(year FROM t)::int AS year,
           (date_trunc('month', t::timestamp) - interval '5 months')::date AS dues_from,
           date_trunc('month', t::timestamp)::date AS dues_to
    FROM (SELECT CAST(:today AS date) AS t) AS today
)
