using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Cache;
using Kubesharp.ApiServer.Crd;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

/// <summary>LIST and WATCH served from the watch cache, as upstream's cacher decides.</summary>
internal sealed partial class RestHandler
{
    /// <summary>How long a list or watch waits for the cache to reach a requested version (upstream: 3 s).</summary>
    private static readonly TimeSpan CacheWaitTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How often a watch that allows bookmarks gets one (upstream: about every minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    private async Task ListAsync(HttpContext context, ResourceInfo resource, string? ns)
    {
        var query = context.Request.Query;
        var limit = ParseLong(query["limit"], "limit");
        var continueToken = query["continue"].ToString() is { Length: > 0 } c ? c : null;
        var rv = query["resourceVersion"].ToString();
        var match = query["resourceVersionMatch"].ToString();
        ValidateListOptions(rv, match, continueToken);
        var filter = ObjectFilter.FromQuery(query, resource);

        // As upstream's cacher: pages, continuations and exact versions are the store's to answer.
        if (continueToken is not null || match == "Exact" || (limit > 0 && rv != "0"))
        {
            var revision = match == "Exact" ? ParseLong(query["resourceVersion"], "resourceVersion") : 0;
            await ListFromStoreAsync(context, resource, ns, filter, limit, continueToken, revision);
            return;
        }

        if (!await WaitForCacheAsync(rv, context.RequestAborted))
        {
            // The cache did not catch up in time (a stalled storage watch): read the store instead.
            await ListFromStoreAsync(context, resource, ns, filter, 0, null, 0);
            return;
        }

        var cache = await watchCache.GetAsync(resource.StoragePrefix, resource.FieldSelectors, context.RequestAborted);
        var seen = watchCache.Revision;
        var (all, cacheRevision) = cache.Snapshot();
        var items = Range(all, resource.StoragePrefixFor(ns));
        var revisionText = Math.Max(seen, cacheRevision).ToString(CultureInfo.InvariantCulture);
        if (TableOutput.Wanted(context.Request))
        {
            var objects = new List<System.Text.Json.Nodes.JsonObject>();
            foreach (var item in items)
            {
                if (filter.Matches(item, resource.FieldSelectors))
                {
                    objects.Add(System.Text.Json.Nodes.JsonNode.Parse(resource.ForRead(item.Json))!.AsObject());
                }
            }

            await WriteTableAsync(context, resource, objects, revisionText, null);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var pipe = context.Response.BodyWriter;
        pipe.Write("{\"kind\":\""u8);
        pipe.Write(System.Text.Encoding.UTF8.GetBytes(resource.ListKind));
        pipe.Write("\",\"apiVersion\":\""u8);
        pipe.Write(System.Text.Encoding.UTF8.GetBytes(resource.GroupVersion));
        pipe.Write("\",\"metadata\":{\"resourceVersion\":\""u8);
        pipe.Write(System.Text.Encoding.UTF8.GetBytes(revisionText));
        pipe.Write("\"},\"items\":["u8);
        var first = true;
        var pending = 0;
        foreach (var item in items)
        {
            if (!filter.Matches(item, resource.FieldSelectors))
            {
                continue;
            }

            if (!first)
            {
                pipe.Write(","u8);
            }

            first = false;
            var json = resource.ForRead(item.Json);
            pipe.Write(json);
            pending += json.Length;
            if (pending >= 256 * 1024)
            {
                await pipe.FlushAsync(context.RequestAborted);
                pending = 0;
            }
        }

        pipe.Write("]}"u8);
        await pipe.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Waits until the cache covers what a request with <paramref name="rv"/> must see: for "" the
    /// store's current revision (a consistent read), for N at least N; "0" takes the cache as it is.
    /// False when "" could not be served in time; a too-large N is a 504 as upstream.
    /// </summary>
    private async ValueTask<bool> WaitForCacheAsync(string rv, CancellationToken cancellationToken)
    {
        switch (rv)
        {
            case "0":
                return true;
            case "":
                var current = await store.GetCurrentRevisionAsync(cancellationToken);
                return await watchCache.WaitForRevisionAsync(current, CacheWaitTimeout, cancellationToken);
            default:
                var wanted = ParseLong(rv, "resourceVersion");
                if (!await watchCache.WaitForRevisionAsync(wanted, CacheWaitTimeout, cancellationToken))
                {
                    throw TooLargeResourceVersion(rv);
                }

                return true;
        }
    }

    private StatusException TooLargeResourceVersion(string rv) =>
        new(HttpStatusCode.GatewayTimeout, "Timeout", $"Too large resource version: {rv}, current: {watchCache.Revision}");

    /// <summary>Upstream's ListOptions validation: 422 with kind ListOptions in meta.k8s.io.</summary>
    private static void ValidateListOptions(string rv, string match, string? continueToken)
    {
        StatusCause? cause = match switch
        {
            "" => null,
            not ("NotOlderThan" or "Exact") => new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{match}\": supported values: \"Exact\", \"NotOlderThan\", \"\"", "resourceVersionMatch"),
            _ when continueToken is not null => new StatusCause("FieldValueForbidden", "Forbidden: resourceVersionMatch is forbidden when continue is provided", "resourceVersionMatch"),
            _ when rv.Length == 0 => new StatusCause("FieldValueForbidden", "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided", "resourceVersionMatch"),
            "Exact" when rv == "0" => new StatusCause("FieldValueForbidden", "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"", "resourceVersionMatch"),
            _ => null,
        };
        if (cause is not null)
        {
            throw StatusException.Invalid("meta.k8s.io", "ListOptions", "", [cause]);
        }
    }

    /// <summary>The objects of a sorted snapshot under <paramref name="prefix"/> (one namespace, or all).</summary>
    private static ArraySegment<CachedObject> Range(CachedObject[] sorted, string prefix)
    {
        var start = LowerBound(sorted, prefix);
        var end = start;
        while (end < sorted.Length && sorted[end].Key.StartsWith(prefix, StringComparison.Ordinal))
        {
            end++;
        }

        return new ArraySegment<CachedObject>(sorted, start, end - start);
    }

    private static int LowerBound(CachedObject[] sorted, string key)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(sorted[mid].Key, key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>
    /// A watch stream from the cache: one compact JSON event per line. Without a resourceVersion (or
    /// "0", or with sendInitialEvents) the current objects come first as ADDED; otherwise the events after
    /// the version, from the cache's window or, when it no longer reaches back, from the store's history.
    /// Each batch of events is written and flushed at once; every line is serialised once per event and
    /// shared by all watchers.
    /// </summary>
    private async Task WatchAsync(HttpContext context, ResourceInfo resource, string? ns)
    {
        var query = context.Request.Query;
        var rv = query["resourceVersion"].ToString();
        var timeout = ParseLong(query["timeoutSeconds"], "timeoutSeconds");
        var sendInitialEvents = query["sendInitialEvents"].ToString() is "true" or "1";
        var filter = ObjectFilter.FromQuery(query, resource);
        var request = new WatchRequest(
            rv,
            filter,
            TableOutput.Wanted(context.Request) ? new WatchTable(resource, query["includeObject"].ToString(), time) : null,
            query["allowWatchBookmarks"].ToString() is "true" or "1");
        long after = 0;
        if (rv is not ("" or "0"))
        {
            after = ParseLong(query["resourceVersion"], "resourceVersion");
        }

        if (sendInitialEvents && query["resourceVersionMatch"].ToString() != "NotOlderThan")
        {
            throw StatusException.Invalid("meta.k8s.io", "ListOptions", "", [new StatusCause("FieldValueForbidden", "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", "sendInitialEvents")]);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, Stopping);
        if (timeout > 0)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(timeout));
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = request.Table is null ? "application/json" : TableOutput.ContentType;
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        var pipe = context.Response.BodyWriter;
        var prefix = resource.StoragePrefixFor(ns);
        long sent = 0;
        try
        {
            if (rv is not ("" or "0") && !await watchCache.WaitForRevisionAsync(after, CacheWaitTimeout, stop.Token))
            {
                await WriteErrorEventAsync(context.Response.Body, TooLargeResourceVersion(rv), context.RequestAborted);
                return;
            }

            if (rv == "")
            {
                await WaitForCacheAsync(rv, stop.Token);
            }

            var cache = await watchCache.GetAsync(resource.StoragePrefix, resource.FieldSelectors, stop.Token);
            long cursor;
            if (rv is "" or "0" || sendInitialEvents)
            {
                var seen = watchCache.Revision;
                var (all, cacheRevision, start) = cache.SnapshotForWatch();
                cursor = start;
                sent = Math.Max(seen, cacheRevision);
                foreach (var item in Range(all, prefix))
                {
                    if (filter.Matches(item, resource.FieldSelectors))
                    {
                        WriteCachedEvent(pipe, resource, request, WatchEventKind.Added, item, null);
                    }
                }

                if (sendInitialEvents && request.Bookmarks)
                {
                    WriteBookmark(pipe, resource, sent, initialEventsEnd: true);
                }
            }
            else if (!cache.TryFindCursor(after, out cursor))
            {
                // Older than the cache's window: the store's history may still hold it (else 410 there).
                await WatchFromStoreAsync(context, resource, ns, request, stop);
                return;
            }
            else
            {
                sent = after;
            }

            await pipe.FlushAsync(stop.Token);
            await StreamCacheEventsAsync(pipe, resource, prefix, request, cache, cursor, sent, s => sent = s, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // timeoutSeconds ran out, the client went away, or the server is stopping: end the stream cleanly.
            // When the time ran out, a BOOKMARK first gives the client the newest version this watch
            // covered (everything up to it was sent), so that its next watch resumes from there.
            if (request.Bookmarks && sent > 0 && !context.RequestAborted.IsCancellationRequested && !Stopping.IsCancellationRequested)
            {
                WriteBookmark(pipe, resource, sent, initialEventsEnd: false);
                await pipe.FlushAsync(context.RequestAborted);
            }
        }
    }

    private async Task StreamCacheEventsAsync(
        System.IO.Pipelines.PipeWriter pipe,
        ResourceInfo resource,
        string prefix,
        WatchRequest request,
        ResourceCache cache,
        long cursor,
        long sent,
        Action<long> reportSent,
        CancellationToken cancellationToken)
    {
        var batch = new List<CacheEvent>(256);
        var nextBookmark = time.GetUtcNow() + BookmarkInterval;
        while (true)
        {
            // Read the cache's revision before draining: once drained, every event up to it was sent.
            var seen = watchCache.Revision;
            batch.Clear();
            if (!cache.Read(ref cursor, batch, 256))
            {
                // Fell behind the event window: end the stream; the client watches again from what it saw.
                return;
            }

            if (batch.Count > 0)
            {
                foreach (var e in batch)
                {
                    if (!e.Object.Key.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (Transition(request.Filter, resource, e) is { } kind)
                    {
                        WriteCachedEvent(pipe, resource, request, kind, e.Object, e);
                    }
                }

                sent = Math.Max(sent, batch[^1].Revision);
                reportSent(sent);
                await pipe.FlushAsync(cancellationToken);
                continue;
            }

            if (cache.Closed)
            {
                return;
            }

            sent = Math.Max(sent, seen);
            reportSent(sent);
            var now = time.GetUtcNow();
            if (request.Bookmarks && now >= nextBookmark)
            {
                WriteBookmark(pipe, resource, sent, initialEventsEnd: false);
                await pipe.FlushAsync(cancellationToken);
                nextBookmark = now + BookmarkInterval;
            }

            var changed = cache.WaitAsync(cursor);
            if (request.Bookmarks)
            {
                await Task.WhenAny(changed, Task.Delay(nextBookmark - now, time, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
            }
            else
            {
                await changed.WaitAsync(cancellationToken);
            }
        }
    }

    /// <summary>
    /// The event a watcher with <paramref name="filter"/> sees: an object that starts matching is ADDED,
    /// one that stops is DELETED, one that never matched is not sent, as upstream.
    /// </summary>
    private static WatchEventKind? Transition(ObjectFilter filter, ResourceInfo resource, CacheEvent e)
    {
        if (filter.IsEmpty)
        {
            return e.IsDelete ? WatchEventKind.Deleted : e.Previous is null ? WatchEventKind.Added : WatchEventKind.Modified;
        }

        var nowMatches = !e.IsDelete && filter.Matches(e.Object, resource.FieldSelectors);
        var wasMatching = e.Previous is not null && filter.Matches(e.Previous, resource.FieldSelectors);
        return (e.IsDelete, nowMatches, wasMatching) switch
        {
            (true, _, true) => WatchEventKind.Deleted,
            (false, true, true) => WatchEventKind.Modified,
            (false, true, false) => WatchEventKind.Added,
            (false, false, true) => WatchEventKind.Deleted,
            _ => null,
        };
    }

    private static readonly string[] EventTypes = ["ADDED", "MODIFIED", "DELETED"];

    private static void WriteCachedEvent(IBufferWriter<byte> pipe, ResourceInfo resource, WatchRequest request, WatchEventKind kind, CachedObject obj, CacheEvent? e)
    {
        // A custom resource served in another version than it is stored in gets its apiVersion rewritten.
        var json = resource.ForRead(obj.Json);
        if (request.Table is null)
        {
            if (e is not null && ReferenceEquals(json, obj.Json))
            {
                pipe.Write(e.Line(kind));
                return;
            }

            // The initial state, or a version rewritten for this watcher: nobody else sends these bytes.
            CacheEvent.WriteLine(pipe, kind, json);
            return;
        }

        using (var w = new Utf8JsonWriter(pipe))
        {
            w.WriteStartObject();
            w.WriteString("type", EventTypes[(int)kind]);
            w.WritePropertyName("object");
            request.Table.Write(w, System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject());
            w.WriteEndObject();
        }

        pipe.Write(Newline);
    }

    private static void WriteBookmark(IBufferWriter<byte> pipe, ResourceInfo resource, long revision, bool initialEventsEnd)
    {
        using (var w = new Utf8JsonWriter(pipe))
        {
            w.WriteStartObject();
            w.WriteString("type", "BOOKMARK");
            w.WriteStartObject("object");
            w.WriteString("kind", resource.Kind);
            w.WriteString("apiVersion", resource.GroupVersion);
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", revision.ToString(CultureInfo.InvariantCulture));
            if (initialEventsEnd)
            {
                w.WriteStartObject("annotations");
                w.WriteString("k8s.io/initial-events-end", "true");
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        pipe.Write(Newline);
    }

    /// <summary>What a watch asked for.</summary>
    private sealed record WatchRequest(string ResourceVersion, ObjectFilter Filter, WatchTable? Table, bool Bookmarks);
}
