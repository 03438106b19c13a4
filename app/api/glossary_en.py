"""English descriptions of the schema fields and parameters, for /openapi.en.json.

The same vocabulary as app/api/glossary.py (zh-CN), by the same names.
"""

from __future__ import annotations

_TABLE_EN = """
absent|Meetings missed: excused (with the reason) or absent
abstentions|Abstentions
accepted|Accepted
access_token|Access token (Bearer)
action|Action
active|Whether the account is enabled
activist_on|Day named an activist
actor_id|User id of who acted
actor_username|Username of who acted
added|Members added
admission_approved_on|Day the branch meeting approved admission
after|Value after the change
amendments|Amendments
amount_fen|Amount in fen
applied_on|Day the application was handed in
approval_ref|Approval document number
approved_on|Day approved
area|Area
as_of|Reference day
assessed_fen|The month's assessment in fen (0 when not due)
atomic|Write nothing unless every row is valid
attachment_id|Attachment id
attempts|Attempts so far
attendance|Attendance
attendance_rate|Attendance rate
attended|Meetings attended
awarded_on|Day the reward was granted
ayes|Votes for
base|Base points
base_fen|Dues base in fen
before|Value before the change
below_lowest_band|Below the lowest band
binding_code|WeChat binding code (once)
birth_date|Date of birth
body|Message text
bound_at|Bound at
boundary|Grid boundary
buildings|Buildings
by_age_band|By age band
by_category|By category
by_contact|By contact (lost contact on or before as_of)
by_degree|By degree
by_destination_province|By destination province
by_economic_type|By the unit's economic type
by_education|By education
by_ethnicity|By ethnicity
by_gender|By gender
by_grade|By points grade (ungraded: below every band or no bands)
by_hardship|By hardship
by_joining_period|By joining period
by_kind|Counts per kind
by_new_social_stratum|By new social stratum
by_org_type|By organisation type
by_post|By post
by_reason|Totals by reason
by_state|By state
by_status|By member status
by_term_status|By term status
by_type|By organisation type
by_unit_category|By unit category
by_unit_size|By the unit's size
by_unit_type|By the unit's legal type
cadence|Required cadence
candidate_on|Day named a candidate
cap_month|Monthly cap
cap_year|Yearly cap
catalogue_version|Version of the step catalogue (发展党员工作细则)
category|Category
central_households|Central households
certificate_no|Certificate number
changes|The fields to change and their new values
check_ins|Check-ins
children|Child organisations
claims|Claims awaiting approval, newest first
client_id|Client id (unused)
client_secret|Client secret (unused)
closes_at|Sign-in closes at
code|Code
code_seconds|Seconds between code changes
column|Column
committee_size|Committee size in people (one person holding two seats counts once)
community_org_id|Community organisation id
concluded_on|Day the outcome was decided
conclusion_document|Document number of the outcome
confirmed|Confirmed
contact_state|Contact state
count|Number of members
count_at_end|Members at the end of the period
count_at_start|Members at the start of the period
counterpart_org_id|Organisation on the other side of the transfer
covering_org_id|Responsible organisation id
created|Created
created_at|Created at (UTC)
cursor|Cursor
data|Event data
dates|Dates
decided_at|Decided at (UTC)
decided_on|Day of the decision
decision_reason|Reason given with the decision
defaults|Defaults
delivered_at|Delivered at (UTC)
depth|Depth
description|Description
destination_area|Destination area
detail|Detail
direction|Added or removed
discipline_id|Discipline id
dissolved_on|Day dissolved
document_number|Document number (文号)
done_on|Day the step was done
dry_run|Validate only, write nothing
due|Due
due_on|Due date (null when the rule sets none)
dues_base_fen|Dues base in fen
degree|Degree (GB/T 6864)
evidence_from|The existing record that is this step, if any
follows|Steps this one comes after
form_number|Application form number, with its prefix
gates|The status a member enters only with this step done
name_en|English name
notes|Notes
notice_ends_on|Last day of the public notice
filename|File name
media_type|Media type, recognised from the content (not the name)
owner_id|The member, meeting or development step record the file belongs to
meetings|Meeting compliance of as_of's year, up to as_of
post|Post (工作岗位)
new_social_stratum|New social stratum (新社会阶层)
hardship|Hardship (困难情况)
contact_person|Contact person
contact_phone|Contact phone (stored encrypted)
division_code|Administrative division code (GB/T 2260)
economic_type|Economic type (GB/T 12402)
may_approve_probationary|Whether it may approve probationary members
national_id|Id in the national party member system (for sync)
repeats|Whether it repeats (reviews)
responsible_ids|Responsible people (member ids: who talked, contacts, reviewers)
responsible_max|Most responsible people
responsible_min|Fewest responsible people
result|Result
stage|Stage (1-5)
stages|The stages (the catalogue: their steps; the pipeline: members at each)
step|Step of the admission record
steps|The steps
training_hours|Training hours
sha256|SHA-256 of the content, lowercase hex
size_bytes|Size in bytes
ranked|Members ranked by points (probationary and full)
unit_size|Unit size
unit_type|Unit type
checked|Codes of the rules checked
failed|The rules that failed
message_en|Message in English
message_zh|Message in Chinese
records|Records breaking the rule (the first 100 by id; count gives all, all_records lists them)
all_records|Paged list of all the records of a record rule (null: table rule)
education|Education
effective_date|Effective date
email|Address email reminders go to (null: none set)
employed_members|Employed members
ended_on|Day ended
ends_on|The first day after the period of 留党察看
entries|Entries
error|Error
errors|Errors by field
ethnicity|Ethnicity
event_id|Event id
event_type|Event type
event_types|Subscribed event types
events|Events
evidence|Evidence
expected_months|Months due
expires_at|Expires at
extension_months|Probation extension in months
field|Field
file|The file (CSV or XLSX)
finalized_at|Finalized at (UTC)
finished_at|Finished at (UTC)
flags|Warning flags
founded_on|Day founded
from_month|First month
from_org|Sending organisation
from_status|Previous status
full_members|Full members
full_on|Day made a full member
gender|Gender
grade|Review grade
grade_bands|Grade bands
grades|Review grades
grant_type|Grant type (password)
group_id|Party group id
has_secretary|Has a secretary
has_vote|Has a vote
held|Meetings held
held_on|Day held
home_org|Home organisation
host_id|Host organisation id
host_org|Host organisation
host_org_id|Host organisation id
hosted_on|Day the host accepted
hours|Hours of service
households|Households
id|Identifier (UUID)
id_number|Resident ID number (masked without PII rights)
instance|Request path of the problem
invalid_reason|Why it is invalid
items|Items of this page
joined_on|Day joined the Party
key|Row code
kind|Kind
label|Label
label_en|English label
label_zh|Chinese label
last_contact_on|Last contact
last_error|Last error
last_status|Last response status
late|Signed in late
late_after|A sign-in after this is late
leader_id|Leader id
leaders|Current leaders, secretary first
level|Level
link|What to act on (resource type and id)
location_consent|Consent to record location
longest_unpaid_run|Longest run of unpaid months
lost_contact|Lost contact
lost_contact_since|Lost contact since
may_read_pii|May read personal data
me|The signed-in user
meeting_id|Meeting id
member_id|Member id
notification_id|Notification id
member_ids|Member ids
member_name|Member name
members|Members
message|Message
min|Minimum points
minutes|Minutes
month|Month
monthly_fen|Monthly amount in fen
months|Months
name|Name
nays|Votes against
needs_approval|Needs approval
needs_evidence|Needs evidence
new_members|Members admitted in the year
new_parent_id|New parent organisation id
next_attempt_at|Next attempt at (UTC)
next_cursor|Cursor of the next page (null at the end)
note|Note
occurred_at|Occurred at (UTC)
occurred_on|Day it happened
on|Day
on_track|On track
opens_at|Earliest sign-in
org_code|Organisation code
org_id|Organisation id
org_name|Organisation name
organisation|The organisation
organisations|Organisations
out_of_range|Out of range
outcome|How a 留党察看 ended (rights_restored or expelled)
overdue|Overdue
owed_fen|Owed (assessed and unpaid), fen
paid_fen|Paid for the month in fen (null when unpaid)
paid_on|Day paid
parent_id|Parent organisation id
parent_rule_id|Refined rule id
passed|Passed
password|Password
period|Period
period_from|First day of the period (included)
period_to|Last day of the period (included)
period_years|Period of 留党察看 in years
phone|Phone (masked without PII rights)
place|Place
points|Points
population|Population
presence|Presence
probation_extension_months|Probation extension in months
processed_rows|Rows processed
proxy|Signed in by someone else (proxy)
qr_content|QR content (meeting and code)
rank|Rank
rate|Rate
read_at|When it was read (null: unread)
reason|Reason
recorded_at|Recorded at (UTC)
recorder_id|User id of the recorder
refresh_token|Refresh token
registered|Registered
registered_on|Day registered
rejected|Rejected
relief|Relief
removed|Members removed
reported_by|Reported by
request_id|Request id
requested_at|Asked at
required|Required count
residence|Residence
residence_community_id|Community of residence (organisation id)
residents|Residents
resolutions|Resolutions
resource|Resource type
resource_id|Resource id
returned_on|Day returned
reverses_entry_id|Reversed entry id
review_status|Review result
review_year|Review year
role|Role
row|Row number
rows|Rows
rule_id|Point rule id
rule_version|Point rule version
scope|OAuth2 scope (unused)
served_households|Households served
severity|Severity
signed_at|Signed in at
source|Source
source_key|Source key
started_on|Day started
starts_at|When the meeting starts
state|State
status|Status
subject|Subject
summary|Summary
talked_on|Day of the talk
target_hours|Target hours of service
term_ends_on|Term ends on
term_started_on|Term started on
threshold|Threshold
title|Title
to_month|Last month
to_org|Receiving organisation
to_status|New status
token_type|Token type (bearer)
topic|Topic
total|Total matching (only with include_total=true)
total_rows|Total rows
totals|Totals
transition_id|Status change id
trigger|Trigger
type|Type
unassigned_members|Members in no grid
unchanged|Unchanged
uncovered|Uncovered
under_target|Under target
unionid_bound|Whether a UnionID was bound too
unit_category|Unit category
unit_count|Number of units
unit_credit_code|Unified social credit code
unpaid_months|Unpaid months
unread|Unread notifications
unregistered|Not registered
upcoming|Planned meetings from today on
updated|Updated
updated_at|Updated at (UTC)
uploaded_by|Who uploaded it (user ID)
url|Receiver URL
username|Username
valid|Valid
valid_until|The current code is valid until (UTC)
value|Value
values|Values
version|Version (as in the ETag)
voters_expected|Voters expected
voters_present|Voters present
votes|Votes
with_committee|Organisations with a committee seat (groups aside)
without_committee|Organisations without a committee seat (groups aside)
without_leader|Without a secretary
work_unit|Work unit
year|Year
day|Date
starts_on|First day of the public notice
working_days|Length of the notice in working days (holiday calendar)
prefix|Prefix of the application form numbers
first_number|First number of the range
last_number|Last number of the range
number|Application form number (without its prefix)
used_on|Day the application form was issued to the member
range_id|Range ID
range|The range
used|Numbers used
void|Numbers voided
free|Numbers neither used nor voided
numbers|Each used or voided number
ranges|Ranges and their use
admissions|The year's admissions against the plan
admitted|Members admitted to probation in the year
flag|Flag code
overdue_flags|Development timing flags: members per flag
planned|Members the plan asks to admit in the year
remaining|What the plan still asks for (never below 0; null without a plan)
set_by|User who set the plan
registered_members|Members registered with a community
unregistered_members|Members not registered with a community
under_target_members|Registered members under the yearly service-hours target
confirmed_hours|Confirmed hours of service
"""

FIELDS_EN: dict[str, str] = {
    name: text for name, text in (line.split("|", 1) for line in _TABLE_EN.strip().splitlines())
}

PARAMETERS_EN: dict[str, str] = {
    "within": "Only this organisation's whole subtree",
    "actor": "User id of who acted",
    "since": "Read after this cursor (the last next_cursor)",
    "report_id": "Community report id",
    "record_id": "Service record id",
    "format": "File format",
    "labels": "How enum columns are written: zh, the Chinese labels (default); codes, the codes",
    "grid_id": "Grid id",
    "job_id": "Import job id",
    "held_from": "Held on or after",
    "held_to": "Held on or before",
    "episode_id": "Mobile episode id",
    "include_dissolved": "Include dissolved organisations",
    "quarter": "Quarter",
    "only_overdue": "Overdue only",
    "entry_id": "Point entry id",
    "include_inherited": "Include rules inherited from above",
    "transfer_id": "Transfer id",
    "user_id": "User id",
    "webhook_id": "Webhook id",
    "limit": "Page size",
}
