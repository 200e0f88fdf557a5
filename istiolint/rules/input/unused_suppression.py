"""IL004 unused-suppression: a suppression that silences nothing or names no rule.

It cannot be a check of its own: whether a suppression is used is known only after every other rule
has run and the suppressions were applied. ``istiolint.suppress.unused_findings`` reports it.
"""

CODE = "IL004"
KINDS = ()
REPORTED_BY = "istiolint.suppress.unused_findings"
