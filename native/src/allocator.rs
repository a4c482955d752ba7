//! How the process's allocator treats large buffers.

/// Keeps every allocation of 128 KiB or more in its own memory mapping, returned to the
/// system when freed. glibc otherwise raises that threshold each time such a buffer is freed,
/// after which every large buffer comes from the heap, is zeroed page by page even when
/// barely used, and stays resident after it is freed: thousands of connections would then
/// hold their whole buffers in memory instead of the few pages they use.
pub fn keep_large_buffers_mapped() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other
    // thread of the server allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
