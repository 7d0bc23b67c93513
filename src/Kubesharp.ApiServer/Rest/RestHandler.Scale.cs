using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Patch;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Selectors;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

internal sealed partial class RestHandler
{
    /// <summary>
    /// The <c>scale</c> subresource: the object seen as an <c>autoscaling/v1 Scale</c> (spec.replicas,
    /// status.replicas, status.selector as a label selector string). GET reads it; PUT and PATCH change
    /// only the parent's <c>spec.replicas</c>, as upstream's scale REST does.
    /// </summary>
    private async Task ScaleAsync(HttpContext context, ResourceInfo resource, string? ns, string name)
    {
        var key = resource.StorageKey(ns, name);

        // The body is read once: a retry after a lost race applies the same request to the newer object.
        var method = context.Request.Method;
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var body = method switch
        {
            "PUT" => await ReadBodyAsync(context.Request),
            "PATCH" => await ReadPatchBodyAsync(context.Request),
            _ => null,
        };
        for (var attempt = 0; ; attempt++)
        {
            var current = await store.GetAsync(key, 0, context.RequestAborted) ?? throw StatusException.NotFound(resource.Group, resource.Plural, name);
            var parent = ObjectJson.FromStorage(current.Value, current.ModRevision);
            var scale = ToScale(parent);
            var scaleVersion = ObjectJson.String(ObjectJson.Metadata(scale), "resourceVersion");
            if (method == "GET")
            {
                await WriteObjectAsync(context, HttpStatusCode.OK, scale);
                return;
            }

            JsonObject wanted;
            if (method == "PUT")
            {
                wanted = ObjectJson.ParseObject(body!);
            }
            else if (method == "PATCH")
            {
                var patch = body!;
                wanted = (contentType switch
                {
                    "application/json-patch+json" => JsonPatch.Apply(scale, patch),
                    "application/merge-patch+json" => JsonMergePatch.Apply(scale, patch),
                    "application/strategic-merge-patch+json" => StrategicMergePatch.Apply(scale, patch, PatchSchema.ObjectMetaOnly),
                    _ => throw StatusException.UnsupportedMediaType(contentType),
                }) as JsonObject ?? throw StatusException.BadRequest("the patch did not produce a JSON object");
            }
            else
            {
                throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {resource.Plural}/scale)");
            }

            var requested = ObjectJson.String(ObjectJson.Metadata(wanted), "resourceVersion");
            if (method == "PATCH" && requested == scaleVersion)
            {
                // A patch starts from the current Scale, resourceVersion included: only a patch that sets another
                // version is a precondition. Otherwise a lost race is retried on the newer object (GuaranteedUpdate);
                // a patch that did name the version it read then fails on the retry, as it should.
                requested = null;
            }

            var expected = current.ModRevision;
            if (requested is { Length: > 0 } && requested != current.ModRevision.ToString(CultureInfo.InvariantCulture))
            {
                throw StatusException.Conflict(resource.Group, resource.Plural, name, "the object has been modified; please apply your changes to the latest version and try again");
            }

            if (wanted["spec"]?["replicas"] is not JsonValue replicasNode || !replicasNode.TryGetValue<int>(out var replicas) || replicas < 0)
            {
                throw StatusException.Invalid("autoscaling", "Scale", name, [new StatusCause("FieldValueInvalid", "Invalid value: must be greater than or equal to 0", "spec.replicas")]);
            }

            var stored = JsonNode.Parse(current.Value)!.AsObject();
            var spec = stored["spec"] as JsonObject ?? new JsonObject();
            stored["spec"] = spec;
            var changed = !(spec["replicas"] is JsonValue old && old.TryGetValue<int>(out var was) && was == replicas);
            spec["replicas"] = replicas;
            if (changed)
            {
                var meta = ObjectJson.Metadata(stored);
                var generation = meta["generation"] is JsonValue g && g.TryGetValue<long>(out var n) ? n : 0;
                meta["generation"] = generation + 1;
            }

            var result = await store.UpdateAsync(key, ObjectJson.ToStorage(stored), expected, null, context.RequestAborted);
            if (result.Status == WriteStatus.Ok)
            {
                ObjectJson.Metadata(stored)["resourceVersion"] = result.Revision.ToString(CultureInfo.InvariantCulture);
                await WriteObjectAsync(context, HttpStatusCode.OK, ToScale(stored));
                return;
            }

            if (result.Status == WriteStatus.NotFound)
            {
                throw StatusException.NotFound(resource.Group, resource.Plural, name);
            }

            if (requested is { Length: > 0 } || attempt >= PatchRetries)
            {
                throw StatusException.Conflict(resource.Group, resource.Plural, name, "the object has been modified; please apply your changes to the latest version and try again");
            }
        }
    }

    private static JsonObject ToScale(JsonObject parent)
    {
        var meta = ObjectJson.Metadata(parent);
        var scaleMeta = new JsonObject();
        foreach (var field in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (meta[field] is { } value)
            {
                scaleMeta[field] = value.DeepClone();
            }
        }

        var specReplicas = parent["spec"]?["replicas"] is JsonValue r && r.TryGetValue<int>(out var n) ? n : 1;
        var statusReplicas = parent["status"]?["replicas"] is JsonValue s && s.TryGetValue<int>(out var m) ? m : 0;
        var selector = "";
        if (parent["spec"]?["selector"] is JsonObject selectorJson)
        {
            using var doc = JsonDocument.Parse(selectorJson.ToJsonString());
            selector = LabelSelector.FromJson(doc.RootElement).ToString();
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMeta,
            ["spec"] = new JsonObject { ["replicas"] = specReplicas },
            ["status"] = new JsonObject { ["replicas"] = statusReplicas, ["selector"] = selector },
        };
    }
}
