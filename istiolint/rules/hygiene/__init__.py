"""Hygiene rules: Istio's "this works, but not as you think" checks (port naming, TLS verification,
EnvoyFilter operations, deprecated fields and annotations, injection labels, the proxy's UID)."""
