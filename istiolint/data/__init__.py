"""Data that ships with istiolint as Python modules (generated; see scripts/)."""
