using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Defaulting;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Patch;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema.Fields;
using Kubesharp.Api.Validation;
using Kubesharp.ApiServer.Admission;
using Kubesharp.ApiServer.Crd;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

internal sealed partial class RestHandler
{
    /// <summary>
    /// A write without a precondition starts again on the newest object after a lost compare-and-swap,
    /// as upstream's GuaranteedUpdate; each retry gets the newest value from the failed write itself, so
    /// this bound is only a guard against a livelock, far above what contention produces.
    /// </summary>
    private const int PatchRetries = 1000;

    /// <summary>
    /// PATCH as upstream's patcher: read the live object, apply the patch (JSON patch, merge patch, or
    /// strategic merge patch with the kind's merge keys), then write it as an update on the revision that
    /// was read. A concurrent write makes it start again on the new object, unless the patch itself named a
    /// resourceVersion: that is a precondition, and a mismatch is 409.
    /// </summary>
    private async Task PatchAsync(HttpContext context, ResourceInfo resource, string? ns, string name, string? subresource)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        PatchSchema? schema = null;
        switch (contentType)
        {
            case "application/json-patch+json" or "application/merge-patch+json":
                break;
            case "application/strategic-merge-patch+json":
                // Upstream refuses strategic merge patch for kinds without Go types (custom resources).
                ResourceStrategies.RefuseStrategicMergePatch(resource);
                schema = PatchSchema.ForKind(resource.Group, resource.Version, resource.Kind) ?? PatchSchema.ObjectMetaOnly;
                break;
            default:
                throw new StatusException(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType",
                    $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \"{contentType}\")");
        }

        var directive = FieldValidation.Parse(context.Request.Query["fieldValidation"].ToString(), "PatchOptions");
        var dryRun = CreateDryRun(context.Request);
        var (patch, patchErrors) = PreparePatch(await ReadPatchBodyAsync(context.Request), contentType);
        var key = resource.StorageKey(ns, name);
        KeyValue? known = null;
        for (var attempt = 0; ; attempt++)
        {
            // The first attempt starts from the watch cache when it holds the object: the compare-and-swap
            // below is on that version, so a stale copy costs a retry on the store's value, never a lost write.
            var current = await ReadForWriteAsync(resource, key, attempt == 0, known, context.RequestAborted) ?? throw StatusException.NotFound(resource.Group, resource.Plural, name);
            known = null;
            // Stored objects carry no resourceVersion, so one in the result came from the patch itself.
            var live = current.Object.DeepClone();
            var liveVersion = current.ModRevision.ToString(CultureInfo.InvariantCulture);
            var patched = contentType switch
            {
                "application/json-patch+json" => JsonPatch.Apply(live, patch),
                "application/merge-patch+json" => JsonMergePatch.Apply(live, patch),
                _ => StrategicMergePatch.Apply(live, patch, schema),
            } as JsonObject ?? throw StatusException.BadRequest("the patch did not produce a JSON object");

            CheckPatched(context, resource, directive, patched, patchErrors, contentType, patch);
            ObjectJson.CheckTypeMeta(patched, resource, resource.Kind, resource.GroupVersion);
            var meta = ObjectJson.Metadata(patched);
            var requested = ObjectJson.String(meta, "resourceVersion");
            if (requested is not null && requested != liveVersion)
            {
                if (current.FromCache)
                {
                    continue;
                }

                throw StatusException.Conflict(resource.Group, resource.Plural, name, "the object has been modified; please apply your changes to the latest version and try again");
            }

            if (ObjectJson.String(meta, "name") is { } patchedName && patchedName != name)
            {
                throw StatusException.BadRequest($"the name of the object ({patchedName}) does not match the name on the URL ({name})");
            }

            // Before defaulting, where upstream decodes: a 422 for a bad time shows the patched object as patched.
            CanonicalizePatchedTimes(resource, patched, contentType, patch);
            Defaults.Apply(resource.Group, resource.Kind, patched);
            var updated = Merge(resource, current.Object, patched, subresource is "status" or "approval");
            KeepNamespaceFinalizers(resource, current.Object, updated, subresource);
            var allocates = Allocates(resource) && subresource is not ("status" or "approval");
            if (allocates)
            {
                ServiceAllocation.ServiceAllocator.PrepareForUpdate(current.ParseOld(resource), updated);
            }

            await AdmitAsync(context, AdmissionOperation.Update, resource, subresource ?? "", ns, name, updated, current.ParseOld(resource), dryRun);
            ReportPruned(context, resource, ResourceStrategies.BeforeUpdate(resource, current.Raw, updated, subresource is "status" or "approval", name), "PatchOptions", updated);
            Validator.ThrowIfInvalidUpdate(resource.Group, resource.Kind, name, current.ParseOld(resource), updated, subresource is "status" or "approval");
            var allocation = allocates ? await Services!.AllocateUpdateAsync(current.ParseOld(resource), updated, dryRun, context.RequestAborted) : null;
            var stored = ObjectJson.ToStorage(updated);
            if (dryRun)
            {
                await WriteStoredAsync(context, HttpStatusCode.OK, stored, current.ModRevision);
                return;
            }

            var result = await WriteAllocatedAsync(allocation, () => WriteUpdateAsync(resource, key, updated, stored, current.ModRevision, context.RequestAborted));
            switch (result.Status)
            {
                case WriteStatus.Ok:
                    await WriteStoredAsync(context, HttpStatusCode.OK, stored, result.Revision);
                    return;
                case WriteStatus.NotFound:
                    throw StatusException.NotFound(resource.Group, resource.Plural, name);
                case WriteStatus.Conflict when (requested is not null && !current.FromCache) || attempt >= PatchRetries:
                    throw StatusException.Conflict(resource.Group, resource.Plural, name, "the object has been modified; please apply your changes to the latest version and try again");
                case WriteStatus.Conflict:
                    known = result.Current;
                    break;
            }
        }
    }

    /// <summary>
    /// The live object a write starts from (in the served version, without its resourceVersion), its bytes as
    /// read (stored bytes, or the cache's copy, which carries a resourceVersion), and where it came from.
    /// </summary>
    private sealed record Live(JsonObject Object, byte[] Raw, long ModRevision, bool FromCache)
    {
        /// <summary>A fresh copy of the object as it was read (<see cref="Object"/> is the merge's to change).</summary>
        public JsonObject ParseOld(ResourceInfo resource)
        {
            var old = JsonNode.Parse(resource.ForRead(Raw))!.AsObject();
            ObjectJson.Metadata(old).Remove("resourceVersion");
            return old;
        }
    }

    /// <summary>
    /// The object a write starts from: <paramref name="known"/> when the store just handed it back (a lost
    /// compare-and-swap), else the watch cache's copy when <paramref name="allowCache"/> and it has one, else
    /// the store's. Null when the object does not exist.
    /// </summary>
    private async ValueTask<Live?> ReadForWriteAsync(ResourceInfo resource, string key, bool allowCache, KeyValue? known, CancellationToken cancellationToken)
    {
        if (known is not null)
        {
            return new Live(JsonNode.Parse(resource.ForRead(known.Value))!.AsObject(), known.Value, known.ModRevision, false);
        }

        if (allowCache && watchCache.TryGetLoaded(resource.StoragePrefix)?.TryGet(key) is { } cached)
        {
            var obj = JsonNode.Parse(resource.ForRead(cached.Json))!.AsObject();
            ObjectJson.Metadata(obj).Remove("resourceVersion");
            return new Live(obj, cached.Json, cached.ModRevision, true);
        }

        return await store.GetAsync(key, 0, cancellationToken) is { } kv ? new Live(JsonNode.Parse(resource.ForRead(kv.Value))!.AsObject(), kv.Value, kv.ModRevision, false) : null;
    }

    private static async Task<byte[]> ReadPatchBodyAsync(HttpRequest request)
    {
        // The body is read as JSON whatever the patch type says; the content type only chose the algorithm.
        var saved = request.ContentType;
        request.ContentType = "application/json";
        try
        {
            return await ReadBodyAsync(request);
        }
        finally
        {
            request.ContentType = saved;
        }
    }
}
