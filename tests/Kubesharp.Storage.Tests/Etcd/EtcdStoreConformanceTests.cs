using Kubesharp.Storage.Etcd;
using Kubesharp.Storage.Tests.Conformance;

namespace Kubesharp.Storage.Tests.Etcd;

/// <summary>The conformance suite against a real etcd; each test works under its own prefix of one member.</summary>
public sealed class EtcdStoreConformanceTests(EtcdFixture fixture) : StoreConformanceTests, IClassFixture<EtcdFixture>
{
    // A few hundred KB of events: several times the stream's HTTP/2 window and etcd's per-watcher buffer, so etcd
    // parks the unread watcher and later catches it up from history; 5000 only makes the test slower.
    protected override int SlowWatcherWrites => 2000;

    protected override Task<IStore> CreateStoreAsync() =>
        Task.FromResult<IStore>(new EtcdStore(new EtcdStoreOptions { Endpoints = fixture.Etcd.Endpoint }));

    // etcd leases run out in real time; the tests then wait for the delete through a watch, with timeouts.
    protected override Task AdvanceTimeAsync(TimeSpan by) => Task.Delay(by);
}
