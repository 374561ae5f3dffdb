from crisisgov.kernel.permissions import Permission


class EarlyWarningPermission(Permission):
    VIEW_SIGNALS = "earlywarning.view_signals"  # series, detections, Rt, sensors, alerts
    REPORT_OBSERVATIONS = "earlywarning.report_observations"  # observations by API or upload
    MANAGE_SENSORS = "earlywarning.manage_sensors"  # the sensor registry and its thresholds
    TRIAGE_ALERTS = "earlywarning.triage_alerts"  # confirm, dismiss, escalate; publish CAP
    MANAGE_RISK_RULES = "earlywarning.manage_risk_rules"  # rule sets and their thresholds
    DECIDE_RISK_LEVELS = "earlywarning.decide_risk_levels"  # approve or reject proposals
