//! How the process gives memory back to the system.
//!
//! Uploads and decodes allocate buffers of several MiB. glibc raises its mmap threshold after the
//! first large free and then keeps such buffers in per-thread arenas, so the RSS stays at the
//! busiest moment's peak plus fragmentation. A fixed threshold gives every large buffer back when
//! it is freed (measured by `scripts/bench-upload`: 348 MiB peak instead of 598 MiB).

/// Serves allocations of `threshold` bytes or more from their own memory maps; 0 changes nothing.
/// Returns whether the setting was applied (only glibc has it).
pub fn return_large_buffers(threshold: usize) -> bool {
    if threshold == 0 {
        return false;
    }
    apply(threshold)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn apply(threshold: usize) -> bool {
    let Ok(value) = libc::c_int::try_from(threshold) else {
        return false;
    };
    // SAFETY: mallopt only changes an allocator tunable; it is called once at start-up, before
    // the runtime's threads exist, and any threshold value is valid (glibc clamps it).
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, value) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply(_threshold: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_leaves_the_allocator_alone() {
        assert!(!return_large_buffers(0));
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn glibc_takes_the_threshold() {
        assert!(return_large_buffers(1024 * 1024));
    }
}
