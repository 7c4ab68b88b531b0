"""Plans admitted (docs/domain.md): premium and corporate everywhere, basic only where the facility says."""

from __future__ import annotations

from facility.config.models import Rules
from facility.models import Plan


def plan_admitted(rules: Rules, plan: Plan) -> bool:
    """True when members on this plan may use the facility."""
    return plan in rules.plans_admitted
