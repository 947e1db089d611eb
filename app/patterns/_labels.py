"""The label taxonomy as the pattern library sees it (see the data README for the meanings)."""

from __future__ import annotations

__all__ = ["SCAM_LABELS", "LABELS", "PATTERN_LABELS"]

# The 13 scam types, in the order of the taxonomy table.
SCAM_LABELS: tuple[str, ...] = (
    "impersonation_authority",
    "bank_phishing",
    "fake_investment",
    "job_labor_export",
    "ecommerce_delivery",
    "prize_giveaway",
    "loan_debt",
    "relative_impersonation",
    "romance_foreigner",
    "account_rental",
    "case_fixing",
    "gambling_betting",
    "other_scam",
)
LABELS: tuple[str, ...] = (*SCAM_LABELS, "spam", "legit")
# A pattern may also point to "any": a cross-cutting cue (urgency, secrecy ...) of no one family.
PATTERN_LABELS: tuple[str, ...] = (*LABELS, "any")
