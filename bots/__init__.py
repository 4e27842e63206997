"""Chat channels (Telegram, Zalo OA) over the assistant."""
