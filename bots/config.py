"""Bot settings, read from the environment by pydantic-settings; a missing token or secret names its variable.

(The per-user message limit, KHUYENCONG_BOT_RATE_LIMIT, is `assistant.Settings().bots.bot_rate_limit`.)

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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class _BotEnvironment(BaseSettings):
    """The TELEGRAM_* and ZALO_* variables (field name = variable name), read by pydantic-settings."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_url: str = TELEGRAM_API_URL
    zalo_app_id: str = ""
    zalo_app_secret: str = ""
    zalo_oa_secret_key: str = ""
    zalo_access_token: str = ""
    zalo_refresh_token: str = ""
    zalo_api_url: str = ZALO_API_URL
    zalo_oauth_url: str = ZALO_OAUTH_URL
    zalo_max_event_age: float = ZALO_MAX_EVENT_AGE

    @field_validator("*", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    def value(self, name: str) -> str:
        """A variable's value by its name (TELEGRAM_BOT_TOKEN), "" when unset."""
        return str(getattr(self, name.lower()))


def _environment() -> _BotEnvironment:
    """The bots' variables as they are now; a malformed one names itself."""
    try:
        return _BotEnvironment()
    except ValidationError as exc:
        error = exc.errors()[0]
        raise BotConfigError(
            f"ZALO_MAX_EVENT_AGE phải là số giây, ví dụ 600 (đang là “{error.get('input', '')}”)."
        ) from None


def require_env(*names: str, environment: _BotEnvironment | None = None) -> None:
    """Raise `BotConfigError` naming every variable of `names` that is not set."""
    environment = environment or _environment()
    missing = [name for name in names if not environment.value(name)]
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
        environment = _environment()
        require_env(*(TELEGRAM_ENV if webhook else TELEGRAM_ENV[:1]), environment=environment)
        return cls(
            token=environment.telegram_bot_token,
            webhook_secret=environment.telegram_webhook_secret,
            api_url=environment.telegram_api_url,
        )

    @staticmethod
    def webhook_wanted() -> bool:
        """True when the webhook secret is set: the HTTP app then mounts the Telegram route."""
        return bool(_environment().telegram_webhook_secret)


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
        environment = _environment()
        require_env(*ZALO_ENV, environment=environment)
        return cls(
            app_id=environment.zalo_app_id,
            app_secret=environment.zalo_app_secret,
            oa_secret_key=environment.zalo_oa_secret_key,
            access_token=environment.zalo_access_token,
            refresh_token=environment.zalo_refresh_token,
            token_file=data_dir / "zalo_tokens.json",
            api_url=environment.zalo_api_url,
            oauth_url=environment.zalo_oauth_url,
            max_event_age=environment.zalo_max_event_age,
        )

    @staticmethod
    def wanted() -> bool:
        """True when any ZALO_* credential is set: the HTTP app then mounts the Zalo route."""
        environment = _environment()
        return any(environment.value(name) for name in ZALO_ENV)
