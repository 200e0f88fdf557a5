"""Reference rules (IL4xx): names that point at Services, subsets, ports, workloads, Secrets, namespaces.

Lookups go through :mod:`istiolint.references`; each rule states its closed-world criterion in its
catalog entry (when a target missing from the input is reported).
"""
