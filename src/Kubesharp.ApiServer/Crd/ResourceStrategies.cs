using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Rest;

namespace Kubesharp.ApiServer.Crd;

/// <summary>
/// The steps the generic REST layer hands to kinds whose registry does more than the generic one: custom
/// resources (decoding against the CRD's schema, status and generation rules, validation) and
/// <c>CustomResourceDefinition</c> itself (defaults, status reset, validation, the cleanup finalizer on delete).
/// Every method does nothing for other kinds, so the REST layer calls them unconditionally. Failures are thrown
/// as <see cref="StatusException"/> (400 for an unreadable body, 422 Invalid with upstream's causes).
/// Stateless and thread-safe.
/// </summary>
internal static class ResourceStrategies
{
    public static bool IsCrd(ResourceInfo resource) => resource.Kind == "CustomResourceDefinition" && resource.Group == "apiextensions.k8s.io" && resource.Custom is null;

    /// <summary>
    /// Last step of a create, once the server has stamped metadata: may change <paramref name="obj"/> or refuse it.
    /// Returns the paths of the unknown fields a custom resource's schema pruned (<c>spec.foo</c>), for
    /// <c>fieldValidation</c> to report; empty for other kinds.
    /// </summary>
    public static IReadOnlyList<string> BeforeCreate(ResourceInfo resource, JsonObject obj, string name)
    {
        if (resource.Custom is { } cr)
        {
            if (cr.Terminating)
            {
                // Upstream refuses creates while the CRD is being deleted, with this message, before anything else.
                throw new StatusException(HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", "create not allowed while custom resource definition is terminating",
                    new StatusDetails(null, resource.Group, resource.Plural, null, []));
            }

            var unknown = Decode(cr, obj);
            CustomResourceStrategy.PrepareForCreate(cr, obj);
            ThrowIfInvalid(resource, name, CustomResourceStrategy.ValidateCreate(cr, obj));
            CustomResourceStrategy.PruneForStorage(cr, obj);
            return unknown;
        }

        if (IsCrd(resource))
        {
            CrdStatus.ApplyDefaults(obj);
            CrdStatus.ResetForCreate(obj);
            ObjectJson.Metadata(obj)["generation"] = 1;
            ThrowIfInvalid(resource, name, Read(() => CrdValidation.ValidateCreate(obj)));
        }

        if (IsEndpointSlice(resource))
        {
            // Upstream's endpointSliceStrategy: slices have no spec, yet a generation (the EndpointSlice controller's
            // tracker tells its own writes from others' by it).
            ObjectJson.Metadata(obj)["generation"] = 1;
        }

        return [];
    }

    /// <summary>
    /// Last step of an update or patch, after the generic merge (<paramref name="status"/>: through <c>/status</c>):
    /// may change <paramref name="updated"/> or refuse it. <paramref name="stored"/> is the object's stored bytes.
    /// Returns the unknown fields pruned, as <see cref="BeforeCreate"/>.
    /// </summary>
    public static IReadOnlyList<string> BeforeUpdate(ResourceInfo resource, byte[] stored, JsonObject updated, bool status, string name)
    {
        if (resource.Custom is { } cr)
        {
            var old = JsonNode.Parse(resource.ForRead(stored))!.AsObject();
            var unknown = Decode(cr, updated);
            if (!status)
            {
                CustomResourceStrategy.PrepareForUpdate(updated, old);
            }

            ThrowIfInvalid(resource, name, CustomResourceStrategy.ValidateUpdate(cr, updated, old, status));
            CustomResourceStrategy.PruneForStorage(cr, updated);
            return unknown;
        }

        if (IsCrd(resource))
        {
            if (status)
            {
                ThrowIfInvalid(resource, name, Read(() => CrdValidation.ValidateStatusUpdate(updated)));
                return [];
            }

            CrdStatus.ApplyDefaults(updated);
            CrdStatus.AddStorageVersion(updated);
            var old = JsonNode.Parse(stored)!.AsObject();
            ThrowIfInvalid(resource, name, Read(() => CrdValidation.ValidateUpdate(updated, old)));
        }

        if (IsEndpointSlice(resource))
        {
            BumpEndpointSliceGeneration(JsonNode.Parse(resource.ForRead(stored))!.AsObject(), updated);
        }

        return [];
    }

    private static bool IsEndpointSlice(ResourceInfo resource) => resource.Kind == "EndpointSlice" && resource.Group == "discovery.k8s.io" && resource.Custom is null;

    /// <summary>Upstream's endpointSliceStrategy.PrepareForUpdate: the generation moves when anything but metadata changed, or the labels did.</summary>
    private static void BumpEndpointSliceGeneration(JsonObject old, JsonObject updated)
    {
        var oldMeta = ObjectJson.Metadata(old);
        var meta = ObjectJson.Metadata(updated);
        var changed = !JsonNode.DeepEquals(oldMeta["labels"], meta["labels"])
            || updated.Select(kv => kv.Key).Union(old.Select(kv => kv.Key))
                .Any(key => key is not ("metadata" or "apiVersion" or "kind") && !JsonNode.DeepEquals(old[key], updated[key]));
        var generation = oldMeta["generation"] is JsonValue g && g.TryGetValue<long>(out var n) ? n : 0;
        meta["generation"] = changed ? generation + 1 : generation;
    }

    /// <summary>
    /// Before a delete marks or removes <paramref name="obj"/>: a CRD's first delete adds upstream's cleanup
    /// finalizer and the Terminating condition, so that its custom resources go before it does.
    /// </summary>
    public static void BeforeDelete(ResourceInfo resource, JsonObject obj, DateTimeOffset now)
    {
        var meta = ObjectJson.Metadata(obj);
        if (!IsCrd(resource) || meta["deletionTimestamp"] is not null)
        {
            return;
        }

        var finalizers = meta["finalizers"] as JsonArray ?? [];
        meta["finalizers"] = finalizers;
        if (!finalizers.Any(f => f?.GetValue<string>() == CrdObject.CleanupFinalizer))
        {
            finalizers.Add(CrdObject.CleanupFinalizer);
        }

        CrdStatus.SetCondition(obj, CrdStatus.Terminating, "True", "InstanceDeletionPending", "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon", now);
    }

    /// <summary>Upstream serves no strategic merge patch for custom resources (they have no Go types to take merge keys from).</summary>
    public static void RefuseStrategicMergePatch(ResourceInfo resource)
    {
        if (resource.Custom is not null)
        {
            throw new StatusException(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
        }
    }

    private static List<string> Decode(CustomResourceInfo cr, JsonObject obj)
    {
        try
        {
            return CustomResourceStrategy.Decode(cr, obj);
        }
        catch (FormatException e)
        {
            throw StatusException.BadRequest(e.Message);
        }
    }

    private static List<FieldError> Read(Func<List<FieldError>> validate)
    {
        try
        {
            return validate();
        }
        catch (FormatException e)
        {
            throw StatusException.BadRequest(e.Message);
        }
    }

    private static void ThrowIfInvalid(ResourceInfo resource, string name, List<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw FieldError.ToInvalid(resource.Group, resource.Kind, name, errors);
        }
    }
}
