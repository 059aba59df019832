"""Page words of the city_map area (issue 14), merged into web.i18n.MESSAGES by web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "city_map_title_waiting": ("待收治人数", "Waiting for a bed"),
    "city_map_people": ("人", " waiting"),
    "city_map_note": (
        "按辖区边界绘制；点击区域进入该单位。",
        "Drawn by the units' boundaries; select one to open its screen.",
    ),
    "city_map_placed": (
        "{n} 个单位没有边界，以空心虚线圆点示意，位置不代表实际地点。",
        "Units without a boundary ({n}): the dashed dots stand for them and do not show where they are.",
    ),
    "city_map_off_map": (
        "{n} 个单位无法定位，未画在图上（见下表）。",
        "Units that cannot be placed ({n}) are not drawn (see the table).",
    ),
    "city_map_import_boundaries": ("导入辖区边界（地图）", "Import boundaries (for the map)"),
    "city_map_import_hint": (
        "GeoJSON 文件：多边形要素按其区划代码匹配单位，没有代码时按在本辖区内唯一的名称匹配；未匹配的要素逐条列出原因。"
        "已有边界的单位以新边界替换。",
        "A GeoJSON file: Polygon or MultiPolygon features matched to units by their code property (the division "
        "code), or else by a name unique within your jurisdiction; each feature not matched is listed with the "
        "reason. A unit that has a boundary gets the new one.",
    ),
    "city_map_previous_24h": ("前24小时", "the 24 h before:"),
}
