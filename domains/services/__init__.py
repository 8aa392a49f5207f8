"""Every write and business rule of the domains app, by topic:

- domain.py — adding and deleting domains, DKIM keys
- checking.py — verification (the status machine) and the daily re-check
- warmup.py — Domain Warmup: the switch, the daily plan step per provider, the day counters
"""

from domains.services.checking import (
    CheckSummary,
    domain_verify,
    domains_check,
    domains_reverify_due,
    domains_verify_now,
)
from domains.services.domain import (
    domain_create,
    domain_delete,
    domain_dkim_rotate,
    domain_name_validate,
)
from domains.services.warmup import (
    domain_warmup_keep_warm_set,
    domain_warmup_set,
    real_mail_sources,
    switch_hooks,
    warmup_day_add,
    warmup_plans_step,
)

__all__ = [
    "CheckSummary",
    "domain_create",
    "domain_delete",
    "domain_dkim_rotate",
    "domain_name_validate",
    "domain_verify",
    "domain_warmup_keep_warm_set",
    "domain_warmup_set",
    "domains_check",
    "domains_reverify_due",
    "domains_verify_now",
    "real_mail_sources",
    "switch_hooks",
    "warmup_day_add",
    "warmup_plans_step",
]
