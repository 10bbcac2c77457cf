// These tests play the Linux shim (POSIX shared memory under /dev/shm, Unix sockets); the Windows
// mapping and pipe code is compile-checked by the win-x64 host build instead.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
