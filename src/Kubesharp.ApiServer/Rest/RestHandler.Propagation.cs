using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;

namespace Kubesharp.ApiServer.Rest;

/// <summary>
/// Cascading deletion as upstream's generic registry asks the garbage collector for it
/// (deletionFinalizersForGarbageCollection): a delete with <c>propagationPolicy: Foreground</c> leaves the
/// object marked with the <c>foregroundDeletion</c> finalizer, one with <c>Orphan</c> with the <c>orphan</c>
/// finalizer, and the garbage collector removes them once it has dealt with the dependents. <c>Background</c>
/// deletes the object at once and leaves the dependents to the collector.
/// </summary>
internal sealed partial class RestHandler
{
    /// <summary>
    /// Sets the garbage collector's finalizers of <paramref name="meta"/> as <paramref name="options"/> and the
    /// kind's default policy ask; true when they changed.
    /// </summary>
    private static bool ApplyGarbageCollectionFinalizers(ResourceInfo resource, JsonObject meta, JsonObject? options)
    {
        var current = (meta["finalizers"] as JsonArray)?.Select(f => f?.GetValue<string>() ?? "").ToList() ?? [];
        var orphan = ShouldOrphanDependents(resource, current, options);
        var foreground = ShouldDeleteDependentsInForeground(current, options);
        var wanted = current.Where(f => f is not OrphanFinalizer and not ForegroundFinalizer).ToList();
        if (orphan)
        {
            wanted.Add(OrphanFinalizer);
        }

        if (foreground)
        {
            wanted.Add(ForegroundFinalizer);
        }

        if (wanted.ToHashSet().SetEquals(current))
        {
            return false;
        }

        if (wanted.Count == 0)
        {
            meta.Remove("finalizers");
        }
        else
        {
            meta["finalizers"] = new JsonArray([.. wanted.Select(f => (JsonNode)f)]);
        }

        return true;
    }

    // Upstream's shouldOrphanDependents: orphanDependents, else propagationPolicy, else a finalizer already on
    // the object, else the kind's default policy.
    private static bool ShouldOrphanDependents(ResourceInfo resource, List<string> finalizers, JsonObject? options)
    {
        if (OrphanDependents(options) is { } orphan)
        {
            return orphan;
        }

        switch (PropagationPolicy(options))
        {
            case "Orphan":
                return true;
            case "Background" or "Foreground":
                return false;
        }

        foreach (var f in finalizers)
        {
            switch (f)
            {
                case OrphanFinalizer:
                    return true;
                case ForegroundFinalizer:
                    return false;
            }
        }

        return OrphansByDefault(resource);
    }

    // Upstream's shouldDeleteDependents: an explicit orphanDependents (either value) means not in the foreground.
    private static bool ShouldDeleteDependentsInForeground(List<string> finalizers, JsonObject? options)
    {
        if (OrphanDependents(options) is not null)
        {
            return false;
        }

        switch (PropagationPolicy(options))
        {
            case "Foreground":
                return true;
            case "Background" or "Orphan":
                return false;
        }

        foreach (var f in finalizers)
        {
            switch (f)
            {
                case ForegroundFinalizer:
                    return true;
                case OrphanFinalizer:
                    return false;
            }
        }

        return false;
    }

    /// <summary>
    /// The kinds whose DefaultGarbageCollectionPolicy is OrphanDependents: core/v1 ReplicationControllers, kept for
    /// backward compatibility (kubectl always sends a policy, so it cascades anyway). Every other kind served here
    /// deletes its dependents in the background by default.
    /// </summary>
    private static bool OrphansByDefault(ResourceInfo resource) =>
        resource.Group.Length == 0 && resource.Version == "v1" && resource.Kind == "ReplicationController";

    /// <summary>Upstream's ValidateDeleteOptions: orphanDependents and propagationPolicy exclude each other; the policy is one of three.</summary>
    private static void ThrowIfInvalidPropagation(JsonObject? options)
    {
        var policy = options?["propagationPolicy"];
        if (policy is null)
        {
            return;
        }

        var causes = new List<StatusCause>();
        var value = policy is JsonValue v && v.TryGetValue<string>(out var text) ? text : policy.ToJsonString();
        if (options!["orphanDependents"] is JsonValue)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{value}\": orphanDependents and deletionPropagation cannot be both set", "propagationPolicy"));
        }

        if (value is not ("Foreground" or "Background" or "Orphan"))
        {
            causes.Add(new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{value}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"", "propagationPolicy"));
        }

        if (causes.Count > 0)
        {
            throw StatusException.Invalid("meta.k8s.io", "DeleteOptions", "", causes);
        }
    }
}
