"""The desk's topics: what it takes live, by callback only, or not at all.

A frontline agent may tell the topic by transferring to the desk number
followed by a two-digit topic code (8600 + 01 = 860001), or an IVR may set
it on the customer's channel (``DESK_TOPIC``). Defaults follow the desk's
service specification: seven services plus handset settings and how-to live;
payment-like services by callback only; other services' tariffs and
promotions, staff complaints and GPRS out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class TopicKind(str, Enum):
    LIVE = "live"
    CALLBACK_ONLY = "callback-only"
    OUT_OF_SCOPE = "out-of-scope"


DEFAULT_LIVE = {
    "01": "mobile-payment", "02": "mobile-video", "03": "mobile-tv",
    "04": "mobile-securities", "05": "baihe", "06": "address-book-manager",
    "07": "wlan", "08": "handset-settings", "09": "data-service-howto",
}
DEFAULT_CALLBACK_ONLY = {
    "21": "phone-bill-micropayment", "22": "mobile-movie-tickets", "23": "mobile-ticketing",
    "24": "mobile-lottery", "25": "bank-card-payment",
}
DEFAULT_OUT_OF_SCOPE = {
    "41": "other-data-service-info", "42": "tariffs-and-promotions",
    "43": "staff-complaint", "44": "gprs",
}


# What people read for each default topic, in Simplified Chinese (the seed's
# own service names) and English. API fields keep the slugs above.
DISPLAY_NAMES: dict[str, dict[str, str]] = {
    "mobile-payment": {"zh": "手机支付", "en": "Mobile payment"},
    "mobile-video": {"zh": "手机视频", "en": "Mobile video"},
    "mobile-tv": {"zh": "手机电视", "en": "Mobile TV"},
    "mobile-securities": {"zh": "手机证券", "en": "Mobile securities"},
    "baihe": {"zh": "百合", "en": "Baihe"},
    "address-book-manager": {"zh": "号簿管家", "en": "Address-book manager"},
    "wlan": {"zh": "WLAN", "en": "WLAN"},
    "handset-settings": {"zh": "手机参数设置", "en": "Handset settings"},
    "data-service-howto": {"zh": "数据业务操作方法", "en": "How to use data services"},
    "phone-bill-micropayment": {"zh": "手机话费小额支付", "en": "Phone-bill micropayment"},
    "mobile-movie-tickets": {"zh": "手机电影票", "en": "Mobile movie tickets"},
    "mobile-ticketing": {"zh": "手机票务", "en": "Mobile ticketing"},
    "mobile-lottery": {"zh": "手机彩票站", "en": "Mobile lottery"},
    "bank-card-payment": {"zh": "手机银行卡支付", "en": "Bank-card payment"},
    "other-data-service-info": {"zh": "其他数据业务介绍", "en": "Other data services"},
    "tariffs-and-promotions": {"zh": "资费及优惠信息", "en": "Tariffs and promotions"},
    "staff-complaint": {"zh": "投诉人员服务质量", "en": "Complaint about staff"},
    "gprs": {"zh": "GPRS", "en": "GPRS"},
}


def display_name(slug: str, language: str = "zh") -> str:
    """What people read for topic ``slug`` in ``language`` ("zh" or "en");
    a topic an admin added without a display name shows its slug."""
    names = DISPLAY_NAMES.get(slug, {})
    return names.get(language) or names.get("en") or slug


@dataclass(frozen=True)
class Topic:
    code: str
    name: str
    kind: TopicKind


@dataclass(frozen=True)
class TopicCatalogue:
    live: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LIVE))
    callback_only: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CALLBACK_ONLY))
    out_of_scope: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_OUT_OF_SCOPE))
    # What a code in no list counts as (a new service the lists miss).
    unknown: TopicKind = TopicKind.LIVE

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for kind, table in (("live", self.live), ("callback_only", self.callback_only),
                            ("out_of_scope", self.out_of_scope)):
            for code in table:
                if not (len(code) == 2 and code.isdigit()):
                    raise ValueError(f"topic code {code!r} in {kind}: expected two digits")
                if code in seen:
                    raise ValueError(f"topic code {code} is in both {seen[code]} and {kind}")
                seen[code] = kind

    def classify(self, code: str) -> Topic | None:
        """The topic of ``code``; None when no topic was given."""
        if not code:
            return None
        for kind, table in ((TopicKind.LIVE, self.live),
                            (TopicKind.CALLBACK_ONLY, self.callback_only),
                            (TopicKind.OUT_OF_SCOPE, self.out_of_scope)):
            if code in table:
                return Topic(code, table[code], kind)
        return Topic(code, "unknown", self.unknown)

    def by_name(self, name: str) -> Topic | None:
        for kind, table in ((TopicKind.LIVE, self.live),
                            (TopicKind.CALLBACK_ONLY, self.callback_only),
                            (TopicKind.OUT_OF_SCOPE, self.out_of_scope)):
            for code, topic in table.items():
                if topic == name:
                    return Topic(code, topic, kind)
        return None
