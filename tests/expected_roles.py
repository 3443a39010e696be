"""The roles each protected route admits, written out by hand as the API
documents them (docs/api.md): the unit and the real-stack tests hold the
controller's own table (``ari_app/web/auth.py``) to this one."""

ALL = {"wallboard", "relay", "metrics", "supervisor", "qa", "specialist", "admin"}

# (method, route) -> the roles that may.
ROUTE_ROLES = {
    ("GET", "/api/seats"): {"wallboard", "relay", "supervisor", "admin"},
    ("POST", "/api/callbacks"): {"relay", "admin"},
    ("GET", "/api/callbacks"): {"supervisor", "admin"},
    ("GET", "/api/callbacks?number="): {"relay", "supervisor", "admin"},
    ("GET", "/api/callbacks/{id}"): {"supervisor", "admin"},
    ("DELETE", "/api/callbacks/{id}"): {"supervisor", "admin"},
    ("GET", "/metrics"): {"metrics", "admin"},
    ("GET", "/wallboard"): {"wallboard", "supervisor", "admin"},
    ("GET", "/api/wallboard"): {"wallboard", "supervisor", "admin"},
    ("GET", "/api/wallboard/events"): {"wallboard", "supervisor", "admin"},
    ("GET", "/reports"): {"supervisor", "admin"},
    ("GET", "/reports.csv"): {"supervisor", "admin"},
    ("GET", "/api/reports"): {"supervisor", "admin"},
    ("GET", "/api/openapi.json"): ALL,
    ("GET", "/quality"): {"qa", "supervisor", "admin"},
    ("GET", "/api/recordings"): {"qa", "supervisor", "admin"},
    ("GET", "/api/recordings/{name}"): {"qa", "supervisor", "admin"},
    ("GET", "/api/recordings/{name}/file"): {"qa", "supervisor", "admin"},
    ("POST", "/api/recordings/{name}/score"): {"qa", "admin"},
    ("POST", "/api/recordings/{name}/appeal"): {"specialist", "admin"},
    ("POST", "/api/recordings/{name}/decision"): {"supervisor", "admin"},
    ("POST", "/api/recordings/{name}/pause"): {"specialist", "admin"},
}
