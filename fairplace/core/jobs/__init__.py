"""Background work on Huey: periodic jobs declared by each app (``periodic_job``), one-off tasks
(``db_task``), one run per scheduled slot and one at a time, every run recorded (``PeriodicJob``,
``JobRun``), worker heartbeats and the queue's depth and age (``health``).

This package's ``__init__`` imports nothing, so that the settings can validate schedules
(``schedules.parse_cron``) before Django is set up."""
