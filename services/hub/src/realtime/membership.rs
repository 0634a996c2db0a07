//! The membership cache: the groups and contacts of every user connected to this node, and for each
//! group its members connected here. Dispatch checks group membership here, presence goes to the
//! contacts found here, and group fan-out finds its local recipients here.
//!
//! A user is held from the moment a connection is admitted until the last one closes. Their
//! memberships are loaded from PostgreSQL after the hold begins; control events that arrive in
//! between are kept and applied on top of what was loaded, so no API change is lost to that race.
//! Every change reports the [`Interest`] this node gained or lost, for a cluster bus to subscribe.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

use natter_db::memberships::Memberships;

use super::bus::{Control, Interest};

/// What a change did to this node's interest.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct InterestDelta {
    pub gained: Vec<Interest>,
    pub lost: Vec<Interest>,
}

/// Groups and contacts of the users connected here.
#[derive(Debug, Default)]
pub struct MembershipCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    users: HashMap<i64, Entry>,
    /// group → its members held here (loaded ones only).
    local_members: HashMap<i64, HashSet<i64>>,
}

#[derive(Debug)]
struct Entry {
    /// Admitted connections of the user (and admissions under way).
    holds: usize,
    view: View,
}

#[derive(Debug)]
enum View {
    /// Memberships are being loaded; control events meanwhile wait here.
    Loading(Vec<Control>),
    Ready(Memberships),
}

impl MembershipCache {
    /// Holds a user for one more connection; the first hold makes the user an interest.
    pub fn hold(&self, user: i64) -> Vec<Interest> {
        let mut state = self.state.lock().expect("membership lock");
        let entry = state.users.entry(user).or_insert(Entry {
            holds: 0,
            view: View::Loading(Vec::new()),
        });
        entry.holds += 1;
        if entry.holds == 1 {
            vec![Interest::User(user)]
        } else {
            Vec::new()
        }
    }

    /// Gives a held user what PostgreSQL says they belong to (ignored when already loaded: the cache
    /// is kept current by control events). Returns the groups this node now delivers to.
    pub fn fill(&self, user: i64, loaded: Memberships) -> Vec<Interest> {
        let mut state = self.state.lock().expect("membership lock");
        let State {
            users,
            local_members,
        } = &mut *state;
        let Some(entry) = users.get_mut(&user) else {
            return Vec::new();
        };
        let View::Loading(pending) = &mut entry.view else {
            return Vec::new();
        };
        let pending = std::mem::take(pending);
        let mut memberships = loaded;
        for event in pending {
            apply_to(&mut memberships, user, event);
        }
        let gained = memberships
            .groups
            .iter()
            .filter(|g| add_member(local_members, **g, user))
            .map(|g| Interest::Group(*g))
            .collect();
        entry.view = View::Ready(memberships);
        gained
    }

    /// Lets go of one hold; after the last, the user and the groups no one else here is in are lost.
    pub fn release(&self, user: i64) -> Vec<Interest> {
        let mut state = self.state.lock().expect("membership lock");
        let Some(entry) = state.users.get_mut(&user) else {
            return Vec::new();
        };
        entry.holds -= 1;
        if entry.holds > 0 {
            return Vec::new();
        }
        let entry = state.users.remove(&user).expect("entry present");
        let mut lost = vec![Interest::User(user)];
        if let View::Ready(memberships) = entry.view {
            for group in memberships.groups {
                if remove_member(&mut state.local_members, group, user) {
                    lost.push(Interest::Group(group));
                }
            }
        }
        lost
    }

    /// Applies a membership change to the users it concerns that are held here.
    pub fn apply(&self, event: Control) -> InterestDelta {
        let mut state = self.state.lock().expect("membership lock");
        let State {
            users,
            local_members,
        } = &mut *state;
        let mut delta = InterestDelta::default();
        for user in concerned(event) {
            let Some(entry) = users.get_mut(&user) else {
                continue;
            };
            match &mut entry.view {
                View::Loading(pending) => pending.push(event),
                View::Ready(memberships) => {
                    apply_to(memberships, user, event);
                    if let Control::Group { group, member, .. } = event {
                        let changed = if member {
                            add_member(local_members, group, user)
                        } else {
                            remove_member(local_members, group, user)
                        };
                        match (changed, member) {
                            (true, true) => delta.gained.push(Interest::Group(group)),
                            (true, false) => delta.lost.push(Interest::Group(group)),
                            _ => {}
                        }
                    }
                }
            }
        }
        delta
    }

    /// Whether a user held here belongs to the group (false when not held or not loaded yet).
    pub fn in_group(&self, user: i64, group: i64) -> bool {
        let state = self.state.lock().expect("membership lock");
        matches!(state.users.get(&user), Some(Entry { view: View::Ready(m), .. }) if m.groups.contains(&group))
    }

    /// The contacts of a user held here.
    pub fn contacts(&self, user: i64) -> Vec<i64> {
        let state = self.state.lock().expect("membership lock");
        match state.users.get(&user) {
            Some(Entry {
                view: View::Ready(m),
                ..
            }) => m.contacts.iter().copied().collect(),
            _ => Vec::new(),
        }
    }

    /// The members of a group held here.
    pub fn local_members(&self, group: i64) -> Vec<i64> {
        let state = self.state.lock().expect("membership lock");
        state
            .local_members
            .get(&group)
            .map(|set| set.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// The users an event may change.
fn concerned(event: Control) -> Vec<i64> {
    match event {
        Control::Group { user, .. } => vec![user],
        Control::Contact { a, b, .. } => vec![a, b],
    }
}

fn apply_to(memberships: &mut Memberships, user: i64, event: Control) {
    match event {
        Control::Group {
            group,
            member: true,
            ..
        } => _ = memberships.groups.insert(group),
        Control::Group {
            group,
            member: false,
            ..
        } => _ = memberships.groups.remove(&group),
        Control::Contact { a, b, linked } => {
            let other = if a == user { b } else { a };
            if linked {
                memberships.contacts.insert(other);
            } else {
                memberships.contacts.remove(&other);
            }
        }
    }
}

/// Adds `user` to the group's local members; true when the group had none here before.
fn add_member(index: &mut HashMap<i64, HashSet<i64>>, group: i64, user: i64) -> bool {
    let members = index.entry(group).or_default();
    members.insert(user) && members.len() == 1
}

/// Removes `user` from the group's local members; true when none is left here.
fn remove_member(index: &mut HashMap<i64, HashSet<i64>>, group: i64, user: i64) -> bool {
    let Some(members) = index.get_mut(&group) else {
        return false;
    };
    if !members.remove(&user) || !members.is_empty() {
        return false;
    }
    index.remove(&group);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(groups: &[i64], contacts: &[i64]) -> Memberships {
        Memberships {
            groups: groups.iter().copied().collect(),
            contacts: contacts.iter().copied().collect(),
        }
    }

    #[test]
    fn a_change_made_while_loading_is_applied_on_top_of_what_was_loaded() {
        let cache = MembershipCache::default();
        assert_eq!(cache.hold(1), [Interest::User(1)]);
        // The join commits after the load read the database, before the cache was filled.
        cache.apply(Control::Group {
            user: 1,
            group: 10,
            member: true,
        });
        cache.apply(Control::Group {
            user: 1,
            group: 11,
            member: false,
        });
        let gained = cache.fill(1, loaded(&[11], &[]));
        assert_eq!(gained, [Interest::Group(10)]);
        assert!(cache.in_group(1, 10) && !cache.in_group(1, 11));
    }

    #[test]
    fn groups_are_interests_while_a_member_is_held_here() {
        let cache = MembershipCache::default();
        cache.hold(1);
        cache.fill(1, loaded(&[10], &[]));
        cache.hold(2);
        assert_eq!(cache.fill(2, loaded(&[10, 12], &[])), [Interest::Group(12)]);
        let mut members = cache.local_members(10);
        members.sort_unstable();
        assert_eq!(members, [1, 2]);
        assert_eq!(cache.release(1), [Interest::User(1)]);
        let mut lost = cache.release(2);
        lost.sort_by_key(|i| format!("{i:?}"));
        assert_eq!(
            lost,
            [Interest::Group(10), Interest::Group(12), Interest::User(2)]
        );
        assert!(cache.local_members(10).is_empty());
    }

    #[test]
    fn join_leave_and_contacts_change_the_held_users_only() {
        let cache = MembershipCache::default();
        cache.hold(1);
        cache.fill(1, loaded(&[], &[]));
        let joined = cache.apply(Control::Group {
            user: 1,
            group: 5,
            member: true,
        });
        assert_eq!(joined.gained, [Interest::Group(5)]);
        assert!(cache.in_group(1, 5));
        let left = cache.apply(Control::Group {
            user: 1,
            group: 5,
            member: false,
        });
        assert_eq!(left.lost, [Interest::Group(5)]);
        cache.apply(Control::Contact {
            a: 2,
            b: 1,
            linked: true,
        });
        assert_eq!(cache.contacts(1), [2]);
        assert!(cache.contacts(2).is_empty(), "user 2 is not held here");
        assert_eq!(cache.hold(1), [], "a second connection adds no interest");
        assert_eq!(cache.release(1), []);
    }
}
