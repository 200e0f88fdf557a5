"""IL000 internal-error: a rule failed on a resource. The engine reports it; this module runs nothing."""

CODE = "IL000"
KINDS = ()
