"""The quality figures in ``/metrics``: recordings stored and their disk use,
what retention deleted or kept, and every way a recording failed."""

from __future__ import annotations

from redis.exceptions import RedisError

from .tracker import RecordingTracker

FAILURE_STAGES = ("event", "index", "file", "pause", "survey")
RETENTION = ("deleted", "kept-under-review", "failed")


async def quality_lines(parts) -> list[str]:
    """Exposition lines for ``parts`` (``QualityParts``); the store's figures
    are left out when Redis does not answer, never written as zero."""
    tracker: RecordingTracker = parts.tracker
    lines = ["# HELP datadesk_recording_failures_total Recordings that failed at a stage "
             "(the call itself went on).",
             "# TYPE datadesk_recording_failures_total counter"]
    lines += [f'datadesk_recording_failures_total{{stage="{stage}"}} '
              f'{tracker.failures.get(stage, 0)}' for stage in FAILURE_STAGES]
    lines += ["# HELP datadesk_recordings_retention_total Recordings the retention sweep "
              "deleted, kept under review, or failed to delete, since start.",
              "# TYPE datadesk_recordings_retention_total counter"]
    lines += [f'datadesk_recordings_retention_total{{result="{r}"}} '
              f'{parts.retention.counts.get(r, 0)}' for r in RETENTION]
    try:
        count, size = await parts.store.totals()
    except (RedisError, OSError):
        return lines
    return lines + [
        "# HELP datadesk_recordings_stored Recordings in the index.",
        "# TYPE datadesk_recordings_stored gauge", f"datadesk_recordings_stored {count}",
        "# HELP datadesk_recordings_bytes Disk use of the stored recordings' files.",
        "# TYPE datadesk_recordings_bytes gauge", f"datadesk_recordings_bytes {size}"]
