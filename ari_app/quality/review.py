"""The review of a recording and its appeal (质检 and 质检复议), as pure rules.

A QA officer scores a recording 0-100 with a comment (again, until it is
appealed). The specialist of the seat that took the call may appeal the
score once, with a reason. A supervisor then upholds the score or changes
it. Each step keeps who (the token's label) and when (epoch seconds). The
rules take the review as it is and return it as it becomes, or raise
``ReviewRefused`` saying why (the API's 409 or 400).
"""

from __future__ import annotations

from typing import Any

MAX_TEXT = 500
DECISIONS = ("upheld", "changed")


class ReviewRefused(ValueError):
    """The step is not possible now (``conflict``: 409) or its values are wrong (400)."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


def _text(value: Any, what: str, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ReviewRefused(f"{what}: text of at most {MAX_TEXT} characters")
    if "\x00" in value:
        raise ReviewRefused(f"{what}: no NUL characters")
    if required and not value.strip():
        raise ReviewRefused(f"{what}: required")
    return value.strip()


def _score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ReviewRefused("score: a whole number from 0 to 100")
    return value


def scored(review: dict[str, Any], score: Any, comment: Any, by: str,
           at: float) -> dict[str, Any]:
    """The QA officer's score (replaces an earlier one until it is appealed)."""
    if review.get("appealed_at"):
        raise ReviewRefused("the score is under appeal: only a supervisor changes it now",
                            conflict=True)
    return {**review, "score": _score(score), "comment": _text(comment, "comment", required=False),
            "scored_by": by, "scored_at": round(at, 3)}


def appealed(review: dict[str, Any], reason: Any, by: str, at: float) -> dict[str, Any]:
    """The specialist's appeal: once, of a score given."""
    if "score" not in review:
        raise ReviewRefused("nothing to appeal: the recording has no score", conflict=True)
    if review.get("appealed_at"):
        raise ReviewRefused("the score was already appealed (once only)", conflict=True)
    return {**review, "appeal_reason": _text(reason, "reason", required=True),
            "appealed_by": by, "appealed_at": round(at, 3)}


def decided(review: dict[str, Any], decision: Any, score: Any, comment: Any, by: str,
            at: float) -> dict[str, Any]:
    """A supervisor's decision on an appeal: ``upheld`` or ``changed`` (with the new score)."""
    if not review.get("appealed_at"):
        raise ReviewRefused("no appeal to decide", conflict=True)
    if review.get("decided_at"):
        raise ReviewRefused("the appeal was already decided", conflict=True)
    if decision not in DECISIONS:
        raise ReviewRefused(f"decision: one of {', '.join(DECISIONS)}")
    out = {**review, "decision": decision, "decided_by": by, "decided_at": round(at, 3),
           "decision_comment": _text(comment, "comment", required=False)}
    if decision == "changed":
        out["decided_score"] = _score(score)
    return out


def final_score(review: dict[str, Any]) -> int | None:
    """The score that stands: a supervisor's changed score, else the QA officer's."""
    if review.get("decision") == "changed" and isinstance(review.get("decided_score"), int):
        return review["decided_score"]
    score = review.get("score")
    return score if isinstance(score, int) and not isinstance(score, bool) else None
