using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Crd;
using Kubesharp.ApiServer.Http;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

internal sealed partial class RestHandler
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    /// <summary>A list read from the store: pages (limit, continue), exact versions, and the cache's fallback.</summary>
    private async Task ListFromStoreAsync(HttpContext context, ResourceInfo resource, string? ns, ObjectFilter filter, long limit, string? continueToken, long revision)
    {
        ListResult page;
        try
        {
            page = await store.ListAsync(resource.StoragePrefixFor(ns), limit, continueToken, revision, context.RequestAborted);
        }
        catch (StoreException e) when (e.Code == StoreErrorCode.InvalidArgument && continueToken is not null)
        {
            throw StatusException.BadRequest($"invalid continue token: {e.Message}");
        }
        catch (StoreException e) when (e.Code == StoreErrorCode.Compacted && continueToken is not null)
        {
            throw StatusException.Gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
        }

        var matching = page.Items.Where(kv => filter.Matches(kv.Value));
        var revisionText = page.Revision.ToString(CultureInfo.InvariantCulture);
        if (TableOutput.Wanted(context.Request))
        {
            await WriteTableAsync(context, resource, matching.Select(kv => ObjectJson.FromStorage(resource.ForRead(kv.Value), kv.ModRevision)), revisionText, page.Continue);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteString("kind", resource.ListKind);
        w.WriteString("apiVersion", resource.GroupVersion);
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", revisionText);
        if (page.Continue is not null)
        {
            w.WriteString("continue", page.Continue);
        }

        if (page.RemainingItemCount is { } remaining && filter.IsEmpty)
        {
            w.WriteNumber("remainingItemCount", remaining);
        }

        w.WriteEndObject();
        w.WriteStartArray("items");
        foreach (var kv in matching)
        {
            w.WriteRawValue(ObjectJson.WithResourceVersion(resource.ForRead(kv.Value), kv.ModRevision), skipInputValidation: true);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// A watch stream: one compact JSON event per line, flushed per event. Without a resourceVersion
    /// (or "0") the current objects come first as ADDED; a version older than the kept history ends
    /// the stream with an ERROR event carrying a 410 Expired Status, as upstream.
    /// </summary>
    /// <summary>
    /// A watch read from the store's own watch: used when the cache's event window no longer reaches back
    /// to the requested version, but the store's history still does.
    /// </summary>
    private async Task WatchFromStoreAsync(HttpContext context, ResourceInfo resource, string? ns, WatchRequest request, CancellationTokenSource stop)
    {
        var rv = request.ResourceVersion;
        var prefix = resource.StoragePrefixFor(ns);
        var filter = request.Filter;
        var table = request.Table;
        var body = context.Response.Body;
        var bookmarks = request.Bookmarks;
        long delivered = 0;
        try
        {
            long after;
            if (rv is "" or "0")
            {
                var list = await store.ListAsync(prefix, 0, null, 0, stop.Token);
                foreach (var kv in list.Items.Where(kv => filter.Matches(kv.Value)))
                {
                    await WriteEventAsync(body, "ADDED", resource.ForRead(kv.Value), kv.ModRevision, table, stop.Token);
                }

                after = list.Revision;
            }
            else if (!long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out after))
            {
                throw StatusException.BadRequest($"invalid resourceVersion \"{rv}\"");
            }

            await body.FlushAsync(stop.Token);
            delivered = after;
            await foreach (var e in store.WatchAsync(prefix, after, stop.Token))
            {
                delivered = e.Revision;
                // With a selector, an object that starts matching is ADDED and one that stops is DELETED, as upstream.
                var nowMatches = e.Type == WatchEventType.Put && filter.Matches(e.Kv.Value);
                var wasMatching = e.Previous is not null && filter.Matches(e.Previous.Value);
                var type = (e.Type, nowMatches, wasMatching) switch
                {
                    (WatchEventType.Delete, _, true) => "DELETED",
                    (WatchEventType.Put, true, true) => "MODIFIED",
                    (WatchEventType.Put, true, false) => "ADDED",
                    (WatchEventType.Put, false, true) => "DELETED",
                    _ => null,
                };
                if (type is not null)
                {
                    await WriteEventAsync(body, type, resource.ForRead(e.Kv.Value), e.Revision, table, stop.Token);
                }
            }
        }
        catch (StoreException e) when (e.Code == StoreErrorCode.Compacted)
        {
            var gone = StatusException.Gone($"too old resource version: {rv} ({e.CompactedRevision})");
            await WriteErrorEventAsync(body, gone, context.RequestAborted);
        }
        catch (StoreException e) when (e.Code == StoreErrorCode.InvalidArgument)
        {
            // A version ahead of the store: upstream answers in-stream too, as a 504 Timeout "Too large resource version".
            var tooLarge = new StatusException(HttpStatusCode.GatewayTimeout, "Timeout", $"Too large resource version: {rv}");
            await WriteErrorEventAsync(body, tooLarge, context.RequestAborted);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // timeoutSeconds ran out, the client went away, or the server is stopping: end the stream cleanly.
            // When the time ran out, a BOOKMARK first gives the client the newest version this watch
            // covered (everything up to it was sent), so that its next watch resumes from there.
            if (bookmarks && delivered > 0 && !context.RequestAborted.IsCancellationRequested && !Stopping.IsCancellationRequested)
            {
                WriteBookmark(context.Response.BodyWriter, resource, delivered, initialEventsEnd: false);
                await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
            }
        }
    }

    private static async Task WriteEventAsync(Stream body, string type, byte[] stored, long revision, WatchTable? table, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WritePropertyName("object");
            if (table is null)
            {
                w.WriteRawValue(ObjectJson.WithResourceVersion(stored, revision), skipInputValidation: true);
            }
            else
            {
                table.Write(w, ObjectJson.FromStorage(stored, revision));
            }

            w.WriteEndObject();
        }

        buffer.Write(Newline);
        await body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
        await body.FlushAsync(cancellationToken);
    }

    private static async Task WriteErrorEventAsync(Stream body, StatusException error, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "ERROR");
            w.WritePropertyName("object");
            StatusResponses.WriteStatus(w, error);
            w.WriteEndObject();
        }

        buffer.Write(Newline);
        await body.WriteAsync(buffer.ToArray(), cancellationToken);
        await body.FlushAsync(cancellationToken);
    }

    private static long ParseLong(Microsoft.Extensions.Primitives.StringValues value, string name)
    {
        var text = value.ToString();
        if (text.Length == 0)
        {
            return 0;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw StatusException.BadRequest($"invalid {name} \"{text}\": must be a non-negative integer");
    }

    private async Task WriteTableAsync(HttpContext context, ResourceInfo resource, IEnumerable<JsonObject> objects, string? resourceVersion, string? continueToken)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = TableOutput.ContentType;
        await using var w = new Utf8JsonWriter(context.Response.Body);
        TableOutput.Write(w, resource, objects, resourceVersion, continueToken, context.Request.Query["includeObject"].ToString(), time.GetUtcNow());
        await w.FlushAsync(context.RequestAborted);
    }

    /// <summary>Watch events as one-row Tables; the column definitions travel with the first only, as upstream.</summary>
    private sealed class WatchTable(ResourceInfo resource, string includeObject, TimeProvider time)
    {
        private bool _columnsSent;

        public void Write(Utf8JsonWriter w, JsonObject obj)
        {
            var rv = ObjectJson.String(ObjectJson.Metadata(obj), "resourceVersion");
            TableOutput.Write(w, resource, [obj], rv, null, includeObject, time.GetUtcNow(), withColumns: !_columnsSent);
            _columnsSent = true;
        }
    }
}
