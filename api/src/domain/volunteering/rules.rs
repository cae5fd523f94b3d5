//! What every part of volunteering shares: the rules from the configuration, the refusals, the
//! sign-up and activity states that count, and the order in which rows are locked (an activity
//! before a person), so that concurrent changes cannot deadlock.

use chrono::{DateTime, Duration, Utc};
use entities::activity_signup::{self, SignupStatus};
use entities::service_record;
use entities::volunteer_activity::{self, ActivityStatus};

use crate::config::Rounding;
use crate::domain::outcome::{Outcome, refusals};

/// The attendance and hours rules, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct VolunteeringRules {
    /// How long before the start and after the end attendance may be recorded; a record never
    /// exceeds the scheduled span plus this.
    pub tolerance: Duration,
    pub rounding: Rounding,
    /// The unit, in minutes, service time is rounded to.
    pub rounding_unit: i64,
    /// How long an attendance code stays valid.
    pub code_lifetime: Duration,
    /// Points credited per confirmed hour, pro rata.
    pub points_per_hour: i64,
}

impl VolunteeringRules {
    /// The minutes credited for attendance from `checked_in` to `checked_out` at `activity`:
    /// rounded by the configured rule, and never more than the scheduled span plus tolerance.
    pub fn service_minutes(
        &self,
        activity: &volunteer_activity::Model,
        checked_in: DateTime<Utc>,
        checked_out: DateTime<Utc>,
    ) -> i64 {
        let served = (checked_out - checked_in).num_minutes();
        let unit = self.rounding_unit.max(1);
        let rounded = match self.rounding {
            Rounding::Down => served / unit * unit,
            Rounding::Nearest => (served + unit / 2) / unit * unit,
            Rounding::Up => (served + unit - 1) / unit * unit,
        };
        rounded.min(self.longest_service(activity))
    }

    /// The points `minutes` of confirmed service are worth (rounded towards zero).
    pub(super) fn points_for(&self, minutes: i32) -> i64 {
        i64::from(minutes) * self.points_per_hour / 60
    }

    /// The most minutes one attendance of `activity` can be worth.
    pub(super) fn longest_service(&self, activity: &volunteer_activity::Model) -> i64 {
        (activity.ends_at - activity.starts_at + self.tolerance).num_minutes()
    }
}

refusals! {
    /// Why a volunteering change was refused.
    pub enum VolunteeringRefusal for "Volunteering" {
        EndsBeforeStart => INVALID_WINDOW @ "endsAt": "the activity must end after it starts",
        StartsInPast => INVALID_WINDOW @ "startsAt": "the activity must start in the future",
        SignupClosesBeforeOpening => INVALID_SIGNUP_WINDOW @ "signupClosesAt":
            "sign-ups must close after they open",
        SignupClosesAfterEnd => INVALID_SIGNUP_WINDOW @ "signupClosesAt":
            "sign-ups must close by the activity's end",
        InvalidCapacity => INVALID_CAPACITY @ "capacity": "the capacity is at least 1",
        PlaceRequired => PLACE_REQUIRED @ "place": "name a place or one of the community's centres",
        CategoryRequired => CATEGORY_REQUIRED @ "area":
            "name a volunteer area or a professional service category",
        NotACommunity => NOT_A_COMMUNITY @ "communityId": "activities take place in a community",
        CentreNotInCommunity => CENTRE_NOT_IN_COMMUNITY @ "centreId":
            "the centre is not in the activity's community",
        TeamNotOwned => TEAM_NOT_OWNED @ "teamId":
            "the team does not belong to the organising organisation",
        NotOrganizer => NOT_ORGANIZER: "only the organising organisation may do this",
        NotPermitted => NOT_PERMITTED:
            "only staff of the activity's community (or above) may do this",
        NotDraft => ACTIVITY_NOT_DRAFT @ "activityId": "the activity is not a draft",
        NotPendingApproval => ACTIVITY_NOT_PENDING_APPROVAL @ "activityId":
            "the activity is not waiting for approval",
        NotPublished => ACTIVITY_NOT_PUBLISHED @ "activityId": "the activity is not published",
        NotScheduled => ACTIVITY_NOT_SCHEDULED @ "activityId":
            "the activity is not scheduled to start",
        NotInProgress => ACTIVITY_NOT_IN_PROGRESS @ "activityId": "the activity is not in progress",
        NotEnded => ACTIVITY_NOT_ENDED @ "activityId": "the activity has not ended",
        AlreadyStarted => ACTIVITY_ALREADY_STARTED @ "activityId":
            "the activity has started; it can no longer be cancelled",
        NotCancellable => ACTIVITY_NOT_CANCELLABLE @ "activityId":
            "the activity is over or cancelled; it can no longer be cancelled",
        TooEarly => TOO_EARLY @ "activityId": "it is too early to start the activity",
        SignupClosed => SIGNUP_CLOSED @ "activityId": "the activity is not taking sign-ups now",
        NotAVolunteer => NOT_A_VOLUNTEER: "only a person can sign up, for themself",
        AlreadySignedUp => ALREADY_SIGNED_UP @ "activityId":
            "the volunteer has already signed up for this activity",
        OverlappingSignup => OVERLAPPING_SIGNUP @ "activityId":
            "the volunteer holds a place in another activity at an overlapping time",
        ActivityFull => ACTIVITY_FULL @ "activityId": "every place is taken",
        NotSignupHolder => NOT_SIGNUP_HOLDER @ "signupId":
            "only the volunteer or the organiser may do this",
        SignupNotPending => SIGNUP_NOT_PENDING @ "signupId":
            "the sign-up is not waiting for approval",
        SignupNotCancellable => SIGNUP_NOT_CANCELLABLE @ "signupId":
            "the sign-up cannot be cancelled any more",
        CancelDeadlinePassed => CANCEL_DEADLINE_PASSED @ "signupId":
            "the sign-up deadline has passed",
        SignupNotApproved => SIGNUP_NOT_APPROVED @ "signupId":
            "the volunteer holds no approved place",
        NotCheckedIn => NOT_CHECKED_IN @ "signupId": "the volunteer has not checked in",
        NotUnderway => ACTIVITY_NOT_UNDERWAY @ "activityId":
            "attendance is recorded only while an activity is published, under way or just ended",
        OutsideWindow => OUTSIDE_ACTIVITY_WINDOW @ "at":
            "the time lies outside the activity's window and its tolerance",
        InvalidAttendanceTime => INVALID_ATTENDANCE_TIME @ "at":
            "check-out must follow check-in, and neither may lie in the future",
        InvalidCode => INVALID_CODE @ "code": "the attendance code is wrong or has expired",
        NotRecordingOrganization => NOT_RECORDING_ORGANIZATION @ "recordId":
            "only the recording organisation may do this",
        RecordConfirmed => RECORD_CONFIRMED @ "recordId": "the record is already confirmed",
        RecordNotConfirmed => RECORD_NOT_CONFIRMED @ "recordId":
            "only confirmed records are corrected; a pending one is still the organisation's to confirm",
        EmptyCorrection => EMPTY_CORRECTION @ "minutes":
            "a correction changes the minutes by a non-zero amount",
        NegativeTotal => NEGATIVE_TOTAL @ "minutes":
            "the correction would make the service's minutes negative",
        ExceedsSchedule => EXCEEDS_SCHEDULE @ "minutes":
            "the correction would credit more than the scheduled span plus tolerance",
        InvalidPoints => INVALID_POINTS @ "points": "redeem a positive number of points",
        InsufficientPoints => INSUFFICIENT_POINTS @ "points":
            "the volunteer has fewer points than that",
        InvalidPeriod => INVALID_PERIOD @ "to": "the period must end after it starts",
        NoConfirmedService => NO_CONFIRMED_SERVICE @ "volunteerId":
            "the volunteer has no confirmed service with the organisation in the period",
    }
}

pub type ActivityOutcome = Outcome<volunteer_activity::Model, VolunteeringRefusal>;
pub type SignupOutcome = Outcome<activity_signup::Model, VolunteeringRefusal>;
pub type RecordOutcome = Outcome<service_record::Model, VolunteeringRefusal>;

/// Sign-ups that hold one of an activity's places.
pub(super) const HOLDING: [SignupStatus; 3] = [
    SignupStatus::Approved,
    SignupStatus::CheckedIn,
    SignupStatus::CheckedOut,
];
/// Sign-ups a volunteer (or the organiser) may still cancel.
pub(super) const CANCELLABLE: [SignupStatus; 3] = [
    SignupStatus::Applied,
    SignupStatus::Approved,
    SignupStatus::Waitlisted,
];
/// Activity states in which attendance is recorded.
pub(super) const UNDERWAY: [ActivityStatus; 4] = [
    ActivityStatus::Published,
    ActivityStatus::RecruitmentClosed,
    ActivityStatus::InProgress,
    ActivityStatus::Ended,
];

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, hour, minute, 0)
            .single()
            .expect("a valid time")
    }

    /// An activity from 09:00 to 11:00.
    fn activity() -> volunteer_activity::Model {
        volunteer_activity::Model {
            id: 1,
            organization_id: 1,
            team_id: None,
            community_id: 1,
            title: "助老".to_owned(),
            description: None,
            area: None,
            service_category: None,
            centre_id: None,
            place: None,
            starts_at: at(9, 0),
            ends_at: at(11, 0),
            signup_opens_at: at(0, 0),
            signup_closes_at: at(9, 0),
            capacity: 10,
            self_scheduling: false,
            status: ActivityStatus::InProgress,
            created_at: at(0, 0),
            updated_at: at(0, 0),
        }
    }

    fn rules(rounding: Rounding) -> VolunteeringRules {
        VolunteeringRules {
            tolerance: Duration::minutes(30),
            rounding,
            rounding_unit: 15,
            code_lifetime: Duration::minutes(15),
            points_per_hour: 10,
        }
    }

    #[test]
    fn attended_time_is_rounded_to_the_unit_as_configured() {
        let (checked_in, checked_out) = (at(9, 2), at(10, 0)); // 58 minutes
        let minutes =
            |rounding| rules(rounding).service_minutes(&activity(), checked_in, checked_out);
        assert_eq!(minutes(Rounding::Down), 45);
        assert_eq!(minutes(Rounding::Nearest), 60);
        assert_eq!(minutes(Rounding::Up), 60);
        let short = rules(Rounding::Nearest).service_minutes(&activity(), at(9, 0), at(9, 7));
        assert_eq!(short, 0, "7 minutes round to the nearest 15 as none");
        let half = rules(Rounding::Nearest).service_minutes(&activity(), at(9, 0), at(9, 8));
        assert_eq!(half, 15, "8 minutes is past half a unit");
    }

    #[test]
    fn service_never_exceeds_the_scheduled_span_plus_the_tolerance() {
        let all_day = rules(Rounding::Up).service_minutes(&activity(), at(6, 0), at(18, 0));
        assert_eq!(
            all_day, 150,
            "two hours scheduled and 30 minutes' tolerance"
        );
    }

    #[test]
    fn points_are_pro_rata_and_round_towards_zero() {
        let rules = rules(Rounding::Down);
        assert_eq!(rules.points_for(60), 10);
        assert_eq!(rules.points_for(45), 7);
        assert_eq!(rules.points_for(-45), -7);
    }
}
