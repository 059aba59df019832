"""Page words of the imports area (issue 14), merged into web.i18n.MESSAGES by web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "imports_template": ("下载导入模板（Excel）", "Download the import template (Excel)"),
    "imports_template_hint": (
        "模板的身份证号、电话、社区编码列已设为文本，Excel 不会吞掉末尾几位；第二页说明每一列怎么填。",
        "The template's ID number, phone and unit code columns are formatted as text, so Excel keeps every digit; "
        "its second sheet says what each column takes.",
    ),
    "imports_rejects_download": (
        "下载被拒绝的行与全部提示（Excel）",
        "Download the rejected rows and every warning (Excel)",
    ),
    "imports_rejects_hint": (
        "被拒绝的行含行号、出错的列和原因，改正后可直接再次导入；第二页是全部提示（如未记录的电话）。只保留7天，只有您能下载。",
        "The rejected rows have their row number, the field at fault and the reason: fix them and import the file "
        "again; the second sheet has every warning (a phone not recorded, …). Kept for 7 days, for you only.",
    ),
    "imports_rejects_more": (
        "此处列出前 {shown} 条，共 {total} 条；全部在下载的文件中。",
        "The first {shown} of {total} are listed here; all of them are in the file.",
    ),
}
