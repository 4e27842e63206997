"""Bot settings, read from the environment once; a missing token or secret names its variable.

(The per-user message limit, KHUYENCONG_BOT_RATE_LIMIT, is `assistant.Settings.bot_rate_limit`.)

| variable                    | default                     | meaning                                              |
|-----------------------------|-----------------------------|------------------------------------------------------|
| TELEGRAM_BOT_TOKEN          | (none)                      | token from @BotFather (polling and webhook)          |
| TELEGRAM_WEBHOOK_SECRET     | (none: no webhook route)    | secret echoed in X-Telegram-Bot-Api-Secret-Token     |
| TELEGRAM_API_URL            | https://api.telegram.org/bot | Bot API base (the token is appended)                |
| ZALO_APP_ID                 | (none: no Zalo route)       | app id of the Zalo app linked to the OA              |
| ZALO_APP_SECRET             | (none)                      | app secret key, for renewing the access token        |
| ZALO_OA_SECRET_KEY          | (none)                      | OA secret key, for checking event signatures         |
| ZALO_ACCESS_TOKEN           | (none)                      | first OA access token (later ones: data dir)         |
| ZALO_REFRESH_TOKEN          | (none)                      | first refresh token (single use; later ones: data dir) |
| ZALO_API_URL                | https://openapi.zalo.me     | OA API base                                          |
| ZALO_OAUTH_URL              | https://oauth.zaloapp.com   | OAuth base (token renewal)                           |
| ZALO_MAX_EVENT_AGE          | 600                         | seconds after which a signed event counts as stale   |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import BotConfigError

__all__ = [
    "TELEGRAM_ENV",
    "ZALO_ENV",
    "BotConfigError",
    "TelegramSettings",
    "ZaloSettings",
    "require_env",
]

TELEGRAM_API_URL = "https://api.telegram.org/bot"
TELEGRAM_WEBHOOK_PATH = "/telegram/webhook"
ZALO_API_URL = "https://openapi.zalo.me"
ZALO_OAUTH_URL = "https://oauth.zaloapp.com"
ZALO_WEBHOOK_PATH = "/zalo/webhook"
ZALO_MAX_EVENT_AGE = 600.0

TELEGRAM_ENV = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")
ZALO_ENV = ("ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY", "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN")

_WHAT = {
    "TELEGRAM_BOT_TOKEN": "token của bot (lấy từ @BotFather bằng lệnh /newbot)",
    "TELEGRAM_WEBHOOK_SECRET": "chuỗi bí mật của webhook (tự đặt, 1–256 ký tự A-Z, a-z, 0-9, _ và -)",
    "ZALO_APP_ID": "ID ứng dụng Zalo đã liên kết với OA (developers.zalo.me)",
    "ZALO_APP_SECRET": "khóa bí mật của ứng dụng Zalo (để gia hạn access token)",
    "ZALO_OA_SECRET_KEY": "OA Secret Key (để kiểm tra chữ ký sự kiện webhook)",
    "ZALO_ACCESS_TOKEN": "access token của OA",
    "ZALO_REFRESH_TOKEN": "refresh token của OA",
}


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def require_env(*names: str) -> None:
    """Raise `BotConfigError` naming every variable of `names` that is not set."""
    missing = [name for name in names if not _env(name)]
    if missing:
        lines = [f"{name}: {_WHAT.get(name, 'xem README')}" for name in missing]
        raise BotConfigError(
            "Chưa đặt biến môi trường " + ", ".join(missing) + ". Hãy đặt rồi chạy lại.\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class TelegramSettings:
    """Telegram bot: token, webhook secret, Bot API location."""

    token: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)
    api_url: str = TELEGRAM_API_URL
    webhook_path: str = TELEGRAM_WEBHOOK_PATH

    @classmethod
    def from_env(cls, webhook: bool = False) -> TelegramSettings:
        """Settings for long polling (token) or, with `webhook`, for the webhook route (token and secret)."""
        require_env(*(TELEGRAM_ENV if webhook else TELEGRAM_ENV[:1]))
        return cls(
            token=_env("TELEGRAM_BOT_TOKEN"),
            webhook_secret=_env("TELEGRAM_WEBHOOK_SECRET"),
            api_url=_env("TELEGRAM_API_URL", TELEGRAM_API_URL),
        )

    @staticmethod
    def webhook_wanted() -> bool:
        """True when the webhook secret is set: the HTTP app then mounts the Telegram route."""
        return bool(_env("TELEGRAM_WEBHOOK_SECRET"))


@dataclass(frozen=True)
class ZaloSettings:
    """Zalo Official Account: app, OA secret key, first token pair, API locations."""

    app_id: str
    app_secret: str = field(repr=False)
    oa_secret_key: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    token_file: Path
    api_url: str = ZALO_API_URL
    oauth_url: str = ZALO_OAUTH_URL
    max_event_age: float = ZALO_MAX_EVENT_AGE
    webhook_path: str = ZALO_WEBHOOK_PATH

    @classmethod
    def from_env(cls, data_dir: Path) -> ZaloSettings:
        """All ZALO_* variables are needed; the renewed token pair lives in `<data_dir>/zalo_tokens.json`."""
        require_env(*ZALO_ENV)
        age = _env("ZALO_MAX_EVENT_AGE", str(ZALO_MAX_EVENT_AGE))
        try:
            max_age = float(age)
        except ValueError:
            raise BotConfigError(f"ZALO_MAX_EVENT_AGE phải là số giây, ví dụ 600 (đang là “{age}”).") from None
        return cls(
            app_id=_env("ZALO_APP_ID"),
            app_secret=_env("ZALO_APP_SECRET"),
            oa_secret_key=_env("ZALO_OA_SECRET_KEY"),
            access_token=_env("ZALO_ACCESS_TOKEN"),
            refresh_token=_env("ZALO_REFRESH_TOKEN"),
            token_file=data_dir / "zalo_tokens.json",
            api_url=_env("ZALO_API_URL", ZALO_API_URL),
            oauth_url=_env("ZALO_OAUTH_URL", ZALO_OAUTH_URL),
            max_event_age=max_age,
        )

    @staticmethod
    def wanted() -> bool:
        """True when any ZALO_* credential is set: the HTTP app then mounts the Zalo route."""
        return any(_env(name) for name in ZALO_ENV)
