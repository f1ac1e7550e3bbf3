from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fairplace.reports"
    label = "reports"
    verbose_name = "Signalements"

    def ready(self):
        from fairplace.core.ratelimit import purge_expired
        from fairplace.core.tasks import register_periodic

        from .digest import send_daily_digests_when_due
        from .drafts import purge_stale_drafts
        from .exports import build_pending_exports
        from .schedule import mark_overdue_reports, send_action_follow_ups, send_answer_reminders

        register_periodic("answer_reminders", send_answer_reminders)
        register_periodic("overdue", mark_overdue_reports)
        register_periodic("action_follow_ups", send_action_follow_ups)
        register_periodic("purge_rate_limits", purge_expired)
        register_periodic("purge_drafts", purge_stale_drafts)
        register_periodic("exports", build_pending_exports)
        register_periodic("daily_digest", send_daily_digests_when_due)  # once a day after 7:00 Paris time
