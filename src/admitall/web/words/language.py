"""Page words of the language area (issue 14), merged into web.i18n.MESSAGES by web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "language_menu": ("菜单", "Menu"),
    "language_nav": ("主导航", "Main navigation"),
    "language_ranking_rule": (
        "红榜：获表扬且得分不低于本级中位数（{median}）者，得分高者在前；"
        "黑榜：被问责且得分低于中位数或低于 {below} 者，得分低者在前。"
        "得分在中位数以上而被问责的单位，问责标记仍见于评分卡和排名。",
        "Red list: those commended with a score at least the level's median ({median}), best first; black list: those "
        "flagged for review with a score below the median or below {below}, worst first. A unit above the median "
        "with a review flag keeps the flag on its scorecard and in the ranking.",
    ),
    # the singular of an English text with a count {n} ("{n} people"): web.i18n.translator picks KEY_one for n = 1
    "found_one": ("共 {n} 人", "{n} person"),
    "recipients_n_one": ("{n} 个接收单位", "{n} recipient"),
    "sim_days_n_one": ("{n} 天", "{n} day"),
    # the steps of a simulated run the registry may refuse (sim_run.html)
    "sim_action_depart": ("出发转运", "depart"),
    "sim_action_admit": ("收治入院", "admit"),
    "sim_action_refuse": ("拒收", "refuse"),
    "sim_action_cancel": ("取消分配", "cancel the assignment"),
    "sim_action_reclassify": ("变更类别", "reclassify"),
    "sim_action_severity": ("变更病情", "change the severity"),
    "sim_action_outcome": ("出院/结局", "discharge or outcome"),
    # who acted, when no person did (rendering.SYSTEM_ACTORS)
    "language_who_system": ("系统", "the system"),
    "language_who_cli": ("命令行", "the command line"),
    "language_who_sim": ("模拟推演", "the digital twin"),
    "language_who_twin": ("模拟推演", "the digital twin"),
    "event_held_facility": ("保留床位的机构", "Facility holding the bed"),
    "event_held_bed_type": ("保留的床位类型", "Bed type held"),
}
