//! Volunteering: the communities' volunteer teams, their activities in every state, the sign-ups,
//! and a service record for every attendance, now and then with a compensating correction.

use std::ops::RangeInclusive;

use chrono::{DateTime, TimeDelta, Utc};
use entities::activity_signup::{self, SignupStatus};
use entities::organization::ServiceCategory;
use entities::service_centre::CentreKind;
use entities::service_record::{self, RecordStatus};
use entities::team_member::{self, TeamRole};
use entities::volunteer_activity::{self, ActivityStatus};
use entities::volunteer_team::{self, TeamStatus, VolunteerArea};
use rand::Rng;
use rand::seq::{IndexedRandom, index};
use sea_orm::{DbErr, Iterable};

use super::base::Base;
use super::clock::{between, days, hours, minutes};
use super::dual_reporting::Party;
use super::organizations::Organizations;
use super::random::{mix, partition, pick, pick_ids};
use super::seeder::Seeder;
use super::structure::Community;
use super::tally::Tally;
use super::writer::{Rows, Table};

/// Every this many-th confirmed service record gets a compensating correction.
const CORRECTION_EVERY: u64 = 1_000;

/// Who volunteers where.
pub(super) struct Volunteers {
    /// Members of each community's volunteer teams: they may claim its wishes as volunteers.
    pub(super) team_members: Vec<Vec<i64>>,
}

struct Team {
    id: i64,
    name: String,
    area: VolunteerArea,
    organization_id: i64,
    service_category: Option<ServiceCategory>,
}

/// A community as its activities see it.
struct Neighbourhood<'n> {
    index: usize,
    community: &'n Community,
    /// Who turns up to its activities: team members and the Party members registered there.
    pool: &'n [i64],
    party: &'n Party,
}

/// The tables of the volunteering step, parents first, and how many records it has confirmed.
struct Volunteering {
    teams: Rows<volunteer_team::Entity>,
    members: Rows<team_member::Entity>,
    activities: Rows<volunteer_activity::Entity>,
    signups: Rows<activity_signup::Entity>,
    records: Rows<service_record::Entity>,
    confirmed_records: u64,
}

impl Volunteering {
    fn tables(&mut self) -> [&mut dyn Table; 5] {
        [
            &mut self.teams,
            &mut self.members,
            &mut self.activities,
            &mut self.signups,
            &mut self.records,
        ]
    }
}

/// When an activity in a given status takes place, relative to today.
enum When {
    /// On a day of the past; attended activities never share a day within a community, so that
    /// nobody's attendances overlap.
    Past,
    /// Right now.
    Now,
    /// Some days ahead.
    Ahead(RangeInclusive<i64>),
}

fn when(status: ActivityStatus) -> When {
    match status {
        ActivityStatus::Ended | ActivityStatus::RecordsConfirmed => When::Past,
        ActivityStatus::InProgress => When::Now,
        ActivityStatus::RecruitmentClosed => When::Ahead(1..=7),
        // Sign-up opens 14 days before the start and closes the day before: open today.
        ActivityStatus::Published | ActivityStatus::Cancelled => When::Ahead(2..=12),
        ActivityStatus::Draft | ActivityStatus::PendingApproval => When::Ahead(10..=40),
    }
}

/// An activity's times.
struct Schedule {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    signup_opens_at: DateTime<Utc>,
    signup_closes_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A community's activities by status. One is running (weight 0 still gives one) and the rest
/// are mostly over, with their records confirmed.
const ACTIVITY_MIX: &[(ActivityStatus, usize)] = &[
    (ActivityStatus::RecordsConfirmed, 84),
    (ActivityStatus::Published, 4),
    (ActivityStatus::Ended, 3),
    (ActivityStatus::Cancelled, 3),
    (ActivityStatus::RecruitmentClosed, 2),
    (ActivityStatus::Draft, 2),
    (ActivityStatus::PendingApproval, 2),
    (ActivityStatus::InProgress, 0),
];

/// Team names count up when a community has two teams in one area.
pub(super) const TEAM_ORDINALS: &[&str] = &["", "二", "三", "四"];
/// Start times of activities, China Standard Time; they last two and a half hours.
const ACTIVITY_STARTS: &[(u32, u32)] = &[(8, 30), (9, 0), (14, 30), (15, 0)];
const OUTDOOR_PLACES: &[&str] = &["小区中心广场", "社区文化广场", "小区东门", "辖区主干道沿线"];

fn area_label(area: VolunteerArea) -> &'static str {
    match area {
        VolunteerArea::ElderlyCareMedical => "助老医疗",
        VolunteerArea::PovertyRelief => "扶贫济困",
        VolunteerArea::DisputeMediation => "矛盾调解",
        VolunteerArea::LegalAid => "法律援助",
        VolunteerArea::CommunityActivities => "社区活动",
        VolunteerArea::EmploymentGuidance => "就业指导",
    }
}

/// The centre where an area's activities usually take place.
fn centre_for(area: VolunteerArea) -> CentreKind {
    match area {
        VolunteerArea::ElderlyCareMedical => CentreKind::ElderDayCare,
        VolunteerArea::PovertyRelief | VolunteerArea::EmploymentGuidance => CentreKind::Convenience,
        VolunteerArea::DisputeMediation | VolunteerArea::LegalAid => {
            CentreKind::ComprehensiveGovernance
        }
        VolunteerArea::CommunityActivities => CentreKind::Volunteer,
    }
}

fn activity_titles(area: VolunteerArea) -> &'static [&'static str] {
    match area {
        VolunteerArea::ElderlyCareMedical => &["义诊进社区", "为独居老人上门测血压", "助老理发日"],
        VolunteerArea::PovertyRelief => &["爱心超市物资发放", "困难家庭走访慰问", "旧衣物募集"],
        VolunteerArea::DisputeMediation => &["邻里纠纷调解开放日", "楼院议事会", "物业矛盾协调会"],
        VolunteerArea::LegalAid => &["法律知识讲座", "免费法律咨询", "防范电信诈骗宣传"],
        VolunteerArea::CommunityActivities => &["环境清洁日", "垃圾分类宣传", "文明交通劝导"],
        VolunteerArea::EmploymentGuidance => &["社区招聘会", "家政技能培训", "创业政策宣讲"],
    }
}

impl Seeder<'_> {
    pub(super) async fn volunteering(
        &mut self,
        base: Base<'_>,
        tally: &mut Tally,
    ) -> Result<Volunteers, DbErr> {
        self.out
            .stage("volunteer teams, activities and service records");
        let Base {
            structure,
            orgs,
            people,
            party,
        } = base;
        let mut rows = Volunteering {
            teams: Rows::new(),
            members: Rows::new(),
            activities: Rows::new(),
            signups: Rows::new(),
            records: Rows::new(),
            confirmed_records: 0,
        };
        let teams_of = partition(self.scale.volunteer_teams, structure.communities.len());
        let mut team_members = Vec::with_capacity(structure.communities.len());
        for (c, community) in structure.communities.iter().enumerate() {
            let mut crews = Vec::new();
            let teams: Vec<Team> = (0..teams_of[c].len())
                .map(|k| {
                    let crew = pick_ids(
                        &mut self.rng,
                        people.residents_of(community),
                        self.scale.team_size,
                    );
                    let owner = self.team_owner(orgs, c);
                    let team = self.team(&mut rows, community, owner, k, &crew);
                    crews.extend(crew);
                    team
                })
                .collect();
            let mut pool: Vec<i64> = party.by_community[c]
                .iter()
                .map(|member| member.person_id)
                .chain(crews.iter().copied())
                .collect();
            pool.sort_unstable();
            pool.dedup();
            let neighbourhood = Neighbourhood {
                index: c,
                community,
                pool: &pool,
                party,
            };
            for (status, day) in
                self.activity_calendar(teams.len() * self.scale.activities_per_team)
            {
                let team = &teams[self.rng.random_range(0..teams.len())];
                self.activity(&mut rows, &neighbourhood, team, status, day, tally);
                self.out.flush_when_full(&mut rows.tables()).await?;
            }
            crews.sort_unstable();
            crews.dedup();
            team_members.push(crews);
        }
        self.out.finish(&mut rows.tables()).await?;
        Ok(Volunteers { team_members })
    }

    /// A community's `k`-th team: the areas take turns, and the crew's first member leads it.
    fn team(
        &mut self,
        rows: &mut Volunteering,
        community: &Community,
        (organization_id, service_category): (i64, Option<ServiceCategory>),
        k: usize,
        crew: &[i64],
    ) -> Team {
        let areas: Vec<VolunteerArea> = VolunteerArea::iter().collect();
        let area = areas[k % areas.len()];
        let name = format!(
            "{}{}志愿服务{}队",
            community.unit.name,
            area_label(area),
            TEAM_ORDINALS[k / areas.len()]
        );
        let created_at = self.clock.start + hours(&mut self.rng, 0..=60 * 24);
        let community_id = community.unit.id;
        let id = rows
            .teams
            .add(|id| volunteer_team::Model {
                id,
                name: name.clone(),
                area,
                community_id,
                organization_id,
                leader_person_id: crew.first().copied(),
                status: TeamStatus::Active,
                created_at,
                updated_at: created_at,
            })
            .id;
        for (position, &person_id) in crew.iter().enumerate() {
            let role = match position {
                0 => TeamRole::Leader,
                1 => TeamRole::Deputy,
                _ => TeamRole::Member,
            };
            let joined_at = created_at + hours(&mut self.rng, 0..=30 * 24);
            rows.members.add(|member| team_member::Model {
                id: member,
                team_id: id,
                person_id,
                role,
                joined_at,
                left_at: None,
                updated_at: joined_at,
            });
        }
        Team {
            id,
            name,
            area,
            organization_id,
            service_category,
        }
    }

    /// Half of the teams belong to the community's own committee, the rest to partners.
    fn team_owner(
        &mut self,
        orgs: &Organizations,
        community: usize,
    ) -> (i64, Option<ServiceCategory>) {
        const PRESENT: &str = "every profile has partners of each kind";
        match self.rng.random_range(0..10) {
            0..=4 => (orgs.communities[community], None),
            5 | 6 => orgs
                .social
                .choose(&mut self.rng)
                .map(|&(id, category)| (id, Some(category)))
                .expect(PRESENT),
            7 | 8 => (
                *orgs.party_units.choose(&mut self.rng).expect(PRESENT),
                None,
            ),
            _ => (*orgs.businesses.choose(&mut self.rng).expect(PRESENT), None),
        }
    }

    /// When a community's `count` activities take place, as (status, day relative to today),
    /// oldest first.
    fn activity_calendar(&mut self, count: usize) -> Vec<(ActivityStatus, i64)> {
        let mut statuses = mix(&mut self.rng, count, ACTIVITY_MIX);
        // The most recent past activities are the ones whose records wait for confirmation.
        statuses.sort_by_key(|&status| status != ActivityStatus::Ended);
        let past = statuses
            .iter()
            .filter(|&&status| matches!(when(status), When::Past))
            .count();
        let window = usize::try_from(self.clock.history_days())
            .unwrap_or(0)
            .max(past);
        let mut past_days = index::sample(&mut self.rng, window, past).into_vec();
        past_days.sort_unstable();
        let mut past_days = past_days.into_iter().map(|day| -1 - day as i64);
        let mut calendar: Vec<(ActivityStatus, i64)> = statuses
            .into_iter()
            .map(|status| {
                let day = match when(status) {
                    When::Past => past_days
                        .next()
                        .expect("one day was drawn per past activity"),
                    When::Now => 0,
                    When::Ahead(days) => self.rng.random_range(days),
                };
                (status, day)
            })
            .collect();
        calendar.sort_by_key(|&(_, day)| day);
        calendar
    }

    fn schedule(&mut self, status: ActivityStatus, day: i64) -> Schedule {
        let now = self.clock.now;
        let (starts_at, ends_at) = if status == ActivityStatus::InProgress {
            (now - TimeDelta::hours(1), now + TimeDelta::hours(2))
        } else {
            let &(hour, minute) = ACTIVITY_STARTS
                .choose(&mut self.rng)
                .expect("the list is not empty");
            let starts_at = self.clock.local_time(day, hour, minute);
            (starts_at, starts_at + TimeDelta::minutes(150))
        };
        let closes = starts_at - TimeDelta::days(1);
        let signup_closes_at = if status == ActivityStatus::RecruitmentClosed {
            closes.min(now - TimeDelta::hours(1))
        } else {
            closes
        };
        let signup_opens_at = signup_closes_at - TimeDelta::days(13);
        let created_at =
            (signup_opens_at - days(&mut self.rng, 1..=5)).min(now - hours(&mut self.rng, 1..=48));
        let updated_at = match status {
            ActivityStatus::RecordsConfirmed => ends_at + TimeDelta::days(1),
            ActivityStatus::Ended => ends_at + TimeDelta::hours(1),
            ActivityStatus::InProgress => starts_at,
            ActivityStatus::Published => signup_opens_at,
            ActivityStatus::RecruitmentClosed => signup_closes_at,
            ActivityStatus::Cancelled => between(&mut self.rng, created_at, now),
            ActivityStatus::Draft | ActivityStatus::PendingApproval => created_at,
        };
        Schedule {
            starts_at,
            ends_at,
            signup_opens_at,
            signup_closes_at,
            created_at,
            updated_at,
        }
    }

    /// An activity with its sign-ups, and a service record for every checked-out attendance.
    fn activity(
        &mut self,
        rows: &mut Volunteering,
        neighbourhood: &Neighbourhood<'_>,
        team: &Team,
        status: ActivityStatus,
        day: i64,
        tally: &mut Tally,
    ) {
        let schedule = self.schedule(status, day);
        let community = neighbourhood.community;
        let (centre_id, outdoor) = if self.rng.random_bool(0.75) {
            (Some(community.centre(centre_for(team.area))), None)
        } else {
            let spot = OUTDOOR_PLACES
                .choose(&mut self.rng)
                .expect("the list is not empty");
            (None, Some(format!("{}{spot}", community.unit.name)))
        };
        let title = activity_titles(team.area)
            .choose(&mut self.rng)
            .expect("every area has titles");
        let capacity = self.rng.random_range(self.scale.activity_capacity.clone());
        let self_scheduling = self.rng.random_bool(0.4);
        let activity = rows
            .activities
            .add(|id| volunteer_activity::Model {
                id,
                organization_id: team.organization_id,
                team_id: Some(team.id),
                community_id: community.unit.id,
                title: (*title).to_owned(),
                description: Some(format!("由{}组织", team.name)),
                area: Some(team.area),
                service_category: team.service_category,
                centre_id,
                place: outdoor,
                starts_at: schedule.starts_at,
                ends_at: schedule.ends_at,
                signup_opens_at: schedule.signup_opens_at,
                signup_closes_at: schedule.signup_closes_at,
                capacity,
                self_scheduling,
                status,
                created_at: schedule.created_at,
                updated_at: schedule.updated_at,
            })
            .clone();
        for signup in self.signups(&activity, neighbourhood.pool) {
            let signup = rows
                .signups
                .add(|id| activity_signup::Model { id, ..signup });
            if let (SignupStatus::CheckedOut, Some(started_at), Some(ended_at)) =
                (signup.status, signup.checked_in_at, signup.checked_out_at)
            {
                let attendance = Attendance {
                    signup_id: signup.id,
                    person_id: signup.person_id,
                    started_at,
                    ended_at,
                };
                self.service_record(rows, neighbourhood, &activity, attendance, tally);
            }
        }
    }

    /// Sign-ups in the states the activity's status allows, by distinct people of the pool.
    fn signups(
        &mut self,
        activity: &volunteer_activity::Model,
        pool: &[i64],
    ) -> Vec<activity_signup::Model> {
        let statuses = self.signup_statuses(activity, pool.len());
        let people = pick(&mut self.rng, pool, statuses.len());
        let window_end = activity.signup_closes_at.min(self.clock.now);
        let mut signups = Vec::with_capacity(statuses.len());
        for (status, person_id) in statuses.into_iter().zip(people) {
            let created_at = between(&mut self.rng, activity.signup_opens_at, window_end);
            let checked_in_at =
                matches!(status, SignupStatus::CheckedIn | SignupStatus::CheckedOut)
                    .then(|| activity.starts_at + minutes(&mut self.rng, -15..=10));
            let checked_out_at = (status == SignupStatus::CheckedOut)
                .then(|| activity.ends_at + minutes(&mut self.rng, -10..=15));
            let updated_at = match status {
                SignupStatus::CheckedIn => checked_in_at,
                SignupStatus::CheckedOut => checked_out_at,
                SignupStatus::NoShow => Some(activity.ends_at + TimeDelta::hours(1)),
                SignupStatus::Cancelled => Some(between(&mut self.rng, created_at, window_end)),
                SignupStatus::Applied | SignupStatus::Approved | SignupStatus::Waitlisted => None,
            };
            signups.push(activity_signup::Model {
                id: 0,
                activity_id: activity.id,
                person_id,
                status,
                checked_in_at,
                checked_out_at,
                created_at,
                updated_at: updated_at.unwrap_or(created_at),
            });
        }
        signups
    }

    /// Holders of places (at most the capacity), then the waiting list when full, then a few
    /// who cancelled; never more than the pool has people.
    fn signup_statuses(
        &mut self,
        activity: &volunteer_activity::Model,
        pool: usize,
    ) -> Vec<SignupStatus> {
        let capacity = usize::try_from(activity.capacity).unwrap_or(0);
        let seats = capacity.min(pool);
        let holders = match activity.status {
            ActivityStatus::Draft | ActivityStatus::PendingApproval => return Vec::new(),
            ActivityStatus::Published | ActivityStatus::Cancelled => {
                self.rng.random_range(seats / 3..=seats)
            }
            _ => self.rng.random_range(seats * 3 / 4..=seats),
        };
        let mut statuses: Vec<SignupStatus> =
            (0..holders).map(|_| self.holder_status(activity)).collect();
        let recruiting = matches!(
            activity.status,
            ActivityStatus::Published | ActivityStatus::RecruitmentClosed
        );
        if recruiting && holders == capacity {
            statuses.extend(std::iter::repeat_n(
                SignupStatus::Waitlisted,
                self.rng.random_range(1..=2),
            ));
        }
        statuses.extend(std::iter::repeat_n(
            SignupStatus::Cancelled,
            self.rng.random_range(0..=2),
        ));
        statuses.truncate(pool);
        statuses
    }

    fn holder_status(&mut self, activity: &volunteer_activity::Model) -> SignupStatus {
        match activity.status {
            ActivityStatus::Published if !activity.self_scheduling && self.rng.random_bool(0.5) => {
                SignupStatus::Applied
            }
            ActivityStatus::Published | ActivityStatus::RecruitmentClosed => SignupStatus::Approved,
            ActivityStatus::InProgress if self.rng.random_bool(0.85) => SignupStatus::CheckedIn,
            ActivityStatus::InProgress => SignupStatus::Approved,
            ActivityStatus::Ended | ActivityStatus::RecordsConfirmed
                if self.rng.random_bool(0.92) =>
            {
                SignupStatus::CheckedOut
            }
            ActivityStatus::Ended | ActivityStatus::RecordsConfirmed => SignupStatus::NoShow,
            // A cancelled activity cancels its sign-ups (drafts have none).
            ActivityStatus::Cancelled | ActivityStatus::Draft | ActivityStatus::PendingApproval => {
                SignupStatus::Cancelled
            }
        }
    }

    /// The record of an attendance: pending until the organiser confirms the activity's records.
    /// Now and then a confirmed record is found too long and gets a compensating correction.
    fn service_record(
        &mut self,
        rows: &mut Volunteering,
        neighbourhood: &Neighbourhood<'_>,
        activity: &volunteer_activity::Model,
        attendance: Attendance,
        tally: &mut Tally,
    ) {
        let confirmed_at = (activity.status == ActivityStatus::RecordsConfirmed)
            .then(|| activity.ends_at + TimeDelta::days(1));
        let record = rows
            .records
            .add(|id| service_record::Model {
                id,
                person_id: attendance.person_id,
                organization_id: activity.organization_id,
                member_unit_id: neighbourhood
                    .party
                    .unit_of_person
                    .get(&attendance.person_id)
                    .copied(),
                community_id: activity.community_id,
                activity_id: Some(activity.id),
                signup_id: Some(attendance.signup_id),
                area: activity.area,
                started_at: attendance.started_at,
                ended_at: attendance.ended_at,
                minutes: i32::try_from((attendance.ended_at - attendance.started_at).num_minutes())
                    .expect("an attendance lasts a few hours"),
                status: if confirmed_at.is_some() {
                    RecordStatus::Confirmed
                } else {
                    RecordStatus::Pending
                },
                corrects_id: None,
                reason: None,
                confirmed_at,
                created_at: attendance.ended_at,
                updated_at: confirmed_at.unwrap_or(attendance.ended_at),
            })
            .clone();
        tally.record(neighbourhood.index, &record);
        let Some(confirmed_at) = confirmed_at else {
            return;
        };
        rows.confirmed_records += 1;
        let old_enough = record.ended_at < self.clock.now - TimeDelta::days(7);
        if rows.confirmed_records % CORRECTION_EVERY == 1 && old_enough {
            let corrected_at = confirmed_at + TimeDelta::days(2);
            let minutes = -self.rng.random_range(10..=30);
            let correction = rows.records.add(|id| service_record::Model {
                id,
                minutes,
                corrects_id: Some(record.id),
                reason: Some("签退时间晚于实际离开时间，核减相应时长".to_owned()),
                confirmed_at: Some(corrected_at),
                created_at: corrected_at,
                updated_at: corrected_at,
                ..record.clone()
            });
            tally.record(neighbourhood.index, correction);
        }
    }
}

/// A checked-out sign-up.
struct Attendance {
    signup_id: i64,
    person_id: i64,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
}
