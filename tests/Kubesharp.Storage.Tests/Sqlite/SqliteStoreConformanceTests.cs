using Kubesharp.Storage.Sqlite;
using Kubesharp.Storage.Tests.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Storage.Tests.Sqlite;

public sealed class SqliteStoreConformanceTests : StoreConformanceTests
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture));
    private SqliteStore? _sqlite;

    // A small in-memory ring, so the slow-watcher test really reads its catch-up from the file.
    protected override async Task<IStore> CreateStoreAsync()
    {
        _sqlite = await SqliteStore.OpenAsync(new SqliteStoreOptions
        {
            Path = _dir.File("state.db"),
            WatchCacheEvents = 64,
            CompactionInterval = TimeSpan.Zero,
        }, _time);
        return _sqlite;
    }

    protected override int SlowWatcherWrites => 1500;

    protected override async Task AdvanceTimeAsync(TimeSpan by)
    {
        _time.Advance(by);
        await _sqlite!.ExpireDueAsync();
    }

    protected override Task CompactionFinishedAsync(long revision) => PhysicalCompaction.WaitAsync(_dir.File("state.db"), _sqlite!, revision);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }
}
