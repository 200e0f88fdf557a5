"""Rule modules, one per rule, grouped by area. The catalog (``rules/*.yaml``) names each module: it is
the registry, so there is no folder auto-import and ``istiolint rules`` lists exactly what runs."""
