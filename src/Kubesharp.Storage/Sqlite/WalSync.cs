using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kubesharp.Storage.Sqlite;

/// <summary>
/// Makes a committed transaction durable with one fdatasync(2) of the write-ahead log.
/// </summary>
/// <remarks>
/// The SQLite that Microsoft.Data.Sqlite bundles (e_sqlite3) is built without HAVE_FDATASYNC, so with
/// synchronous=FULL every commit costs an fsync(2), which on ext4 also journals the WAL's timestamps:
/// measured here at about twice an fdatasync. So the store runs synchronous=NORMAL (SQLite syncs only
/// around checkpoints) and syncs the WAL itself after each group commit, before acknowledging it: the
/// same guarantee as FULL (every acknowledged transaction's frames are on disk), at the cost of one
/// fdatasync per batch. The WAL keeps its inode while the store is open (SQLite truncates it in place),
/// so one handle serves for the store's lifetime. See docs/adr/0002.
/// </remarks>
internal sealed partial class WalSync : IDisposable
{
    private readonly string _walPath;
    private SafeFileHandle? _handle;

    public WalSync(string databasePath) => _walPath = databasePath + "-wal";

    public void Sync()
    {
        _handle ??= File.OpenHandle(_walPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (Fdatasync((int)_handle.DangerousGetHandle()) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fdatasync of {_walPath} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    public void Dispose() => _handle?.Dispose();

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);
}
