namespace Kubesharp.Storage.Sqlite;

/// <summary>How a commit reaches the disk. See docs/adr/0002-sqlite-durability.md.</summary>
public enum SqliteDurability
{
    /// <summary>Every group commit's WAL frames are fdatasynced before it is acknowledged; survives process kill and power loss.</summary>
    Full,
    /// <summary>WAL with synchronous=NORMAL: survives a process kill; a power loss may drop the last commits (never corrupts).</summary>
    Normal,
}

/// <summary>Settings of the embedded SQLite store.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>The database file, normally <c>&lt;data-dir&gt;/db/state.db</c>. Its directory is created if missing.</summary>
    public required string Path { get; init; }

    public SqliteDurability Durability { get; init; } = SqliteDurability.Full;

    /// <summary>Most writes committed in one transaction (group commit).</summary>
    public int MaxBatch { get; init; } = 1024;

    /// <summary>Writes waiting for the writer before callers wait too (back-pressure).</summary>
    public int QueueCapacity { get; init; } = 16 * 1024;

    /// <summary>Recent events kept in memory for watchers; a watcher further behind reads the file.</summary>
    public int WatchCacheEvents { get; init; } = 8192;

    /// <summary>Revisions of history kept by the background compaction.</summary>
    public long KeepRevisions { get; init; } = 10_000;

    /// <summary>How often the background compaction runs; zero turns it off.</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// WAL pages after which the writer copies the WAL back into the database (SQLite's
    /// wal_autocheckpoint). Larger: fewer, better-deduplicated checkpoints and a larger WAL file.
    /// </summary>
    public int CheckpointPages { get; init; } = 4096;

    /// <summary>Revisions removed per compaction transaction, so writers never wait long behind it.</summary>
    public int CompactionChunk { get; init; } = 2000;
}
