using System.Text.Json.Nodes;
using Kubesharp.Api.Quantities;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's rules for the remaining kinds users write by hand: Namespace, Node, PersistentVolumeClaim,
/// Lease, PriorityClass, PodDisruptionBudget, with their update rules.
/// </summary>
internal static class ClusterValidation
{
    private static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

    public static void Namespace(JsonObject obj, Causes causes)
    {
        var finalizers = Json.Strings(Json.Obj(obj, "spec"), "finalizers");
        foreach (var finalizer in finalizers)
        {
            causes.InvalidEach("spec.finalizers", finalizer, Formats.QualifiedName(finalizer));
            if (!finalizer.Contains('/', StringComparison.Ordinal) && finalizer is not ("kubernetes" or "orphan" or "foregroundDeletion"))
            {
                causes.Invalid("spec.finalizers", finalizer, "name is neither a standard finalizer name nor is it fully qualified");
            }
        }
    }

    public static void Node(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec");
        // Upstream validates taints under the metadata path: kept as it words it.
        var taints = Json.Items(spec, "taints").ToList();
        var seen = new HashSet<(string Effect, string Key)>();
        foreach (var (i, taint) in taints)
        {
            var at = $"metadata.taints[{i}]";
            var key = Json.S(taint, "key");
            var value = Json.S(taint, "value");
            var effect = Json.S(taint, "effect");
            MetaValidation.LabelName(key, at + ".key", causes);
            if (Formats.LabelValue(value) is { Count: > 0 } errs)
            {
                causes.Invalid(at + ".value", value, string.Join(";", errs));
            }

            if (effect.Length == 0)
            {
                causes.Required(at + ".effect");
            }
            else if (effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
            {
                causes.NotSupported(at + ".effect", effect, "NoSchedule", "PreferNoSchedule", "NoExecute");
            }

            if (!seen.Add((effect, key)))
            {
                causes.Invalid(at, new GoLiteral($"core.Taint{{Key:{GoText.Quote(key)}, Value:{GoText.Quote(value)}, Effect:{GoText.Quote(effect)}, TimeAdded:<nil>}}"), "taints must be unique by key and effect pair");
            }
        }

        var cidrs = PodCidrs(spec);
        for (var i = 0; i < cidrs.Count; i++)
        {
            if (!Formats.IsCidr(cidrs[i]))
            {
                causes.Invalid($"spec.podCIDRs[{i}]", cidrs[i], Formats.CidrMessage);
            }
        }

        if (cidrs.Count > 1)
        {
            var families = cidrs.Where(Formats.IsCidr).Select(c => c.Contains(':', StringComparison.Ordinal)).ToList();
            if (cidrs.Count > 2 || families.Distinct().Count() != families.Count)
            {
                causes.Invalid("spec.podCIDRs", new GoLiteral(GoText.StringSliceLiteral(cidrs, false)), "may specify no more than one CIDR for each IP family");
            }
        }

        foreach (var section in new[] { "capacity", "allocatable" })
        {
            foreach (var (name, quantity) in ResourceValidation.Entries(Json.Obj(Json.Obj(obj, "status"), section)))
            {
                ResourceValidation.QuantityValue(name, quantity, $"status.{section}.{name}", causes);
            }
        }
    }

    /// <summary>The pod CIDRs as upstream's conversion reads them: <c>podCIDRs</c>, or the single <c>podCIDR</c>.</summary>
    private static List<string> PodCidrs(JsonObject? spec)
    {
        var cidrs = Json.Strings(spec, "podCIDRs");
        return cidrs.Count == 0 && Json.S(spec, "podCIDR") is { Length: > 0 } single ? [single] : cidrs;
    }

    public static void NodeUpdate(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        var oldCidrs = PodCidrs(Json.Obj(oldObj, "spec"));
        var newCidrs = PodCidrs(Json.Obj(newObj, "spec"));
        if (oldCidrs.Count > 0 && !oldCidrs.SequenceEqual(newCidrs))
        {
            causes.Forbidden("spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid");
        }

        var oldProvider = Json.S(Json.Obj(oldObj, "spec"), "providerID");
        if (oldProvider.Length > 0 && oldProvider != Json.S(Json.Obj(newObj, "spec"), "providerID"))
        {
            causes.Forbidden("spec.providerID", "node updates may not change providerID except from \"\" to valid");
        }
    }

    public static void PersistentVolumeClaim(JsonObject obj, Causes causes) => ClaimSpec(Json.Obj(obj, "spec") ?? [], "spec", causes);

    /// <summary>Upstream's <c>ValidatePersistentVolumeClaimSpec</c>.</summary>
    public static void ClaimSpec(JsonObject spec, string path, Causes causes)
    {
        var modes = Json.Strings(spec, "accessModes");
        if (modes.Count == 0)
        {
            causes.Required(path + ".accessModes", "at least 1 access mode is required");
        }

        MetaValidation.LabelSelector(Json.Obj(spec, "selector"), path + ".selector", causes);
        bool once = false, other = false;
        foreach (var mode in modes)
        {
            if (!AccessModes.Contains(mode))
            {
                causes.NotSupported(path + ".accessModes", mode, AccessModes);
            }

            once |= mode == "ReadWriteOncePod";
            other |= mode != "ReadWriteOncePod" && AccessModes.Contains(mode);
        }

        if (once && other)
        {
            causes.Forbidden(path + ".accessModes", "may not use ReadWriteOncePod with other access modes");
        }

        var storagePath = path + ".resources[storage]";
        var requests = Json.Obj(Json.Obj(spec, "resources"), "requests");
        if (requests?["storage"] is not { } storageNode)
        {
            causes.Required(storagePath);
        }
        else if (ResourceValidation.Read(storageNode) is { } storage)
        {
            if (storage.Sign <= 0)
            {
                causes.Invalid(storagePath, storage.ToString(), "must be greater than zero");
            }
        }

        if (Json.Str(spec, "storageClassName") is { Length: > 0 } className)
        {
            causes.InvalidEach(path + ".storageClassName", className, Names.Dns1123SubdomainErrors(className));
        }

        if (Json.Str(spec, "volumeMode") is { } volumeMode && volumeMode is not ("Block" or "Filesystem"))
        {
            causes.NotSupported(path + ".volumeMode", volumeMode, "Block", "Filesystem");
        }
    }

    /// <summary>
    /// Upstream's <c>ValidatePersistentVolumeClaimUpdate</c>: the spec is immutable but for the storage request of a
    /// bound claim (which may grow, or shrink no lower than the capacity) and a volumeName set once.
    /// </summary>
    public static void PersistentVolumeClaimUpdate(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        var oldSpec = Json.Obj(oldObj, "spec")?.DeepClone().AsObject() ?? [];
        var newSpec = Json.Obj(newObj, "spec")?.DeepClone().AsObject() ?? [];
        if (Json.S(oldSpec, "volumeName").Length == 0)
        {
            oldSpec["volumeName"] = newSpec["volumeName"]?.DeepClone();
        }

        var bound = Json.S(Json.Obj(newObj, "status"), "phase") == "Bound";
        if (bound && Json.Obj(Json.Obj(newSpec, "resources"), "requests") is { } requests)
        {
            requests["storage"] = Json.Obj(Json.Obj(oldSpec, "resources"), "requests")?["storage"]?.DeepClone();
        }

        if (!Json.Same(oldSpec, newSpec))
        {
            causes.Forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n" + Diff(oldSpec, newSpec));
        }

        var oldSize = ResourceValidation.Read(Json.Obj(Json.Obj(Json.Obj(oldObj, "spec"), "resources"), "requests")?["storage"]);
        var newSize = ResourceValidation.Read(Json.Obj(Json.Obj(Json.Obj(newObj, "spec"), "resources"), "requests")?["storage"]);
        var capacity = ResourceValidation.Read(Json.Obj(Json.Obj(oldObj, "status"), "capacity")?["storage"]) ?? default;
        if (oldSize is { } o && newSize is { } n && n.CompareTo(o) < 0 && n.CompareTo(capacity) <= 0)
        {
            // RecoverVolumeExpansionFailure is on by default in v1.32: a claim may shrink back, not below its capacity.
            causes.Forbidden("spec.resources.requests.storage", "field can not be less than status.capacity");
        }

        if (Json.Str(oldSpec, "volumeMode") != Json.Str(newSpec, "volumeMode"))
        {
            causes.Invalid("volumeMode", Json.Str(newSpec, "volumeMode"), "field is immutable");
        }
    }

    /// <summary>A short account of what changed, where upstream prints a Go structural diff.</summary>
    private static string Diff(JsonObject oldSpec, JsonObject newSpec)
    {
        var keys = oldSpec.Select(p => p.Key).Union(newSpec.Select(p => p.Key)).Where(k => !Json.Same(oldSpec[k], newSpec[k]));
        return string.Join("\n", keys.Select(k => $"-\t{k}: {oldSpec[k]?.ToJsonString() ?? "null"}\n+\t{k}: {newSpec[k]?.ToJsonString() ?? "null"}"));
    }

    public static void Lease(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec");
        if (Json.Int(spec, "leaseDurationSeconds") is <= 0 and var duration)
        {
            causes.Invalid("spec.leaseDurationSeconds", duration, "must be greater than 0");
        }

        if (Json.Int(spec, "leaseTransitions") is < 0 and var transitions)
        {
            causes.Invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0");
        }
    }

    /// <summary>Upstream's <c>ValidatePriorityClass</c>: user classes at most one billion; the system- prefix is reserved.</summary>
    public static void PriorityClass(JsonObject obj, Causes causes)
    {
        const long HighestUserDefinable = 1_000_000_000;
        var name = Json.S(Json.Obj(obj, "metadata"), "name");
        var value = Json.Int(obj, "value") ?? 0;
        if (name.StartsWith("system-", StringComparison.Ordinal))
        {
            long? known = name switch
            {
                "system-node-critical" => 2_000_001_000,
                "system-cluster-critical" => 2_000_000_000,
                _ => null,
            };
            var error = known is null ? $"{name} is not a known system priority class"
                : known != value ? $"value of {name} PriorityClass must be {known}"
                : null;
            if (error is not null)
            {
                causes.Forbidden("metadata.name", "priority class names with 'system-' prefix are reserved for system use only. error: " + error);
            }
        }
        else if (value > HighestUserDefinable)
        {
            causes.Forbidden("value", $"maximum allowed value of a user defined priority is {HighestUserDefinable}");
        }

        if (Json.Str(obj, "preemptionPolicy") is { } policy)
        {
            PodValidation.PreemptionPolicy(policy, "preemptionPolicy", causes);
        }
    }

    public static void PriorityClassUpdate(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        if (Json.Int(oldObj, "value") != Json.Int(newObj, "value"))
        {
            causes.Forbidden("value", "may not be changed in an update.");
        }

        if (Json.Str(oldObj, "preemptionPolicy") != Json.Str(newObj, "preemptionPolicy"))
        {
            causes.Invalid("preemptionPolicy", Json.Str(newObj, "preemptionPolicy"), "field is immutable");
        }
    }

    /// <summary>Upstream's <c>ValidatePodDisruptionBudgetSpec</c>: minAvailable xor maxUnavailable, ints or percents up to 100%.</summary>
    public static void PodDisruptionBudget(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        if (Json.Has(spec, "minAvailable") && Json.Has(spec, "maxUnavailable"))
        {
            causes.Invalid("spec", new GoLiteral("policy.PodDisruptionBudgetSpec{MinAvailable:" + WorkloadValidation.IntOrStringValue(spec["minAvailable"]).Text + ", MaxUnavailable:" + WorkloadValidation.IntOrStringValue(spec["maxUnavailable"]).Text + "}"), "minAvailable and maxUnavailable cannot be both set");
        }

        foreach (var field in new[] { "minAvailable", "maxUnavailable" })
        {
            if (!Json.Has(spec, field))
            {
                continue;
            }

            var (number, text) = Json.IntOrString(spec, field);
            var path = "spec." + field;
            if (text is not null)
            {
                var errs = Formats.Percent(text);
                causes.InvalidEach(path, WorkloadValidation.IntOrStringValue(spec[field]), errs);
                if (errs.Count == 0 && long.Parse(text.AsSpan(0, text.Length - 1), System.Globalization.CultureInfo.InvariantCulture) > 100)
                {
                    causes.Invalid(path, WorkloadValidation.IntOrStringValue(spec[field]), "must not be greater than 100%");
                }
            }
            else if (number is < 0)
            {
                causes.Invalid(path, number.Value, "must be greater than or equal to 0");
            }
        }

        MetaValidation.LabelSelector(Json.Obj(spec, "selector"), "spec.selector", causes);
        if (Json.Str(spec, "unhealthyPodEvictionPolicy") is { } policy && policy is not ("AlwaysAllow" or "IfHealthyBudget"))
        {
            causes.NotSupported("spec.unhealthyPodEvictionPolicy", policy, "AlwaysAllow", "IfHealthyBudget");
        }
    }

    internal static Quantity? Storage(JsonObject? spec) => ResourceValidation.Read(Json.Obj(Json.Obj(spec, "resources"), "requests")?["storage"]);
}
