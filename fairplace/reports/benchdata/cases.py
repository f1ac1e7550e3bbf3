"""One generated report and its history: the workflow's steps replayed in order, each writing
the fields and the event (code, actor, payload, SHA-256 chain) the real code writes."""

import hashlib
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from .. import deadlines
from ..events import event_hash
from ..models import Attachment, Consent
from ..states import MediationStage, Outcome, ReportState
from .refs import Refs
from .sellers import CONSEQUENCES, FACTS, Seller, reference_for, seller_for

S = ReportState
YEARS = 3
EVENT_SLOTS = 16  # event ids per report: report k owns ids [base + k * slots, base + (k + 1) * slots)

# Shares of the final states, as in a queue that has been worked for three years.
STATE_WEIGHTS = {
    S.CLOSED: 0.52,
    S.NOT_ADMISSIBLE: 0.05,
    S.DUPLICATE: 0.03,
    S.SUBMITTED: 0.05,
    S.QUALIFIED: 0.04,
    S.FORWARDED: 0.10,
    S.ANSWERED: 0.07,
    S.OVERDUE: 0.10,
    S.REFERRED: 0.015,
    S.IN_MEDIATION: 0.025,
}
OTHER_MARKETPLACES = [
    ("Boutique Exemple", "https://www.boutique-exemple.fr"),
    ("Marché des Artisans", "https://www.marche-artisans.fr"),
    ("VendsTout", ""),
]
REPEAT_SELLER_SHARE = 0.25  # reports filed by sellers who report again and again
ATTACHMENT_SHARE = 0.3

REJECTION_REASONS = [
    "terms_breach",
    "decision_upheld",
    "legal_obligation",
    "fraud_risk",
    "consumer_complaints",
    "fees_as_published",
    "insufficient_information",
]
NOT_CONCERNED_REASONS = ["unknown_seller", "other_platform", "already_settled"]
PROMISED_ACTIONS = [
    "reinstatement",
    "fee_refund",
    "payment_release",
    "stock_return",
    "explanation",
    "terms_corrected",
    "contact_offered",
]
# What sellers say of the answers and of the promised actions (SellerFeedback values).
RATINGS = {"satisfied": 0.35, "partly_satisfied": 0.25, "not_satisfied": 0.40}
ACTION_OUTCOMES = {"done": 0.5, "partly_done": 0.2, "not_done": 0.3}
NOTICE_DAYS = [0, 0, 0, 3, 7, 15, 30, 30, 45, 60]
NOT_ADMISSIBLE_REASONS = [
    "Litige entre particuliers, hors du champ de l'observatoire",
    "Faits antérieurs à l'ouverture de l'observatoire",
    "Signalement sans lien avec une place de marché",
]


# One report and its history ------------------------------------------------------------------


@dataclass
class Plan:
    """Where the ids of a run start: every table's rows get ids from these bases."""

    count: int
    seed: int
    now: datetime
    report_base: int
    event_base: int
    contact_base: int
    answer_base: int
    referral_base: int
    feedback_base: int
    repeat_sellers: int
    salt: int


@dataclass
class Chunk:
    contacts: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    events: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    feedback: list = field(default_factory=list)
    states: Counter = field(default_factory=Counter)


class History:
    """The events of one report, chained as ``events.record_event`` chains them."""

    def __init__(self, report_id: int, first_event_id: int):
        self.report_id, self.next_id, self.prev = report_id, first_event_id, ""
        self.rows: list[tuple] = []

    def add(self, code: str, at: datetime, actor_kind: str, actor_id, payload: dict) -> None:
        if len(self.rows) == EVENT_SLOTS:
            raise RuntimeError(f"more than {EVENT_SLOTS} events for one report: raise EVENT_SLOTS")
        digest = event_hash(self.prev, self.report_id, code, actor_kind, actor_id, payload, at)
        self.rows.append((self.next_id, self.report_id, code, actor_kind, actor_id, payload, at, self.prev, digest))
        self.prev = digest
        self.next_id += 1


def _later(rng: random.Random, at: datetime, low_days: float, high_days: float) -> datetime:
    return at + timedelta(seconds=int(rng.uniform(low_days, high_days) * 86400))


_DUE_CACHE: dict = {}


def _local_day(at: datetime):
    # Django's localdate() looks the current time zone up in a context-local (asgiref), a
    # cost that shows over millions of events; the bench data is in the settings' zone.
    return at.astimezone(_ZONE).date()


_ZONE = ZoneInfo(settings.TIME_ZONE)


def _due(forwarded_at: datetime) -> datetime:
    day = _local_day(forwarded_at)
    if day not in _DUE_CACHE:
        _DUE_CACHE[day] = deadlines.due_at("platform_answer", forwarded_at).astimezone(UTC)
    return _DUE_CACHE[day]


def _reminder(due: datetime) -> datetime:
    key = ("reminder", due)
    if key not in _DUE_CACHE:
        _DUE_CACHE[key] = deadlines.reminder_at(due).astimezone(UTC)
    return _DUE_CACHE[key]


class CaseBuilder:
    """Builds one report: its fields, then the workflow's steps in order, each writing the
    fields and the event the real transition writes."""

    def __init__(self, plan: Plan, refs: Refs, rng: random.Random, chunk: Chunk, index: int):
        self.plan, self.refs, self.rng, self.chunk, self.index = plan, refs, rng, chunk, index
        self.report_id = plan.report_base + index
        self.history = History(self.report_id, plan.event_base + index * EVENT_SLOTS)
        self.state = str(S.SUBMITTED)
        self.fields: dict = {
            "outcome": "",
            "answer_due_at": None,
            "forwarded_at": None,
            "platform_first_read_at": None,
            "assigned_to_id": None,
            "duplicate_of_id": None,
        }
        self.at: datetime = plan.now
        self.answered: tuple | None = None

    # -- steps (each mirrors a workflow transition or service) --

    def transition(self, to: str, code: str, actor_kind: str, actor_id, **recorded) -> None:
        # Plain strings (not the TextChoices members): what the database gives back.
        self.history.add(code, self.at, actor_kind, actor_id, {"from": self.state, "to": str(to), **recorded})
        self.state = str(to)

    def agent(self) -> int:
        return self.fields["assigned_to_id"] or self.rng.choice(self.refs.agents)

    def step(self, low_days: float, high_days: float) -> None:
        self.at = min(_later(self.rng, self.at, low_days, high_days), self.plan.now - timedelta(minutes=1))

    def qualify(self):
        self.step(0.05, 3)
        self.transition(S.QUALIFIED, "report.qualified", "agent", self.agent())

    def assign(self):
        self.step(0.01, 1)
        agent = self.rng.choice(self.refs.agents)
        self.history.add("report.assigned", self.at, "agent", agent, {"from": None, "to": agent})
        self.fields["assigned_to_id"] = agent

    def forward(self):
        self.step(0.05, 2)
        due = _due(self.at)
        self.transition(S.FORWARDED, "report.forwarded", "agent", self.agent(), answer_due_at=due.isoformat())
        self.fields["forwarded_at"] = self.at
        self.fields["answer_due_at"] = due

    def read_by_platform(self):
        due = self.fields["answer_due_at"]
        read_at = _later(self.rng, self.at, 0.02, 6)
        if read_at >= min(due, self.plan.now):
            return
        self.at = read_at
        self.history.add("report.read_by_platform", self.at, "platform", self._representative(), {})
        self.fields["platform_first_read_at"] = self.at

    def remind(self):
        due = self.fields["answer_due_at"]
        remind_at = max(_reminder(due), self.at + timedelta(minutes=5))
        if remind_at >= min(due, self.plan.now):
            return
        self.at = remind_at
        self.history.add("report.answer_reminder_sent", self.at, "system", None, {"due_at": due.isoformat()})

    def mark_overdue(self):
        self.at = self.fields["answer_due_at"] + timedelta(minutes=self.rng.randint(1, 600))
        self.transition(S.OVERDUE, "report.overdue", "system", None)

    def answer(self, before: datetime):
        rng = self.rng
        self.at = max(self.at, min(_later(rng, self.at, 0.1, 12), before - timedelta(minutes=1)))
        roll = rng.random()
        if roll < 0.45:
            kind, actions, reasons = "accepted", rng.sample(PROMISED_ACTIONS, rng.randint(1, 2)), []
        elif roll < 0.9:
            kind, actions, reasons = "rejected", [], rng.sample(REJECTION_REASONS, rng.randint(1, 2))
        else:
            kind, actions, reasons = "not_concerned", [], [rng.choice(NOT_CONCERNED_REASONS)]
        answer_id = self.plan.answer_base + self.index
        self.chunk.answers.append(
            (
                answer_id,
                self.report_id,
                kind,
                reasons,
                actions,
                "Nous avons réexaminé votre dossier." + (" Votre compte est rétabli." if kind == "accepted" else ""),
                "" if rng.random() < 0.8 else "Vendeur déjà averti à deux reprises.",
                self._representative(),
                self.at,
                self.at + timedelta(days=21) if actions else None,
            )
        )
        self.transition(
            S.ANSWERED,
            "report.answered",
            "platform",
            self._representative(),
            answer_id=answer_id,
            kind=kind,
            reasons=reasons,
            actions=actions,
        )
        self.answered = (answer_id, actions)

    def seller_feedback(self):
        """After the walk: the seller rates the answer (within 30 days) and, from 21 days on, says
        whether the promised action happened (feedback.rate_answer / confirm_action): a
        SellerFeedback row and an event each, in time order after the report's last step."""
        if not self.answered:
            return
        answer_id, actions = self.answered
        steps = [("answer_rating", "report.answer_rated", RATINGS, 0.55, (0.2, 20))]
        if actions:
            steps.append(("action_confirmation", "report.action_confirmed", ACTION_OUTCOMES, 0.6, (21, 30)))
        for slot, (kind, code, weights, share, (low, high)) in enumerate(steps):
            at = _later(self.rng, self.at, low, high)
            if self.rng.random() >= share or at >= self.plan.now:
                continue
            self.at, value = at, _pick(self.rng, weights)
            self.chunk.feedback.append(
                (self.plan.feedback_base + 2 * self.index + slot, self.report_id, answer_id, kind, value, "", at)
            )
            self.history.add(code, at, "seller", None, {"answer_id": answer_id, "value": value})

    def refer(self, mediator: int):
        self.step(0.1, 10)
        recorded = {"mediator_id": mediator}
        if self.fields["consent"] != Consent.MEDIATION:
            recorded["seller_consent"] = True
        self.transition(S.REFERRED, "report.referred_to_mediation", "agent", self.agent(), **recorded)
        self.chunk.referrals.append((self.plan.referral_base + self.index, self.report_id, mediator, self.at))

    def mediate(self, mediator: int, stages: int) -> bool:
        """Open the mediation and record up to ``stages`` stages; True if the platform refused
        (no meeting follows a refusal)."""
        self.step(0.5, 7)
        self.transition(S.IN_MEDIATION, "report.mediation_started", "mediator", mediator)
        answer = MediationStage.PLATFORM_REFUSED if self.rng.random() < 0.3 else MediationStage.PLATFORM_AGREED
        codes = [MediationStage.CONTACT_MADE, MediationStage.PLATFORM_CONTACTED, answer]
        if answer == MediationStage.PLATFORM_AGREED:
            codes += [MediationStage.MEETING_HELD, MediationStage.PROPOSAL_MADE]
        for code in codes[:stages]:
            self.step(0.5, 10)
            self.history.add(
                "report.mediation_stage",
                self.at,
                "mediator",
                mediator,
                {"stage": str(code), "on": _local_day(self.at).isoformat()},
            )
        return answer == MediationStage.PLATFORM_REFUSED and stages >= 3

    def close(self, outcome: str, actor_kind: str = "agent", actor_id=None, reason: str = ""):
        self.step(0.5, 20)
        self.transition(
            S.CLOSED, "report.closed", actor_kind, actor_id or self.agent(), outcome=str(outcome), reason=reason
        )
        self.fields["outcome"] = str(outcome)

    def withdraw(self):
        self.step(0.1, 15)
        self.transition(
            S.CLOSED,
            "report.withdrawn",
            "seller",
            None,
            outcome=str(Outcome.WITHDRAWN),
            reason="Le problème a été réglé directement avec la plateforme.",
        )
        self.fields["outcome"] = str(Outcome.WITHDRAWN)

    def _representative(self):
        return self.refs.representatives.get(self.fields["marketplace_id"])


def _pick(rng: random.Random, weights: dict):
    roll, total = rng.random(), 0.0
    for value, weight in weights.items():
        total += weight
        if roll < total:
            return value
    return value


def _consent_for(rng: random.Random, state: str, path: str) -> str:
    if path in ("mediation", "referred"):
        return Consent.MEDIATION if rng.random() < 0.7 else Consent.IDENTIFIED
    if path in ("forwarded", "answered", "overdue", "overdue_answered"):
        return Consent.ANONYMOUS if rng.random() < 0.6 else Consent.IDENTIFIED
    return _pick(
        rng, {Consent.ANONYMOUS: 0.45, Consent.IDENTIFIED: 0.3, Consent.BAROMETER_ONLY: 0.2, Consent.MEDIATION: 0.05}
    )


def _submitted_age_days(rng: random.Random, state: str) -> float:
    """How long ago a report in ``state`` was submitted (days)."""
    if state == S.SUBMITTED:
        return rng.uniform(0, 10) if rng.random() < 0.9 else rng.uniform(10, 60)
    if state == S.QUALIFIED:
        return rng.uniform(1, 30)
    if state == S.FORWARDED:
        # Forwarded 0-28 days ago: the deadline (15 business days) has passed for some, which
        # the deadline job has not moved to "overdue" yet.
        return rng.uniform(2, 30)
    if state == S.OVERDUE:
        return rng.uniform(30, 700)
    if state in (S.ANSWERED, S.REFERRED, S.IN_MEDIATION):
        return rng.uniform(5, 150)
    return rng.uniform(1, YEARS * 365)


def build_case(plan: Plan, refs: Refs, rng: random.Random, chunk: Chunk, index: int, last_original) -> tuple:
    state = _pick(rng, STATE_WEIGHTS)
    if state == S.DUPLICATE and last_original is None:
        state = S.NOT_ADMISSIBLE
    case = CaseBuilder(plan, refs, rng, chunk, index)
    marketplace_id, slug = refs.marketplaces[_weighted_index(rng, refs.marketplace_weights)]
    if marketplace_id is None and state in (S.FORWARDED, S.ANSWERED, S.OVERDUE):
        state = S.QUALIFIED  # a marketplace outside the registry cannot be forwarded to
    closing = _closing_path(rng) if state == S.CLOSED else ""
    if marketplace_id is None and closing in ("answered", "overdue"):
        closing = "barometer"
    path = closing or ("referred" if state in (S.REFERRED, S.IN_MEDIATION) else state)
    consent = _consent_for(rng, state, path)
    if path == "barometer":
        consent = Consent.BAROMETER_ONLY
    elif path == "referred" and marketplace_id is None:
        consent = Consent.MEDIATION  # not forwarded first: referred on the seller's own request
    consent = str(consent)
    case.fields.update(marketplace_id=marketplace_id, consent=consent)
    submitted_at = plan.now - timedelta(seconds=int(_submitted_age_days(rng, state) * 86400))
    case.at = submitted_at
    seller = _seller(plan, rng, chunk, index, submitted_at)
    family = rng.choice(refs.families)
    attachments = _attachments(rng, chunk, case.report_id, submitted_at)
    case.history.add(
        "report.submitted",
        submitted_at,
        "seller",
        None,
        {
            "family": family.code,
            "consent": consent,
            "marketplace": slug if marketplace_id else None,
            "attachments": attachments,
            "ip_hash": hashlib.sha256(f"{plan.seed}:{index}".encode()).hexdigest()[:16],
        },
    )
    _walk(case, state, path, last_original)
    case.seller_feedback()
    chunk.states[case.state] += 1
    occurred_on = _local_day(submitted_at) - timedelta(days=rng.randint(1, 60))
    answers = _delisting_answers(rng, family.code, dict(family.answers))
    for question in family.date_questions:
        answers[question] = occurred_on.isoformat()
    other_name, other_url = ("", "") if marketplace_id else rng.choice(OTHER_MARKETPLACES)
    reference = reference_for(case.report_id, plan.salt)
    f = case.fields
    chunk.reports.append(
        (
            case.report_id,
            reference,
            uuid.UUID(int=rng.getrandbits(128), version=4),
            case.state,
            marketplace_id,
            other_name,
            other_url,
            family.id,
            answers,
            occurred_on if "occurred_on" in answers else None,
            f"{rng.choice(FACTS)} {rng.choice(FACTS)} {rng.choice(CONSEQUENCES)} (dossier {index % 100000})",
            seller.siret,
            seller.siret[:9],
            seller.company_name,
            seller.company_size,
            seller.naf_code,
            "NAFRev2" if seller.naf_code else "",
            "manual" if rng.random() < 0.7 else "api",
            seller.contact_id,
            seller.first_name,
            seller.last_name,
            seller.email,
            seller.phone,
            consent,
            submitted_at,
            f["outcome"],
            f["answer_due_at"],
            f["forwarded_at"],
            f["platform_first_read_at"],
            f["assigned_to_id"],
            f["duplicate_of_id"],
        )
    )
    chunk.events.extend(case.history.rows)
    return (case.report_id, reference) if case.state != S.DUPLICATE else last_original


def _delisting_answers(rng: random.Random, code: str, answers: dict) -> dict:
    """Vary the P2B article 4 answers of delisting and suspension reports (statement of
    reasons, notice before a termination), as the questions' conditions allow."""
    if "statement_received" in answers and rng.random() < 0.5:
        answers.update(
            statement_received="yes",
            statement_medium=rng.choice(["email", "seller_space"]),
            statement_before_effect=rng.choice(["yes", "yes", "no"]),
            statement_specific_facts=rng.choice(["yes", "no"]),
        )
    if code == "SUSP":
        if rng.random() < 0.4:
            answers.update(suspension_type="termination", notice_days_given=rng.choice(NOTICE_DAYS))
        else:
            answers["suspension_type"] = "suspension"
            answers.pop("notice_days_given", None)
    return answers


def _weighted_index(rng: random.Random, weights: list) -> int:
    roll, total = rng.random(), 0.0
    for i, weight in enumerate(weights):
        total += weight
        if roll < total:
            return i
    return len(weights) - 1


def _closing_path(rng: random.Random) -> str:
    return _pick(rng, {"answered": 0.45, "overdue": 0.15, "withdrawn": 0.10, "barometer": 0.20, "mediation": 0.10})


def _walk(case: CaseBuilder, state: str, path: str, last_original) -> None:
    rng, now = case.rng, case.plan.now
    if rng.random() < (0.6 if state == S.CLOSED else 0.3):
        case.assign()
    if state == S.SUBMITTED:
        return
    if state == S.NOT_ADMISSIBLE:
        if rng.random() < 0.3:
            case.qualify()
        case.step(0.1, 5)
        case.transition(
            S.NOT_ADMISSIBLE, "report.not_admissible", "agent", case.agent(), reason=rng.choice(NOT_ADMISSIBLE_REASONS)
        )
        return
    if state == S.DUPLICATE:
        case.step(0.1, 5)
        case.transition(S.DUPLICATE, "report.duplicate", "agent", case.agent(), duplicate_of=last_original[1])
        case.fields["duplicate_of_id"] = last_original[0]
        return
    if path == "withdrawn":
        if rng.random() < 0.5:
            case.qualify()
        case.withdraw()
        return
    case.qualify()
    if state == S.QUALIFIED:
        return
    if path == "barometer":
        case.close(
            rng.choice([Outcome.UNRESOLVED, Outcome.RESOLVED]), reason="Signalement pris en compte dans le baromètre."
        )
        return
    mediator = rng.choice(case.refs.mediators)
    if path == "mediation" or (path == "referred" and case.fields["consent"] == Consent.MEDIATION):
        case.refer(mediator)
        if state == S.REFERRED:
            return
        refused = case.mediate(mediator, rng.randint(1, 2) if state == S.IN_MEDIATION else rng.randint(3, 5))
        if state == S.CLOSED:
            outcome = (
                Outcome.PLATFORM_DECLINED_MEDIATION
                if refused
                else rng.choice([Outcome.MEDIATION_AGREEMENT, Outcome.MEDIATION_FAILURE])
            )
            case.close(outcome, "mediator", mediator)
        return
    # Forwarded to the platform (the other paths).
    case.forward()
    if rng.random() < 0.55:
        case.read_by_platform()
    case.remind()
    due = case.fields["answer_due_at"]
    if state == S.FORWARDED:
        return
    late = path == "overdue" or state == S.OVERDUE or rng.random() < 0.2
    if late and due < now - timedelta(hours=12):
        case.mark_overdue()
        if state == S.OVERDUE:
            return
        if path == "overdue":  # no answer ever came
            case.close(Outcome.UNRESOLVED, reason="Aucune réponse de la plateforme.")
            return
        case.answer(before=min(now, case.at + timedelta(days=40)))
    else:
        case.answer(before=min(due, now))
    if path == "referred":
        case.refer(mediator)
        if state == S.IN_MEDIATION:
            case.mediate(mediator, rng.randint(1, 2))
        return
    if state == S.CLOSED:
        case.close(rng.choice([Outcome.RESOLVED, Outcome.PARTIALLY_RESOLVED, Outcome.UNRESOLVED]))


def _seller(plan: Plan, rng: random.Random, chunk: Chunk, index: int, submitted_at: datetime) -> Seller:
    if plan.repeat_sellers and rng.random() < REPEAT_SELLER_SHARE:
        return seller_for(plan.contact_base + rng.randrange(plan.repeat_sellers), plan.seed)
    seller = seller_for(plan.contact_base + plan.repeat_sellers + index, plan.seed)
    chunk.contacts.append((seller.contact_id, seller.email, submitted_at))
    return seller


def _attachments(rng: random.Random, chunk: Chunk, report_id: int, submitted_at: datetime) -> int:
    if rng.random() >= ATTACHMENT_SHARE:
        return 0
    n = rng.randint(1, 3)
    for i in range(n):
        file_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        uploaded_at = submitted_at - timedelta(minutes=rng.randint(1, 30))
        kind = rng.choice(["pdf", "png", "jpeg", "pdf"])
        status = str(Attachment.ScanStatus.CLEAN if rng.random() < 0.97 else Attachment.ScanStatus.PENDING)
        chunk.attachments.append(
            (
                file_id,
                None,
                report_id,
                None,
                f"attachments/{uploaded_at:%Y/%m}/{file_id.hex}",
                f"piece-{i + 1}.{kind if kind != 'jpeg' else 'jpg'}",
                kind,
                rng.randint(20_000, 4_000_000),
                hashlib.sha256(file_id.bytes).hexdigest(),
                status,
                "",
                uploaded_at + timedelta(seconds=30) if status == Attachment.ScanStatus.CLEAN else None,
                uploaded_at,
            )
        )
    return n


def build_chunk(plan: Plan, refs: Refs, start: int, stop: int) -> Chunk:
    """Reports ``start`` to ``stop - 1`` of the run (positions, not ids): a pure function of
    the plan, so chunks could be built in any order or in parallel."""
    rng = random.Random(f"{plan.seed}:{start}")
    chunk = Chunk()
    last_original = None
    for index in range(start, stop):
        last_original = build_case(plan, refs, rng, chunk, index, last_original)
    return chunk
