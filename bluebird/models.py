"""Every model, in dependency order (tests and tools that need them all)."""
from bluebird.assessment.models import AnnualReview, Appeal, Entry, RuleSet, Scorecard, Sheet
from bluebird.auth.models import LoginSession, User
from bluebird.cases.models import Call, Case, PriceItem
from bluebird.duties.models import Duty
from bluebird.estate.models import Building, Estate, Patch, Resident, Unit
from bluebird.estate.models_moves import MoveOut
from bluebird.frontdesk.models import (
       Handover,
       Key,
       KeyLoan,
       Parcel,
       PhoneCall,
       StaffMessage,
       Visitor,
)
from bluebird.notify.models import (
       Delivery,
       Notification,
       NotifyProfile,
       PushSubscription,
       WeComApp,
       WeComWebhook,
)
from bluebird.photos.models import Attachment
from bluebird.renovations.models import Permit, WorkerPass
from bluebird.reports.models import Filing, HouseMonth, ReportCache
from bluebird.rounds.models import (
       Checkpoint,
       CheckpointVisit,
       ItemResult,
       Round,
       Template,
       TemplateItem,
)
from bluebird.survey.models import Answer, Invitation, Score, SurveyRound
from bluebird.timeline.models import Event
from bluebird.visits.models import (
       HouseholdContact,
       MeetingAttendee,
       MeetingCase,
       OwnerMeeting,
       SiteCall,
       Visit,
       VisitPlan,
       VisitPlanItem,
)

ALL = [Estate, Patch, Building, Unit, Resident, User, Event, Duty, PriceItem, Case, Call, Attachment,
       Template, TemplateItem, Round, ItemResult, Checkpoint, CheckpointVisit, Permit, WorkerPass,
       Notification, PushSubscription, WeComWebhook, Delivery, WeComApp, NotifyProfile,
       PhoneCall, StaffMessage, Visitor, Parcel, Key, KeyLoan, Handover,
       SurveyRound, Invitation, Answer, Score,
       LoginSession, MoveOut, Visit, HouseholdContact, VisitPlan, VisitPlanItem, SiteCall,
       OwnerMeeting, MeetingAttendee, MeetingCase,
       Filing, HouseMonth, ReportCache,
       RuleSet, Sheet, Entry, Appeal, AnnualReview, Scorecard]
