"""The controller's HTTP face: REST API (JSON)."""
