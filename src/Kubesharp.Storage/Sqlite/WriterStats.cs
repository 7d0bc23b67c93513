using System.Diagnostics;

namespace Kubesharp.Storage.Sqlite;

/// <summary>
/// Counters of the SQLite writer (updated by the writer alone, read by anyone): how well group commit
/// is grouping, and where a batch's time goes.
/// </summary>
public sealed class WriterStats
{
    private long _batches;
    private long _writes;
    private long _applyTicks;
    private long _commitTicks;

    public long Batches => Volatile.Read(ref _batches);

    public long Writes => Volatile.Read(ref _writes);

    public double AverageBatch => Batches == 0 ? 0 : (double)Writes / Batches;

    public TimeSpan ApplyTime => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _applyTicks));

    public TimeSpan CommitTime => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _commitTicks));

    internal void Record(int writes, long applyTicks, long commitTicks)
    {
        Volatile.Write(ref _batches, _batches + 1);
        Volatile.Write(ref _writes, _writes + writes);
        Volatile.Write(ref _applyTicks, _applyTicks + applyTicks);
        Volatile.Write(ref _commitTicks, _commitTicks + commitTicks);
    }

    public override string ToString() =>
        $"{Batches} batches, {AverageBatch:0.0} writes/batch, apply {ApplyTime.TotalMilliseconds / Math.Max(1, Batches):0.000} ms/batch, commit {CommitTime.TotalMilliseconds / Math.Max(1, Batches):0.000} ms/batch";
}
