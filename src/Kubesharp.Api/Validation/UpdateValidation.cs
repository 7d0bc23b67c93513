using System.Text.Json.Nodes;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's update-only rules (<c>Validate*Update</c>): what may not change between the stored object and the
/// new one. The new object's own rules are checked separately.
/// </summary>
internal static class UpdateValidation
{
    /// <summary>Upstream's list of what a pod update may change, as its Forbidden message quotes it.</summary>
    public const string PodUpdatableFields = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    public static void Rules(string group, string kind, JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        Meta(oldObj, newObj, causes);
        switch (group, kind)
        {
            case ("", "Pod"):
                Pod(oldObj, newObj, causes);
                break;
            case ("", "Service"):
                ServiceValidation.Update(oldObj, newObj, causes);
                break;
            case ("", "ConfigMap" or "Secret"):
                ConfigValidation.Update(kind, oldObj, newObj, causes);
                break;
            case ("", "Node"):
                ClusterValidation.NodeUpdate(oldObj, newObj, causes);
                break;
            case ("", "PersistentVolumeClaim"):
                ClusterValidation.PersistentVolumeClaimUpdate(oldObj, newObj, causes);
                break;
            case ("apps", "Deployment" or "ReplicaSet" or "DaemonSet"):
                SelectorImmutable(oldObj, newObj, causes);
                break;
            case ("apps", "StatefulSet"):
                StatefulSet(oldObj, newObj, causes);
                break;
            case ("batch", "Job"):
                Job(oldObj, newObj, causes);
                break;
            case ("scheduling.k8s.io", "PriorityClass"):
                ClusterValidation.PriorityClassUpdate(oldObj, newObj, causes);
                break;
        }
    }

    /// <summary>Upstream's <c>ValidateObjectMetaUpdate</c> rule that the server does not already enforce: no new finalizers while deleting.</summary>
    private static void Meta(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        var oldMeta = Json.Obj(oldObj, "metadata");
        if (!Json.Has(oldMeta, "deletionTimestamp"))
        {
            return;
        }

        var old = Json.Strings(oldMeta, "finalizers").ToHashSet(StringComparer.Ordinal);
        var extra = Json.Strings(Json.Obj(newObj, "metadata"), "finalizers").Where(f => !old.Contains(f)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
        {
            causes.Forbidden("metadata.finalizers", $"no new finalizers can be added if the object is being deleted, found new finalizers {GoText.StringSliceLiteral(extra, false)}");
        }
    }

    /// <summary>Upstream's <c>ValidatePodUpdate</c>.</summary>
    private static void Pod(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        var oldSpec = Json.Obj(oldObj, "spec") ?? [];
        var newSpec = Json.Obj(newObj, "spec") ?? [];
        foreach (var list in new[] { "containers", "initContainers" })
        {
            if ((Json.Arr(oldSpec, list)?.Count ?? 0) != (Json.Arr(newSpec, list)?.Count ?? 0))
            {
                causes.Forbidden("spec." + list, "pod updates may not add or remove containers");
                return;
            }
        }

        var oldDeadline = Json.Int(oldSpec, "activeDeadlineSeconds");
        if (Json.Int(newSpec, "activeDeadlineSeconds") is { } newDeadline)
        {
            if (newDeadline is < 0 or > int.MaxValue)
            {
                causes.Invalid("spec.activeDeadlineSeconds", newDeadline, Formats.InclusiveRange(0, int.MaxValue));
                return;
            }

            if (oldDeadline < newDeadline)
            {
                causes.Invalid("spec.activeDeadlineSeconds", newDeadline, "must be less than or equal to previous value");
                return;
            }
        }
        else if (oldDeadline is not null)
        {
            causes.Invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value");
        }

        OnlyAddedTolerations(Json.Arr(oldSpec, "tolerations"), Json.Arr(newSpec, "tolerations"), causes);
        var oldGates = Json.Items(oldSpec, "schedulingGates").Select(g => Json.S(g.Item, "name")).ToHashSet(StringComparer.Ordinal);
        foreach (var (i, gate) in Json.Items(newSpec, "schedulingGates"))
        {
            var name = Json.S(gate, "name");
            if (!oldGates.Contains(name))
            {
                causes.Forbidden($"spec.schedulingGates[{i}].name", $"only deletion is allowed, but found new scheduling gate '{name}'");
            }
        }

        // Upstream's munging: the fields a pod update may change take their old values, then the specs must be equal.
        var munged = newSpec.DeepClone().AsObject();
        foreach (var list in new[] { "containers", "initContainers" })
        {
            var oldItems = Json.Arr(oldSpec, list);
            if (Json.Arr(munged, list) is { } items && oldItems is not null)
            {
                for (var i = 0; i < items.Count && i < oldItems.Count; i++)
                {
                    if (items[i] is JsonObject c)
                    {
                        c["image"] = oldItems[i]?["image"]?.DeepClone();
                    }
                }
            }
        }

        foreach (var field in new[] { "activeDeadlineSeconds", "schedulingGates", "tolerations" })
        {
            munged[field] = oldSpec[field]?.DeepClone();
        }

        if (Json.Int(oldSpec, "terminationGracePeriodSeconds") < 0 && Json.Int(munged, "terminationGracePeriodSeconds") == 1)
        {
            munged["terminationGracePeriodSeconds"] = oldSpec["terminationGracePeriodSeconds"]?.DeepClone();
        }

        if (oldGates.Count > 0)
        {
            // A gated pod may gain node selector entries (never lose or change them).
            var oldSelector = Json.StringMap(oldSpec, "nodeSelector");
            var newSelector = Json.StringMap(munged, "nodeSelector").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            if (oldSelector.Any(p => !newSelector.TryGetValue(p.Key, out var v) || v != p.Value))
            {
                causes.Invalid("spec.nodeSelector", new GoLiteral(MetaValidation.MapLiteral(newSelector)), "only additions to spec.nodeSelector are allowed (no mutations or deletions)");
            }

            munged["nodeSelector"] = oldSpec["nodeSelector"]?.DeepClone();
        }

        if (!Json.Same(munged, oldSpec))
        {
            causes.Forbidden("spec", $"pod updates may not change fields other than {PodUpdatableFields}\n{Diff(oldSpec, munged)}");
        }
    }

    private static void OnlyAddedTolerations(JsonArray? oldTolerations, JsonArray? newTolerations, Causes causes)
    {
        var added = newTolerations?.OfType<JsonObject>().Select(WithoutSeconds).ToList() ?? [];
        foreach (var old in oldTolerations?.OfType<JsonObject>() ?? [])
        {
            var key = WithoutSeconds(old);
            if (!added.Any(n => Json.Same(n, key)))
            {
                causes.Forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds");
                return;
            }
        }

        static JsonObject WithoutSeconds(JsonObject t)
        {
            var copy = t.DeepClone().AsObject();
            copy.Remove("tolerationSeconds");
            return copy;
        }
    }

    /// <summary>apps/v1 strategies' <c>ValidateImmutableField</c> on <c>spec.selector</c>.</summary>
    private static void SelectorImmutable(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        var oldSelector = Json.Obj(Json.Obj(oldObj, "spec"), "selector");
        var newSelector = Json.Obj(Json.Obj(newObj, "spec"), "selector");
        if (!Json.Same(oldSelector, newSelector))
        {
            causes.Invalid("spec.selector", new GoLiteral(MetaValidation.SelectorLiteral(newSelector)), "field is immutable");
        }
    }

    /// <summary>Upstream's <c>ValidateStatefulSetUpdate</c>.</summary>
    private static void StatefulSet(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        var oldSpec = Json.Obj(oldObj, "spec")?.DeepClone().AsObject() ?? [];
        var newSpec = Json.Obj(newObj, "spec")?.DeepClone().AsObject() ?? [];
        foreach (var field in new[] { "replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy" })
        {
            oldSpec.Remove(field);
            newSpec.Remove(field);
        }

        if (!Json.Same(oldSpec, newSpec))
        {
            causes.Forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
        }
    }

    /// <summary>Upstream's <c>ValidateJobSpecUpdate</c>.</summary>
    private static void Job(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        var oldSpec = Json.Obj(oldObj, "spec") ?? [];
        var newSpec = Json.Obj(newObj, "spec") ?? [];
        var indexed = Json.S(newSpec, "completionMode") == "Indexed";
        if (!Json.Same(oldSpec["completions"], newSpec["completions"]))
        {
            if (!indexed)
            {
                causes.Invalid("spec.completions", Json.Int(newSpec, "completions"), "field is immutable");
            }
            else if (Json.Int(newSpec, "completions") is { } completions && completions != Json.Int(newSpec, "parallelism"))
            {
                // ElasticIndexedJob (GA in v1.31): an indexed job may change completions together with parallelism.
                causes.Invalid("spec.completions", completions, "can only be modified in tandem with spec.parallelism");
            }
        }

        if (!Json.Same(oldSpec["selector"], newSpec["selector"]))
        {
            causes.Invalid("spec.selector", new GoLiteral(MetaValidation.SelectorLiteral(Json.Obj(newSpec, "selector"))), "field is immutable");
        }

        var oldTemplate = Json.Obj(oldSpec, "template")?.DeepClone().AsObject() ?? [];
        var newTemplate = Json.Obj(newSpec, "template")?.DeepClone().AsObject() ?? [];
        if (Json.Bool(newSpec, "suspend") == true && !Json.Has(Json.Obj(oldObj, "status"), "startTime"))
        {
            // A suspended job that never started may change its scheduling directives (mutable scheduling directives).
            foreach (var template in new[] { oldTemplate, newTemplate })
            {
                var meta = Json.Obj(template, "metadata");
                meta?.Remove("labels");
                meta?.Remove("annotations");
                var podSpec = Json.Obj(template, "spec");
                podSpec?.Remove("nodeSelector");
                podSpec?.Remove("tolerations");
                podSpec?.Remove("schedulingGates");
                Json.Obj(podSpec, "affinity")?.Remove("nodeAffinity");
            }
        }

        if (!Json.Same(oldTemplate, newTemplate))
        {
            causes.Invalid("spec.template", new GoLiteral("core.PodTemplateSpec{...}"), "field is immutable");
        }

        foreach (var field in new[] { "completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy" })
        {
            if (!Json.Same(oldSpec[field], newSpec[field]))
            {
                causes.Invalid("spec." + field, newSpec[field]?.DeepClone(), "field is immutable");
            }
        }
    }

    /// <summary>What changed, as a short stand-in for the Go structural diff upstream appends.</summary>
    private static string Diff(JsonObject oldSpec, JsonObject newSpec)
    {
        var keys = oldSpec.Select(p => p.Key).Union(newSpec.Select(p => p.Key)).Where(k => !Json.Same(oldSpec[k], newSpec[k]));
        return "  core.PodSpec{\n" + string.Join("\n", keys.Select(k => $"-\t{k}: {oldSpec[k]?.ToJsonString() ?? "null"},\n+\t{k}: {newSpec[k]?.ToJsonString() ?? "null"},")) + "\n  }\n";
    }
}
