using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Patch;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Rest;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Crd;

/// <summary>
/// The <c>scale</c> subresource of a custom resource, as upstream's: the object seen as an
/// <c>autoscaling/v1 Scale</c> through the CRD's <c>specReplicasPath</c>, <c>statusReplicasPath</c> and
/// <c>labelSelectorPath</c>. GET reads it; PUT and PATCH (JSON or merge patch) set the value at
/// <c>specReplicasPath</c>, and the change goes through the custom resource's own update rules (generation,
/// schema validation). A concurrent write makes it start again, unless the request named a resourceVersion.
/// </summary>
internal static class CustomResourceScale
{
    private const int Retries = 5;

    public static async Task HandleAsync(HttpContext context, IStore store, ResourceInfo resource, string? ns, string name)
    {
        var cr = resource.Custom!;
        var scalePaths = cr.Scale!;
        var method = context.Request.Method;
        var key = resource.StorageKey(ns, name);
        byte[]? body = null;
        for (var attempt = 0; ; attempt++)
        {
            var current = await store.GetAsync(key, 0, context.RequestAborted) ?? throw StatusException.NotFound(resource.Group, resource.Plural, name);
            var parent = ObjectJson.FromStorage(resource.ForRead(current.Value), current.ModRevision);
            var scale = CustomResourceStrategy.ToScale(parent, scalePaths);
            if (method == "GET")
            {
                await RestHandler.WriteObjectAsync(context, HttpStatusCode.OK, scale);
                return;
            }

            JsonObject wanted;
            var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
            switch (method)
            {
                case "PUT":
                    body ??= await RestHandler.ReadBodyAsync(context.Request);
                    wanted = ObjectJson.ParseObject(body);
                    break;
                case "PATCH":
                    if (contentType is not ("application/json-patch+json" or "application/merge-patch+json"))
                    {
                        ResourceStrategies.RefuseStrategicMergePatch(resource);
                    }

                    body ??= await ReadPatchAsync(context.Request);
                    wanted = (contentType == "application/json-patch+json" ? JsonPatch.Apply(scale, body) : JsonMergePatch.Apply(scale, body)) as JsonObject
                        ?? throw StatusException.BadRequest("the patch did not produce a JSON object");
                    break;
                default:
                    throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {resource.Plural}/scale)");
            }

            var requested = ObjectJson.String(wanted["metadata"] as JsonObject, "resourceVersion");
            if (requested is { Length: > 0 } && requested != current.ModRevision.ToString(CultureInfo.InvariantCulture))
            {
                throw Conflict(resource, name);
            }

            var replicasNode = wanted["spec"]?["replicas"];
            long replicas = 0;
            if (replicasNode is not null && !CustomResourceStrategy.TryGetInteger(replicasNode, out replicas))
            {
                throw StatusException.BadRequest($"json: cannot unmarshal {replicasNode.GetValueKind().ToString().ToLowerInvariant()} into Go struct field ScaleSpec.spec.replicas of type int32");
            }

            if (replicas < 0)
            {
                throw StatusException.Invalid("autoscaling", "Scale", name, [FieldError.Invalid("spec.replicas", GoValue.Number(replicas), "must be greater than or equal to 0").ToCause()]);
            }

            var updated = JsonNode.Parse(resource.ForRead(current.Value))!.AsObject();
            CustomResourceStrategy.Set(updated, scalePaths.SpecReplicasPath, replicas);
            ResourceStrategies.BeforeUpdate(resource, current.Value, updated, status: false, name);
            var result = await store.UpdateAsync(key, resource.ForStorage(ObjectJson.ToStorage(updated)), current.ModRevision, null, context.RequestAborted);
            switch (result.Status)
            {
                case WriteStatus.Ok:
                    ObjectJson.Metadata(updated)["resourceVersion"] = result.Revision.ToString(CultureInfo.InvariantCulture);
                    await RestHandler.WriteObjectAsync(context, HttpStatusCode.OK, CustomResourceStrategy.ToScale(updated, scalePaths));
                    return;
                case WriteStatus.NotFound:
                    throw StatusException.NotFound(resource.Group, resource.Plural, name);
                case WriteStatus.Conflict when requested is { Length: > 0 } || attempt >= Retries:
                    throw Conflict(resource, name);
            }
        }
    }

    private static StatusException Conflict(ResourceInfo resource, string name) =>
        StatusException.Conflict(resource.Group, resource.Plural, name, "the object has been modified; please apply your changes to the latest version and try again");

    private static async Task<byte[]> ReadPatchAsync(HttpRequest request)
    {
        // The body is JSON whatever the patch type says; the content type chose the algorithm.
        var saved = request.ContentType;
        request.ContentType = "application/json";
        try
        {
            return await RestHandler.ReadBodyAsync(request);
        }
        finally
        {
            request.ContentType = saved;
        }
    }
}
