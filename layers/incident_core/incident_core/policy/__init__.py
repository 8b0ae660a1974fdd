"""The support-hours policy: the policy file, the business calendar, the paging decision, stored windows."""
