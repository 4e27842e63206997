"""Fictional regulations in the real legal structure, rendered to PDF and DOCX for the ingest tests.

Everything here is invented (the province "Hư Cấu", years 2099–2100) and only for testing.
"""

from __future__ import annotations

from pathlib import Path

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RUNNING_HEADER = "CÔNG BÁO TỈNH HƯ CẤU - Số 01 - Năm 2100"

DECISION_59 = """ỦY BAN NHÂN DÂN
TỈNH HƯ CẤU
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 59/2099/QĐ-UBND
Hư Cấu, ngày 31 tháng 12 năm 2099
QUYẾT ĐỊNH
Ban hành Quy định hỗ trợ khuyến công thử nghiệm trên địa bàn tỉnh Hư Cấu
(Văn bản hư cấu, chỉ dùng để kiểm thử)
ỦY BAN NHÂN DÂN TỈNH HƯ CẤU
Căn cứ Luật Tổ chức chính quyền địa phương thử nghiệm;
Căn cứ Nghị định số 45/2012/NĐ-CP ngày 21 tháng 5 năm 2012 của Chính phủ về khuyến công;
Theo đề nghị của Giám đốc Sở Công Thương tỉnh Hư Cấu,
QUYẾT ĐỊNH:
Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Quyết định này quy định nội dung, mức hỗ trợ và trình tự thực hiện hoạt động khuyến công thử nghiệm trên địa bàn \
tỉnh Hư Cấu, áp dụng cho các đề án khuyến công được phê duyệt từ năm kế hoạch 2100 trở đi.
Điều 2. Đối tượng áp dụng
1. Cơ sở công nghiệp nông thôn có đăng ký kinh doanh và hoạt động sản xuất tại tỉnh Hư Cấu.
2. Tổ chức, cá nhân tham gia quản lý và thực hiện hoạt động khuyến công thử nghiệm.
Chương II
NỘI DUNG VÀ MỨC HỖ TRỢ
Điều 3. Đào tạo nghề
1. Hỗ trợ tối đa 70% chi phí tổ chức lớp đào tạo nghề ngắn hạn cho lao động của cơ sở công nghiệp nông thôn, \
bao gồm chi phí giảng viên, tài liệu, nguyên vật liệu thực hành và thuê địa điểm.
2. Mỗi lớp đào tạo nghề có ít nhất 20 học viên và thời gian học không quá 03 tháng.
Điều 4. Hỗ trợ máy móc thiết bị
1. Hỗ trợ tối đa 30% chi phí mua máy móc thiết bị tiên tiến để ứng dụng vào sản xuất, nhưng không quá \
300.000.000 đồng cho một cơ sở công nghiệp nông thôn.
2. Điều kiện được hỗ trợ:
a) Cơ sở hoạt động sản xuất liên tục ít nhất 02 năm trước thời điểm đề nghị hỗ trợ;
b) Máy móc thiết bị chưa được hỗ trợ từ bất kỳ nguồn kinh phí nhà nước nào khác;
c) Cơ sở cam kết sử dụng máy móc thiết bị đúng mục đích ít nhất 05 năm.
3. Hồ sơ đề nghị hỗ trợ gửi về Trung tâm Khuyến công tỉnh Hư Cấu trước ngày 15 tháng 7 hằng năm.
Điều 5. Hỗ trợ tham gia hội chợ
1. Hỗ trợ 80% chi phí thuê gian hàng cho cơ sở công nghiệp nông thôn tham gia hội chợ, triển lãm trong nước \
do Sở Công Thương tỉnh Hư Cấu tổ chức hoặc cử tham gia.
2. Mỗi cơ sở được hỗ trợ tham gia không quá 02 hội chợ trong một năm.
Chương III
TỔ CHỨC THỰC HIỆN
Điều 6. Hiệu lực thi hành
Quyết định này có hiệu lực kể từ ngày 15 tháng 01 năm 2100.
Nơi nhận:
- Như Điều 6;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Nguyễn Văn Hư
"""

AMENDMENT_HEADER = [
    ["ỦY BAN NHÂN DÂN\nTỈNH HƯ CẤU\n-------", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"],
    ["Số: 17/2100/QĐ-UBND", "Hư Cấu, ngày 20 tháng 3 năm 2100"],
]
AMENDMENT_BODY = [
    "QUYẾT ĐỊNH",
    "Sửa đổi, bổ sung một số điều của Quyết định số 59/2099/QĐ-UBND ngày 31 tháng 12 năm 2099 "
    "của Ủy ban nhân dân tỉnh Hư Cấu",
    "(Văn bản hư cấu, chỉ dùng để kiểm thử)",
    "ỦY BAN NHÂN DÂN TỈNH HƯ CẤU",
    "Căn cứ Quyết định số 59/2099/QĐ-UBND ngày 31 tháng 12 năm 2099 của Ủy ban nhân dân tỉnh Hư Cấu;",
    "QUYẾT ĐỊNH:",
    "Điều 1. Sửa đổi, bổ sung một số điều của Quyết định số 59/2099/QĐ-UBND như sau:",
    "1. Sửa đổi, bổ sung khoản 1 Điều 4 như sau:",
    "“1. Hỗ trợ tối đa 50% chi phí, nhưng không quá 500.000.000 đồng cho một cơ sở.”",
    "2. Bãi bỏ khoản 2 Điều 5.",
    "Điều 2. Mức hỗ trợ theo ngành nghề",
    "TABLE",
    "Điều 3. Hiệu lực thi hành",
    "Quyết định này có hiệu lực sau 10 ngày kể từ ngày ký.",
]
AMENDMENT_TABLE = [
    ["Ngành nghề", "Mức hỗ trợ tối đa", "Ghi chú"],
    ["Chế biến nông sản", "500.000.000 đồng", "Ưu tiên vùng khó khăn"],
    ["Thủ công mỹ nghệ", "200.000.000 đồng", "Ưu tiên làng nghề"],
]


def render_pdf(text: str, path: Path, font_size: int = 12) -> Path:
    """The text as a PDF: a running header and a page number on every page, long lines wrapped."""
    from fpdf import FPDF

    class _Paged(FPDF):
        def header(self) -> None:
            self.set_font("dejavu", size=8)
            self.cell(0, 5, RUNNING_HEADER, align="C")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("dejavu", size=8)
            self.cell(0, 5, f"Trang {self.page_no()}", align="C")

    pdf = _Paged()
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font("dejavu", size=font_size)
    for line in text.splitlines():
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def render_blank_pdf(path: Path, with_image: bool = True) -> Path:
    """A "scanned" PDF: pages with only a picture (or nothing), no text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if with_image:
        image = path.with_suffix(".png")
        _write_png(image)
        pdf.image(str(image), x=20, y=20, w=120)
    pdf.add_page()
    pdf.output(str(path))
    return path


def _write_png(path: Path) -> None:
    import struct
    import zlib

    width = height = 8
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)


def render_amendment_docx(path: Path) -> Path:
    """The amending decision as DOCX: header in a borderless layout table, a data table with a header row."""
    import docx

    document = docx.Document()
    _add_table(document, AMENDMENT_HEADER)
    for line in AMENDMENT_BODY:
        if line == "TABLE":
            _add_table(document, AMENDMENT_TABLE)
        else:
            document.add_paragraph(line)
    document.save(str(path))
    return path


def _add_table(document: object, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))  # type: ignore[attr-defined]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
