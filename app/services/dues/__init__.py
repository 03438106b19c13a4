"""Party dues (党费), in integer fen, under the 2008 rules (中组发〔2008〕3号).

In service (and self-employed, on last quarter's average net income): base <= 3000
yuan 0.5 %, 3000-5000 1 %, 5000-10000 1.5 %, above 10000 2 % (upper bounds
inclusive). Retired, on the pension: <= 5000 0.5 %, above 1 %. Farmers pay a fixed
0.2-1 yuan (policy, default 0.5); students, the unemployed and people on relief 0.2.
Probationary members pay from the month the general meeting admits them.

A month is assessed with the member's status in that month, read from the lifecycle
transitions by the rule the arrears report and the member's flag read
(`unpaid_dues.months_owed`): it is due when the member was probationary or full on any day of it, so
months owed before a suspension (or leaving) can still be paid. A payment may exceed
the assessment: the difference is a voluntary extra (自愿多交), recorded on the payment
(`voluntary_extra_fen`), never a refusal. Months after the payment month are prepaid
(预交), at most `MAX_PREPAID_MONTHS` (12) ahead, assessed with today's status and base;
back payment covers at most `MAX_BACK_MONTHS` (6, DOMAIN).
"""

from app.services.dues.arrears import arrears, longest_run
from app.services.dues.assessment import assess, parse_month
from app.services.dues.brackets import DuesBaseMissing, monthly_amount_fen
from app.services.dues.payments import add_relief, paid_months, prepaid, record_payment
from app.services.dues.statement import MonthStatement, statement

__all__ = [
    "DuesBaseMissing",
    "MonthStatement",
    "add_relief",
    "arrears",
    "assess",
    "longest_run",
    "monthly_amount_fen",
    "paid_months",
    "parse_month",
    "prepaid",
    "record_payment",
    "statement",
]
