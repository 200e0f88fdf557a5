"""VirtualService routing rules (IL3xx): routes and match entries that can never be used."""
