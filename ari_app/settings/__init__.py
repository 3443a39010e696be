"""The controller's settings: one typed object, loaded once.

From a TOML file (``--config`` or ``DATADESK_CONFIG``) with secrets allowed
from the environment (``DATADESK_AMI_SECRET``, ``DATADESK_ARI_PASSWORD``,
``DATADESK_REDIS_URL``, ``DATADESK_REDIS_PASSWORD``, and the API tokens
``DATADESK_API_TOKENS``, ``ROLE:TOKEN`` entries, comma-separated; they win
over the file). Unknown keys and wrong types are errors that name the key: a
typo must not silently fall back to a default.
"""

from __future__ import annotations

from .domain import (build_calendar, build_grants, build_heartbeat, build_numbers, build_policy,
                     build_promise_rules, build_retry, build_topics, validate)
from .loading import load_settings
from .schema import (AmiSettings, AriSettings, CalendarSettings, CallbackSettings,
                     DeskSettings, HttpSettings, LogSettings, NotifySettings, QualitySettings,
                     RedisSettings, Settings, SettingsError, TopicSettings)

__all__ = ["AmiSettings", "AriSettings", "CalendarSettings", "CallbackSettings",
           "DeskSettings", "HttpSettings", "LogSettings", "NotifySettings", "QualitySettings",
           "RedisSettings", "Settings",
           "SettingsError", "TopicSettings", "build_calendar", "build_grants", "build_heartbeat",
           "build_numbers",
           "build_policy", "build_promise_rules", "build_retry", "build_topics", "load_settings", "validate"]
