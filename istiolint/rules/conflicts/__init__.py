"""Conflict rules (istioctl analyze's "conflicting ..." family): two resources that claim the same thing.

IL310, IL311 (routing), IL420 (ServiceEntry), IL230 (Gateway certificates) and IL520-IL525 (Sidecar,
Telemetry, Services in front of workloads). The shared pieces (ordering, exportTo scopes, selector
overlap, in-mesh test) are in ``common.py``.
"""
