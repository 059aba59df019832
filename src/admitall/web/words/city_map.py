"""Page words of the city_map area (issue 14), merged into web.i18n.MESSAGES by web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "city_map_title_waiting": ("待收治人数", "Waiting for a bed"),
    "city_map_people": ("人", " people"),
    "city_map_note": (
        "按辖区边界绘制；点击区域进入该单位。",
        "Drawn by the units' boundaries; select one to open its screen.",
    ),
    "city_map_placed": (
        "{n} 个单位没有边界，以空心虚线圆点示意，位置不代表实际地点。",
        "{n} units have no boundary: the dashed dots stand for them and do not show where they are.",
    ),
    "city_map_off_map": (
        "{n} 个单位无法定位，未画在图上（见下表）。",
        "{n} units cannot be placed and are not drawn (see the table).",
    ),
    "city_map_previous_24h": ("前24小时", "the 24 h before:"),
}
