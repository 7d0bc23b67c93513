using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Defaulting;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Patch;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Validation;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

internal sealed partial class RestHandler
{
    private const int PatchRetries = 5;

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
                schema = PatchSchema.ForKind(resource.Group, resource.Version, resource.Kind) ?? PatchSchema.ObjectMetaOnly;
                break;
            default:
                throw new StatusException(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType",
                    $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \"{contentType}\")");
        }

        var patch = await ReadPatchBodyAsync(context.Request);
        var key = resource.StorageKey(ns, name);
        for (var attempt = 0; ; attempt++)
        {
            var current = await store.GetAsync(key, 0, context.RequestAborted) ?? throw StatusException.NotFound(resource.Group, resource.Plural, name);
            // Stored objects carry no resourceVersion, so one in the result came from the patch itself.
            var live = JsonNode.Parse(current.Value)!;
            var liveVersion = current.ModRevision.ToString(CultureInfo.InvariantCulture);
            var patched = contentType switch
            {
                "application/json-patch+json" => JsonPatch.Apply(live, patch),
                "application/merge-patch+json" => JsonMergePatch.Apply(live, patch),
                _ => StrategicMergePatch.Apply(live, patch, schema),
            } as JsonObject ?? throw StatusException.BadRequest("the patch did not produce a JSON object");

            ObjectJson.CheckTypeMeta(patched, resource, resource.Kind, resource.GroupVersion);
            var meta = ObjectJson.Metadata(patched);
            var requested = ObjectJson.String(meta, "resourceVersion");
            if (requested is not null && requested != liveVersion)
            {
                throw StatusException.Conflict(resource.Group, resource.Plural, name, "the object has been modified; please apply your changes to the latest version and try again");
            }

            if (ObjectJson.String(meta, "name") is { } patchedName && patchedName != name)
            {
                throw StatusException.BadRequest($"the name of the object ({patchedName}) does not match the name on the URL ({name})");
            }

            Defaults.Apply(resource.Group, resource.Kind, patched);
            var stored = JsonNode.Parse(current.Value)!.AsObject();
            var updated = Merge(resource, stored, patched, subresource == "status");
            Validator.ThrowIfInvalidUpdate(resource.Group, resource.Kind, name, JsonNode.Parse(current.Value)!.AsObject(), updated, subresource == "status");
            var result = await store.UpdateAsync(key, ObjectJson.ToStorage(updated), current.ModRevision, null, context.RequestAborted);
            switch (result.Status)
            {
                case WriteStatus.Ok:
                    ObjectJson.Metadata(updated)["resourceVersion"] = result.Revision.ToString(CultureInfo.InvariantCulture);
                    await WriteObjectAsync(context, HttpStatusCode.OK, updated);
                    return;
                case WriteStatus.NotFound:
                    throw StatusException.NotFound(resource.Group, resource.Plural, name);
                case WriteStatus.Conflict when requested is not null || attempt >= PatchRetries:
                    throw StatusException.Conflict(resource.Group, resource.Plural, name, "the object has been modified; please apply your changes to the latest version and try again");
            }
        }
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
