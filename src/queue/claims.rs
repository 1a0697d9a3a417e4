//! Pure: how many shards one worker process should own and which ones to claim or release.
//!
//! Every worker consumes from `<prefix>.workers`, so that queue's consumer count is the number
//! of live workers `m`; each aims at `ceil(shards / m)` shards. Below it, a worker claims shards
//! nobody consumes; above it, it releases its highest-numbered extras. Since
//! `m * ceil(shards / m) >= shards`, no shard stays unclaimed once every worker is at or below
//! its target, and a worker at or below target never gives a shard away, so the assignment
//! settles (e.g. 8 shards on 3 workers: 3, 3, 2). The share is not always even: 8 shards on
//! 5 workers may settle as 2, 2, 2, 2, 0, so `amqp.shards` should be a multiple of the replica
//! count or several times it (README, Scaling). The I/O is in [`super::shards`].

use std::collections::BTreeSet;
use std::time::Duration;

/// Shards each of `members` workers aims at: `ceil(shards / members)` (`members` of 0 counts as 1).
pub fn target(shards: u16, members: u32) -> usize {
    let m = members.max(1) as usize;
    usize::from(shards).div_ceil(m)
}

/// What one worker does on one rebalance tick.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Shards to try to claim, in this order, until `want` of them succeed.
    pub candidates: Vec<u16>,
    /// How many more shards to claim.
    pub want: usize,
    /// Shards to release.
    pub release: Vec<u16>,
}

/// The plan for a worker that keeps `kept`, is already releasing `leaving`, sees `members`
/// live workers and `free` shards with no consumer. `offset` rotates the candidates (a random
/// number per tick), so workers short of shards do not all race for the same one first.
pub fn plan(shards: u16, members: u32, kept: &BTreeSet<u16>, leaving: &BTreeSet<u16>, free: &[u16], offset: usize) -> Plan {
    let target = target(shards, members);
    if kept.len() > target {
        return Plan { release: kept.iter().rev().take(kept.len() - target).copied().collect(), ..Plan::default() };
    }
    let mut candidates: Vec<u16> = free.iter().copied().filter(|k| *k < shards && !kept.contains(k) && !leaving.contains(k)).collect();
    candidates.sort_unstable();
    candidates.dedup();
    if !candidates.is_empty() {
        let n = candidates.len();
        candidates.rotate_left(offset % n);
    }
    Plan { want: target - kept.len(), candidates, release: Vec::new() }
}

/// `every` scaled by a factor in [0.75, 1.25) from `unit` in [0, 1): rebalance ticks of
/// processes started together drift apart instead of racing each other every time.
pub fn jittered(every: Duration, unit: f64) -> Duration {
    every.mul_f64(0.75 + 0.5 * unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[u16]) -> BTreeSet<u16> {
        v.iter().copied().collect()
    }

    #[test]
    fn target_is_the_ceiling_share() {
        assert_eq!(target(8, 3), 3);
        assert_eq!(target(8, 1), 8);
        assert_eq!(target(8, 0), 8);
        assert_eq!(target(2, 3), 1);
        assert_eq!(target(8, 4), 2);
    }

    #[test]
    fn a_worker_over_target_releases_its_highest_extras() {
        let p = plan(8, 3, &set(&[0, 1, 2, 3, 4, 5, 6, 7]), &set(&[]), &[], 0);
        assert_eq!(p.release, vec![7, 6, 5, 4, 3]);
        assert_eq!(p.want, 0);
        assert!(p.candidates.is_empty());
    }

    #[test]
    fn a_worker_under_target_claims_free_shards_it_neither_keeps_nor_is_releasing() {
        let p = plan(8, 2, &set(&[0, 1]), &set(&[2]), &[1, 2, 3, 5, 9], 1);
        assert_eq!(p.want, 2);
        assert_eq!(p.candidates, vec![5, 3], "rotated by the offset; 9 is out of range");
        assert!(p.release.is_empty());
    }

    #[test]
    fn at_target_nothing_changes() {
        let p = plan(8, 3, &set(&[0, 1, 2]), &set(&[]), &[7], 0);
        assert_eq!(p, Plan { candidates: vec![7], want: 0, release: vec![] });
    }

    /// Workers applying the plan in turn, claims succeeding only on unowned shards, settle with
    /// every shard owned exactly once and nobody over target, whatever the start.
    #[test]
    fn repeated_ticks_settle_on_a_full_assignment() {
        for members in 1..=5u32 {
            let shards = 8u16;
            let mut owned: Vec<BTreeSet<u16>> = vec![BTreeSet::new(); members as usize];
            owned[0] = (0..shards).collect();
            for tick in 0..20 {
                for w in 0..owned.len() {
                    let taken: BTreeSet<u16> = owned.iter().flatten().copied().collect();
                    let free: Vec<u16> = (0..shards).filter(|k| !taken.contains(k)).collect();
                    let p = plan(shards, members, &owned[w], &BTreeSet::new(), &free, tick + w);
                    for k in &p.release {
                        owned[w].remove(k);
                    }
                    for k in p.candidates.into_iter().take(p.want) {
                        owned[w].insert(k);
                    }
                }
            }
            let all: Vec<u16> = owned.iter().flatten().copied().collect();
            assert_eq!(all.len(), usize::from(shards), "{members} members: {owned:?}");
            assert_eq!(all.iter().copied().collect::<BTreeSet<_>>().len(), usize::from(shards));
            let t = target(shards, members);
            // The least any worker can be left with: what the others cannot hold at target.
            let floor = usize::from(shards).saturating_sub((members as usize - 1) * t);
            assert!(owned.iter().all(|o| o.len() <= t && o.len() >= floor), "{owned:?}");
        }
    }

    #[test]
    fn jitter_stays_within_a_quarter() {
        let every = Duration::from_secs(4);
        assert_eq!(jittered(every, 0.0), Duration::from_secs(3));
        assert!(jittered(every, 0.999) < Duration::from_secs(5));
        assert_eq!(jittered(every, 7.0), Duration::from_secs(5));
    }
}
