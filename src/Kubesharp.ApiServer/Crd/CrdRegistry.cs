using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Kubesharp.Api.Crd;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Rest;
using Kubesharp.Storage;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Crd;

/// <summary>
/// Keeps one API server's resource table in step with the CustomResourceDefinitions in storage, and does the work
/// of upstream apiextensions-apiserver's controllers on those CRDs: the naming controller (accepted names and
/// <c>NamesAccepted</c>), the establishing controller (<c>Established</c>) and the finalizer (on deletion, the custom
/// resources go, then the <c>customresourcecleanup.apiextensions.k8s.io</c> finalizer, then the CRD).
/// <para>
/// Contract. It learns CRDs only from the store (a list, then a watch of the CRD prefix), never from the requests
/// its server handles, so several API servers on one store agree. Every change publishes a new custom layer of
/// the table before the next status write, so that a server never reports <c>Established</c> for a kind it does
/// not serve yet. Status writes are compare-and-swap on the revision it read: when several servers race, one
/// write wins and the others see it through their watch. Each reconcile step makes at most one decision from
/// stored state, so the steps are idempotent and may repeat. Work that cannot finish (custom resources held by
/// their finalizers, a store fault) is retried on a periodic resync. One loop owns all state: the store watch
/// and the resync timer hand it work through one bounded channel (writers wait when it is full); background
/// faults are logged, never thrown.
/// </para>
/// </summary>
internal sealed partial class CrdRegistry : IAsyncDisposable
{
    public const string Prefix = "/registry/apiextensions.k8s.io/customresourcedefinitions/";

    private static readonly TimeSpan ResyncPeriod = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly IStore _store;
    private readonly ResourceTable _table;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Entry> _crds = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public CrdRegistry(IStore store, ResourceTable table, TimeProvider time, ILogger logger)
    {
        _store = store;
        _table = table;
        _time = time;
        _logger = logger;
    }

    private sealed record Entry(JsonObject Json, long ModRevision, CrdObject Crd, IReadOnlyList<ResourceInfo> Rows);

    private abstract record Item;

    private sealed record Change(WatchEvent Event) : Item;

    private sealed record Reset(ListResult List) : Item;

    private sealed record Tick : Item;

    /// <summary>Loads the CRDs in storage and serves them before returning, then follows changes in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var list = await _store.ListAsync(Prefix, 0, null, 0, cancellationToken);
        Load(list);
        Publish();
        _loop = Task.Run(() => RunAsync(list.Revision, _stop.Token), CancellationToken.None);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private void Load(ListResult list)
    {
        _crds.Clear();
        foreach (var kv in list.Items)
        {
            Apply(kv.Key, kv.Value, kv.ModRevision);
        }
    }

    private void Apply(string key, byte[] value, long modRevision)
    {
        var name = key[Prefix.Length..];
        try
        {
            var json = JsonNode.Parse(value)!.AsObject();
            var crd = CrdObject.Parse(json);
            _crds[name] = new Entry(json, modRevision, crd, CustomResourceInfo.Rows(crd));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            // A CRD that cannot be read serves nothing; it stays visible as an object.
            CrdLog.Unreadable(_logger, e, name);
            _crds.Remove(name);
        }
    }

    // Custom rows in discovery order: groups by name, versions by upstream's priority, resources by name.
    private void Publish()
    {
        var rows = _crds.Values.SelectMany(e => e.Rows)
            .OrderBy(r => r.Group, StringComparer.Ordinal)
            .ThenBy(r => r.Version, KubeVersionComparer.Instance)
            .ThenBy(r => r.Plural, StringComparer.Ordinal);
        _table.ReplaceCustom(rows);
    }

    private async Task RunAsync(long after, CancellationToken cancellationToken)
    {
        var inbox = Channel.CreateBounded<Item>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var pump = PumpAsync(after, inbox.Writer, cancellationToken);
        var ticker = TickAsync(inbox.Writer, cancellationToken);
        try
        {
            await ReconcileAllAsync(cancellationToken);
            while (await inbox.Reader.WaitToReadAsync(cancellationToken))
            {
                var changed = false;
                while (inbox.Reader.TryRead(out var item))
                {
                    switch (item)
                    {
                        case Change { Event: var e }:
                            if (e.Type == WatchEventType.Delete)
                            {
                                changed |= _crds.Remove(e.Kv.Key[Prefix.Length..]);
                            }
                            else
                            {
                                Apply(e.Kv.Key, e.Kv.Value, e.Kv.ModRevision);
                                changed = true;
                            }

                            break;
                        case Reset { List: var list }:
                            Load(list);
                            changed = true;
                            break;
                    }
                }

                if (changed)
                {
                    Publish();
                }

                await ReconcileAllAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(pump, ticker);
    }

    // Follows the CRD prefix; a compacted start relists (a Reset), a fault waits and resumes where it was.
    private async Task PumpAsync(long after, ChannelWriter<Item> inbox, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in _store.WatchAsync(Prefix, after, cancellationToken))
                {
                    after = e.Revision;
                    await inbox.WriteAsync(new Change(e), cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException e) when (e.Code == StoreErrorCode.Compacted)
            {
                try
                {
                    var list = await _store.ListAsync(Prefix, 0, null, 0, cancellationToken);
                    after = list.Revision;
                    await inbox.WriteAsync(new Reset(list), cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception inner)
                {
                    CrdLog.WatchFailed(_logger, inner);
                    await Delay(RetryDelay, cancellationToken);
                }
            }
            catch (Exception e)
            {
                CrdLog.WatchFailed(_logger, e);
                await Delay(RetryDelay, cancellationToken);
            }
        }
    }

    private async Task TickAsync(ChannelWriter<Item> inbox, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Delay(ResyncPeriod, cancellationToken);
            // A resync only needs to happen once: when the inbox is full, the loop is busy anyway.
            inbox.TryWrite(new Tick());
        }
    }

    private async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReconcileAllAsync(CancellationToken cancellationToken)
    {
        foreach (var name in _crds.Keys.ToList())
        {
            if (!_crds.TryGetValue(name, out var entry))
            {
                continue;
            }

            try
            {
                await ReconcileAsync(name, entry, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                CrdLog.ReconcileFailed(_logger, e, name);
            }
        }
    }

    private async Task ReconcileAsync(string name, Entry entry, CancellationToken cancellationToken)
    {
        var crd = entry.Crd;
        if (crd.Deleting)
        {
            if (crd.Finalizers.Contains(CrdObject.CleanupFinalizer))
            {
                await FinalizeAsync(name, entry, cancellationToken);
            }

            return;
        }

        // The naming controller: nothing to do once the requested names are the accepted ones.
        if (!crd.Names.SameAs(crd.AcceptedNames) || crd.Condition(CrdStatus.NamesAccepted) is null)
        {
            var naming = CrdStatus.CalculateNames(crd, _crds.Values.Select(e => e.Crd));
            var current = crd.Condition(CrdStatus.NamesAccepted);
            if (naming.Accepted.SameAs(crd.AcceptedNames) && current is not null && current.Status == naming.Status && current.Reason == naming.Reason && current.Message == naming.Message)
            {
                return;
            }

            var json = entry.Json.DeepClone().AsObject();
            var status = json["status"] as JsonObject ?? new JsonObject();
            json["status"] = status;
            status["acceptedNames"] = naming.Accepted.ToJson();
            var now = _time.GetUtcNow();
            CrdStatus.SetCondition(json, CrdStatus.NamesAccepted, naming.Status, naming.Reason, naming.Message, now);
            CrdStatus.SetCondition(json, CrdStatus.Established, naming.Established.Status, naming.Established.Reason, naming.Established.Message, now);
            await WriteAsync(name, entry, json, cancellationToken);
            return;
        }

        // The establishing controller. The table already serves the kind (rows exist once names are accepted).
        if (crd.IsTrue(CrdStatus.NamesAccepted) && !crd.IsTrue(CrdStatus.Established))
        {
            var json = entry.Json.DeepClone().AsObject();
            CrdStatus.SetCondition(json, CrdStatus.Established, "True", "InitialNamesAccepted", "the initial names have been accepted", _time.GetUtcNow());
            await WriteAsync(name, entry, json, cancellationToken);
        }
    }

    // Upstream's CRD finalizer: Terminating condition, delete every custom resource, then let the CRD go.
    private async Task FinalizeAsync(string name, Entry entry, CancellationToken cancellationToken)
    {
        var crd = entry.Crd;
        var terminating = crd.Condition(CrdStatus.Terminating);
        if (terminating is null || terminating.Status != "True" || terminating.Reason != "InstanceDeletionInProgress")
        {
            var marked = entry.Json.DeepClone().AsObject();
            CrdStatus.SetCondition(marked, CrdStatus.Terminating, "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress", _time.GetUtcNow());
            await WriteAsync(name, entry, marked, cancellationToken);
            return;
        }

        var json = entry.Json.DeepClone().AsObject();
        if (crd.IsTrue(CrdStatus.Established))
        {
            var remaining = await DeleteInstancesAsync(crd, cancellationToken);
            if (remaining > 0)
            {
                // Objects held by their own finalizers: the resync looks again, as upstream polls.
                CrdLog.Waiting(_logger, name, remaining);
                return;
            }

            CrdStatus.SetCondition(json, CrdStatus.Terminating, "False", "InstanceDeletionCompleted", "removed all instances", _time.GetUtcNow());
        }
        else
        {
            CrdStatus.SetCondition(json, CrdStatus.Terminating, "False", "NeverEstablished", "resource was never established", _time.GetUtcNow());
        }

        var meta = ObjectJson.Metadata(json);
        var finalizers = (meta["finalizers"] as JsonArray ?? []).Where(f => f?.GetValue<string>() != CrdObject.CleanupFinalizer).Select(f => f?.DeepClone()).ToArray();
        if (finalizers.Length > 0)
        {
            meta["finalizers"] = new JsonArray(finalizers);
            await WriteAsync(name, entry, json, cancellationToken);
            return;
        }

        // The last finalizer is gone from an object being deleted: the object goes (the generic registry's rule).
        meta.Remove("finalizers");
        var written = await _store.UpdateAsync(Prefix + name, ObjectJson.ToStorage(json), entry.ModRevision, null, cancellationToken);
        if (written.Status == WriteStatus.Ok)
        {
            await _store.DeleteAsync(Prefix + name, written.Revision, cancellationToken);
        }
    }

    /// <summary>Deletes (or, when their finalizers hold them, marks for deletion) every custom resource of <paramref name="crd"/>; returns how many remain.</summary>
    private async Task<int> DeleteInstancesAsync(CrdObject crd, CancellationToken cancellationToken)
    {
        var prefix = $"/registry/{crd.Group}/{crd.Names.Plural}/";
        var list = await _store.ListAsync(prefix, 0, null, 0, cancellationToken);
        var now = ObjectJson.Time(_time.GetUtcNow());
        foreach (var kv in list.Items)
        {
            var obj = JsonNode.Parse(kv.Value)!.AsObject();
            var meta = ObjectJson.Metadata(obj);
            if (meta["finalizers"] is JsonArray { Count: > 0 })
            {
                if (meta["deletionTimestamp"] is null)
                {
                    meta["deletionTimestamp"] = now;
                    meta["deletionGracePeriodSeconds"] = 0;
                    await _store.UpdateAsync(kv.Key, ObjectJson.ToStorage(obj), kv.ModRevision, null, cancellationToken);
                }
            }
            else
            {
                await _store.DeleteAsync(kv.Key, kv.ModRevision, cancellationToken);
            }
        }

        return (int)await _store.CountAsync(prefix, cancellationToken);
    }

    // A status write on the revision that was read; losing the race is fine: the watch brings the winner.
    private async Task WriteAsync(string name, Entry entry, JsonObject json, CancellationToken cancellationToken)
    {
        var result = await _store.UpdateAsync(Prefix + name, ObjectJson.ToStorage(json), entry.ModRevision, null, cancellationToken);
        if (result.Status != WriteStatus.Ok)
        {
            CrdLog.Lost(_logger, name, entry.ModRevision, result.Status);
        }
    }
}

internal static partial class CrdLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "customresourcedefinition {Name} cannot be read; it serves nothing")]
    public static partial void Unreadable(ILogger logger, Exception exception, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "watch of customresourcedefinitions failed; resuming")]
    public static partial void WatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "reconciling customresourcedefinition {Name} failed; retrying on the next resync")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "customresourcedefinition {Name}: waiting for {Remaining} custom resources held by finalizers")]
    public static partial void Waiting(ILogger logger, string name, int remaining);

    [LoggerMessage(Level = LogLevel.Debug, Message = "customresourcedefinition {Name}: status write at rv={ResourceVersion} not applied ({Outcome}); the watch brings the newer object")]
    public static partial void Lost(ILogger logger, string name, long resourceVersion, WriteStatus outcome);
}
