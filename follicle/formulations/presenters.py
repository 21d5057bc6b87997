"""Display logic for formulations: the coverage chart's geometry, labels for warnings and levels."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from follicle.formulations import evidence
from follicle.formulations.selectors.coverage import Coverage

WARNING_TYPE_LABELS = {
    "absolute": gettext_lazy("Absolute"),
    "relative": gettext_lazy("Relative"),
    "caution": gettext_lazy("Caution"),
    "agent_specific": gettext_lazy("Agent-specific"),
    "": gettext_lazy("Type not known"),
}
WARNING_TYPE_STYLES = {
    "absolute": "danger",
    "agent_specific": "danger",
    "relative": "warning",
    "caution": "info",
}

# Fill colours of the chart's bars (SVG presentation attributes: no inline style under the CSP).
LEVEL_FILLS = {"RCT": "#1f5f5a", "controlled": "#3f8f87", "case_series": "#8cc3bc", "none": "#c9cdd1"}
LEVEL_BADGES = {"RCT": "success", "controlled": "primary", "case_series": "info", "none": "secondary"}

SHORT_LEVEL_LABELS = {
    "RCT": gettext_lazy("RCT"),
    "controlled": gettext_lazy("Controlled"),
    "case_series": gettext_lazy("Case series"),
    "none": gettext_lazy("None"),
}

# Chart geometry (viewBox units).
LABEL_WIDTH = 220
BAR_X = 230
BAR_WIDTH = 300
ROW_HEIGHT = 34
TOP = 34
WIDTH = 700


def level_label(level: str) -> str:
    return str(evidence.LEVEL_LABELS.get(level, level))


def coverage_chart(coverage: Coverage) -> dict:
    """Six horizontal bars, one per mechanism: length and colour by the strongest evidence for
    injection; a short grey bar where ingredients claim the mechanism without injection evidence;
    none where no ingredient claims it."""
    top_rank = max(evidence.LEVEL_RANK.values())
    rows, summary = [], []
    for n, mechanism in enumerate(coverage.mechanisms):
        level = mechanism.strongest_for_injection
        rank = evidence.LEVEL_RANK.get(level, 0)
        y = TOP + n * ROW_HEIGHT
        if not mechanism.covered:
            width, text = 0, _("not covered")
        else:
            width = max(round(BAR_WIDTH * rank / top_rank), 6)
            count = len(mechanism.ingredients)
            text = str(SHORT_LEVEL_LABELS[level]) if rank else _("no evidence for injection")
            text += " · " + (_("1 ingredient") if count == 1 else _("%(n)s ingredients") % {"n": count})
        rows.append(
            {
                "label": str(mechanism.label),
                "y": y,
                "bar_y": y + 6,
                "text_y": y + ROW_HEIGHT // 2 + 4,
                "width": width,
                "fill": LEVEL_FILLS.get(level, LEVEL_FILLS["none"]),
                "text": text,
                "text_x": BAR_X + width + 8,
                "level": level,
                "covered": mechanism.covered,
            }
        )
        summary.append(f"{mechanism.label}: {text}")
    ticks = [
        {"x": BAR_X + round(BAR_WIDTH * rank / top_rank), "label": str(SHORT_LEVEL_LABELS[level])}
        for level, rank in evidence.LEVEL_RANK.items()
        if rank
    ]
    height = TOP + len(rows) * ROW_HEIGHT + 8
    return {
        "rows": rows,
        "ticks": ticks,
        "width": WIDTH,
        "height": height,
        "label_x": LABEL_WIDTH,
        "bar_x": BAR_X,
        "bar_height": ROW_HEIGHT - 12,
        "axis_bottom": height - 4,
        "summary": "; ".join(summary),
        "legend": [
            {
                "level": level,
                "label": level_label(level) if level != "none" else _("No evidence for injection"),
                "fill": LEVEL_FILLS[level],
            }
            for level in evidence.LEVELS
        ],
    }
