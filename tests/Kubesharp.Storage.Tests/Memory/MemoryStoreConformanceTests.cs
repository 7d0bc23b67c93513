using Kubesharp.Storage.Memory;
using Kubesharp.Storage.Tests.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Storage.Tests.Memory;

public sealed class MemoryStoreConformanceTests : StoreConformanceTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture));
    private MemoryStore? _memory;

    protected override Task<IStore> CreateStoreAsync()
    {
        _memory = new MemoryStore(_time);
        return Task.FromResult<IStore>(_memory);
    }

    protected override async Task AdvanceTimeAsync(TimeSpan by)
    {
        _time.Advance(by);
        await _memory!.ExpireDueAsync();
    }
}
