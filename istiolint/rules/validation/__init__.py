"""Validation parity rules (IL104-IL119): what Istio's admission webhook (and `istioctl validate`) and the
Kubernetes API server reject beyond the CRD's structural schema (schema-violation) and its CEL rules
(cel-validation). One rule per kind, plus regex-invalid (RE2), policy-target-invalid (selectors and
targetRefs of every kind) and metadata-invalid (names, labels, annotations)."""
