"""istiolint: a linter and static analyzer for Istio manifests."""

__version__ = "0.1.0"
