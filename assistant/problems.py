"""What went wrong in an operating-system or network call, said in Vietnamese.

Messages for people name the problem in words, never an English exception name or an
English library message (those go to the log).
"""

from __future__ import annotations

import errno
import logging

import httpx

__all__ = ["library_problem", "network_problem", "os_problem"]

log = logging.getLogger(__name__)

_OS_PROBLEMS = {
    errno.ENOENT: "không tìm thấy tệp hoặc thư mục",
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không có quyền truy cập",
    errno.ENOSPC: "đĩa đã đầy",
    errno.EDQUOT: "đã hết hạn mức dung lượng đĩa",
    errno.EROFS: "ổ đĩa chỉ cho phép đọc",
    errno.EISDIR: "đây là thư mục, không phải tệp",
    errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
    errno.EMFILE: "đang mở quá nhiều tệp",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.EIO: "lỗi đọc/ghi của thiết bị lưu trữ",
    errno.EBUSY: "tệp đang bị chương trình khác dùng",
}

# Most specific first: the subclasses of httpx.HTTPError and what each means for the user.
_NETWORK_PROBLEMS: tuple[tuple[type[Exception], str], ...] = (
    (httpx.ConnectTimeout, "hết thời gian chờ kết nối tới máy chủ"),
    (httpx.TimeoutException, "máy chủ không trả lời kịp thời gian chờ"),
    (httpx.ConnectError, "không kết nối được tới máy chủ (sai địa chỉ, máy chủ tắt hoặc không có mạng)"),
    (httpx.TooManyRedirects, "địa chỉ chuyển hướng quá nhiều lần"),
    (httpx.UnsupportedProtocol, "địa chỉ không hợp lệ (chỉ nhận http:// hoặc https://)"),
    (httpx.InvalidURL, "địa chỉ không hợp lệ"),
    (httpx.DecodingError, "nội dung máy chủ gửi bị hỏng (không giải nén được)"),
    (httpx.RemoteProtocolError, "máy chủ ngắt kết nối hoặc trả lời sai giao thức HTTP"),
    (httpx.ProxyError, "lỗi máy chủ proxy"),
    (httpx.NetworkError, "lỗi mạng trong khi tải"),
)


def os_problem(exc: OSError) -> str:
    """The operating system's complaint in Vietnamese ("không có quyền truy cập")."""
    return _OS_PROBLEMS.get(exc.errno or 0, f"lỗi hệ điều hành (mã {exc.errno})" if exc.errno else "lỗi hệ điều hành")


def network_problem(exc: Exception) -> str:
    """What an httpx failure means, in Vietnamese; an HTTP status names its code."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"máy chủ trả về mã {exc.response.status_code}"
    for kind, problem in _NETWORK_PROBLEMS:
        if isinstance(exc, kind):
            return problem
    return "lỗi mạng"


def library_problem(exc: Exception, what: str) -> str:
    """A failure inside a library (Chroma, a model loader), said in Vietnamese; its own text goes to the log."""
    log.warning("%s: %s: %s", what, type(exc).__name__, exc)
    if isinstance(exc, OSError):
        return os_problem(exc)
    if isinstance(exc, httpx.HTTPError):
        return network_problem(exc)
    return "lỗi bên trong thư viện (chi tiết ghi trong nhật ký máy chủ)"
