from django.core.management.base import BaseCommand

from fairplace.reports.schedule import mark_overdue_reports, send_action_follow_ups, send_answer_reminders


class Command(BaseCommand):
    help = (
        "Relance les plateformes avant l'échéance et passe « sans réponse » les signalements dont le délai est écoulé."
    )

    def handle(self, *args, **options):
        reminded = send_answer_reminders()
        overdue = mark_overdue_reports()
        self.stdout.write(f"{send_action_follow_ups()} vendeur(s) interrogé(s) sur l'action promise")
        self.stdout.write(f"{reminded} relance(s), {overdue} signalement(s) passé(s) sans réponse")
