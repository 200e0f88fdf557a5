"""Gateway rules (IL2xx): Gateway servers, and how VirtualServices bind to them."""
