"""Every model, in dependency order (tests and tools that need them all)."""
from bluebird.assessment.models import AnnualReview, Appeal, Entry, RuleSet, Scorecard, Sheet
from bluebird.auth.models import LoginSession, User
from bluebird.cases.models import Call, Case, PriceItem
from bluebird.duties.models import Duty
from bluebird.estate.models import Building, Estate, Patch, Resident, Unit
from bluebird.frontdesk.models import (
       Handover,
       Key,
       KeyLoan,
       Parcel,
       PhoneCall,
       StaffMessage,
       Visitor,
)
from bluebird.notify.models import Delivery, Notification, PushSubscription, WeComWebhook
from bluebird.photos.models import Attachment
from bluebird.renovations.models import Permit, WorkerPass
from bluebird.rounds.models import (
       Checkpoint,
       CheckpointVisit,
       ItemResult,
       Round,
       Template,
       TemplateItem,
)
from bluebird.timeline.models import Event

ALL = [Estate, Patch, Building, Unit, Resident, User, Event, Duty, PriceItem, Case, Call, Attachment,
       Template, TemplateItem, Round, ItemResult, Checkpoint, CheckpointVisit, Permit, WorkerPass,
       Notification, PushSubscription, WeComWebhook, Delivery,
       PhoneCall, StaffMessage, Visitor, Parcel, Key, KeyLoan, Handover,
       LoginSession, RuleSet, Sheet, Entry, Appeal, AnnualReview, Scorecard]
