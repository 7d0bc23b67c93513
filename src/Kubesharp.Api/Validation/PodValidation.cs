using System.Text.Json.Nodes;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's <c>ValidatePodSpec</c> and <c>ValidatePodTemplateSpec</c> (<c>pkg/apis/core/validation</c>) on the
/// JSON of a defaulted pod spec: containers, init containers, volumes, restart and DNS policies, scheduling
/// fields. Containers are in <c>PodValidation.Containers.cs</c>, volumes in <c>PodValidation.Volumes.cs</c>.
/// </summary>
internal static partial class PodValidation
{
    private static readonly string[] RestartPolicies = ["Always", "OnFailure", "Never"];
    private static readonly string[] DnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];

    /// <summary>A Pod's metadata and spec, as <c>ValidatePodCreate</c> sees them.</summary>
    public static void Pod(JsonObject obj, Causes causes, bool create)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        Spec(spec, "spec", causes, isPod: true);
        if (create && Json.Arr(spec, "ephemeralContainers") is { Count: > 0 })
        {
            causes.Forbidden("spec.ephemeralContainers", "cannot be set on create");
        }

        if (create && Json.S(spec, "nodeName").Length != 0 && Json.Arr(spec, "schedulingGates") is { Count: > 0 })
        {
            causes.Forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared");
        }
    }

    /// <summary>Upstream's <c>ValidatePodTemplateSpec</c>: the template's labels and annotations, then its spec.</summary>
    public static void Template(JsonObject? template, string path, Causes causes)
    {
        var meta = Json.Obj(template, "metadata");
        MetaValidation.Labels(Json.StringMap(meta, "labels"), path + ".labels", causes);
        MetaValidation.Annotations(Json.StringMap(meta, "annotations"), path + ".annotations", causes);
        var spec = Json.Obj(template, "spec") ?? [];
        Spec(spec, path + ".spec", causes, isPod: false);
        if (Json.Arr(spec, "ephemeralContainers") is { Count: > 0 })
        {
            causes.Forbidden(path + ".spec.ephemeralContainers", "ephemeral containers not allowed in pod template");
        }
    }

    public static void Spec(JsonObject spec, string path, Causes causes, bool isPod)
    {
        // Upstream has no lower bound here: a pod's negative grace period is stored as 1 (see Defaults).
        var grace = Json.Int(spec, "terminationGracePeriodSeconds");
        if (!Json.Has(spec, "terminationGracePeriodSeconds"))
        {
            causes.Required(path + ".terminationGracePeriodSeconds");
        }

        var volumes = Volumes(spec, path + ".volumes", causes);
        Containers(spec, volumes, grace, path + ".containers", causes, isPod);
        InitContainers(spec, volumes, grace, path + ".initContainers", causes, isPod);
        HostNetwork(spec, path, causes, isPod);

        var restart = Json.S(spec, "restartPolicy");
        if (restart.Length == 0)
        {
            causes.Required(path + ".restartPolicy");
        }
        else if (!RestartPolicies.Contains(restart))
        {
            causes.NotSupported(path + ".restartPolicy", restart, RestartPolicies);
        }

        var dns = Json.S(spec, "dnsPolicy");
        if (dns.Length == 0)
        {
            causes.Required(path + ".dnsPolicy");
        }
        else if (!DnsPolicies.Contains(dns))
        {
            causes.NotSupported(path + ".dnsPolicy", dns, DnsPolicies);
        }

        MetaValidation.Labels(Json.StringMap(spec, "nodeSelector"), path + ".nodeSelector", causes);
        SecurityContext(Json.Obj(spec, "securityContext"), path + ".securityContext", causes);
        DnsConfig(spec, dns, path + ".dnsConfig", causes);
        TopologySpread(spec, path + ".topologySpreadConstraints", causes);
        NameField(spec, "serviceAccountName", path, causes, Names.Dns1123SubdomainErrors);
        NameField(spec, "nodeName", path, causes, Names.Dns1123SubdomainErrors);
        if (Json.Int(spec, "activeDeadlineSeconds") is { } deadline && deadline is < 1 or > int.MaxValue)
        {
            causes.Invalid(path + ".activeDeadlineSeconds", deadline, Formats.InclusiveRange(1, int.MaxValue));
        }

        NameField(spec, "hostname", path, causes, Names.Dns1123LabelErrors);
        NameField(spec, "subdomain", path, causes, Names.Dns1123LabelErrors);
        Tolerations(Json.Arr(spec, "tolerations"), path + ".tolerations", causes);
        NameField(spec, "priorityClassName", path, causes, Names.Dns1123SubdomainErrors);
        if (Json.Str(spec, "preemptionPolicy") is { } preemption)
        {
            PreemptionPolicy(preemption, path + ".preemptionPolicy", causes);
        }

        if (Json.Obj(spec, "os") is { } os)
        {
            var osName = Json.S(os, "name");
            if (osName.Length == 0)
            {
                causes.Required(path + ".os.name", "cannot be empty");
            }
            else if (osName is not ("linux" or "windows"))
            {
                causes.NotSupported(path + ".os", osName, "linux", "windows");
            }
        }

        if (isPod)
        {
            foreach (var list in new[] { "containers", "initContainers" })
            {
                foreach (var (i, c) in Json.Items(spec, list))
                {
                    var image = Json.S(c, "image");
                    if (image.Length != image.Trim().Length)
                    {
                        causes.Invalid($"{path}.{list}[{i}].image", image, "must not have leading or trailing whitespace");
                    }
                }
            }
        }
    }

    public static void PreemptionPolicy(string value, string path, Causes causes)
    {
        if (value.Length == 0)
        {
            causes.Required(path);
        }
        else if (value is not ("PreemptLowerPriority" or "Never"))
        {
            causes.NotSupported(path, value, "PreemptLowerPriority", "Never");
        }
    }

    private static void NameField(JsonObject spec, string field, string path, Causes causes, Func<string, List<string>> rule)
    {
        var value = Json.S(spec, field);
        if (value.Length != 0)
        {
            causes.InvalidEach($"{path}.{field}", value, rule(value));
        }
    }

    /// <summary>Upstream's <c>ValidateTolerations</c>.</summary>
    public static void Tolerations(JsonArray? tolerations, string path, Causes causes)
    {
        if (tolerations is null)
        {
            return;
        }

        for (var i = 0; i < tolerations.Count; i++)
        {
            var t = tolerations[i] as JsonObject ?? [];
            var at = $"{path}[{i}]";
            var key = Json.S(t, "key");
            var op = Json.S(t, "operator");
            var value = Json.S(t, "value");
            var effect = Json.S(t, "effect");
            if (key.Length > 0)
            {
                MetaValidation.LabelName(key, at + ".key", causes);
            }

            if (key.Length == 0 && op != "Exists")
            {
                causes.Invalid(at + ".operator", op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
            }

            if (Json.Has(t, "tolerationSeconds") && effect != "NoExecute")
            {
                causes.Invalid(at + ".effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set");
            }

            switch (op)
            {
                case "Equal" or "":
                    if (Formats.LabelValue(value) is { Count: > 0 } errs)
                    {
                        causes.Invalid(at + ".operator", value, string.Join(";", errs));
                    }

                    break;
                case "Exists":
                    if (value.Length > 0)
                    {
                        causes.Invalid(at + ".operator", value, "value must be empty when `operator` is 'Exists'");
                    }

                    break;
                default:
                    causes.NotSupported(at + ".operator", op, "Equal", "Exists");
                    break;
            }

            if (effect.Length > 0 && effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
            {
                causes.NotSupported(at + ".effect", effect, "NoSchedule", "PreferNoSchedule", "NoExecute");
            }
        }
    }

    private static void HostNetwork(JsonObject spec, string path, Causes causes, bool isPod)
    {
        if (Json.Bool(spec, "hostNetwork") != true)
        {
            return;
        }

        foreach (var (i, c) in Json.Items(spec, "containers"))
        {
            foreach (var (p, port) in Json.Items(c, "ports"))
            {
                var hostPort = Json.Int(port, "hostPort") ?? 0;
                var containerPort = Json.Int(port, "containerPort") ?? 0;
                if ((isPod || hostPort != 0) && hostPort != containerPort)
                {
                    causes.Invalid($"{path}.containers[{i}].ports[{p}].hostPort", hostPort, "must match `containerPort` when `hostNetwork` is true");
                }
            }
        }
    }

    private static void SecurityContext(JsonObject? context, string path, Causes causes)
    {
        if (context is null)
        {
            return;
        }

        foreach (var field in new[] { "fsGroup", "runAsUser", "runAsGroup" })
        {
            if (Json.Int(context, field) is { } id && id is < 0 or > uint.MaxValue)
            {
                causes.Invalid($"{path}.{field}", id, Formats.InclusiveRange(0, uint.MaxValue));
            }
        }

        if (Json.Arr(context, "supplementalGroups") is { } groups)
        {
            for (var g = 0; g < groups.Count; g++)
            {
                if (Json.Integer(groups[g]) is { } gid && gid is < 0 or > uint.MaxValue)
                {
                    causes.Invalid($"{path}.supplementalGroups[{g}]", gid, Formats.InclusiveRange(0, uint.MaxValue));
                }
            }
        }

        if (Json.Str(context, "fsGroupChangePolicy") is { } policy && policy is not ("Always" or "OnRootMismatch"))
        {
            causes.NotSupported(path + ".fsGroupChangePolicy", policy, "Always", "OnRootMismatch");
        }
    }

    private static void DnsConfig(JsonObject spec, string dnsPolicy, string path, Causes causes)
    {
        var config = Json.Obj(spec, "dnsConfig");
        if (dnsPolicy == "None")
        {
            if (config is null)
            {
                causes.Required(path, "must provide `dnsConfig` when `dnsPolicy` is None");
                return;
            }

            if (Json.Arr(config, "nameservers") is not { Count: > 0 })
            {
                causes.Required(path + ".nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None");
                return;
            }
        }

        if (config is null)
        {
            return;
        }

        var nameservers = Json.Strings(config, "nameservers");
        if (nameservers.Count > 3)
        {
            causes.Invalid(path + ".nameservers", new GoLiteral(Selectors.GoText.StringSliceLiteral(nameservers, false)), "must not have more than 3 nameservers");
        }

        for (var i = 0; i < nameservers.Count; i++)
        {
            if (!Formats.IsIp(nameservers[i]))
            {
                causes.Invalid($"{path}.nameservers[{i}]", nameservers[i], Formats.IpMessage);
            }
        }

        var searches = Json.Strings(config, "searches");
        if (searches.Count > 32)
        {
            causes.Invalid(path + ".searches", new GoLiteral(Selectors.GoText.StringSliceLiteral(searches, false)), "must not have more than 32 search paths");
        }

        if (string.Join(' ', searches).Length > 2048)
        {
            causes.Invalid(path + ".searches", new GoLiteral(Selectors.GoText.StringSliceLiteral(searches, false)), "must not have more than 2048 characters (including spaces) in the search list");
        }

        for (var i = 0; i < searches.Count; i++)
        {
            var search = searches[i].EndsWith('.') ? searches[i][..^1] : searches[i];
            causes.InvalidEach($"{path}.searches[{i}]", search, Names.Dns1123SubdomainErrors(search));
        }

        foreach (var (i, option) in Json.Items(config, "options"))
        {
            if (Json.S(option, "name").Length == 0)
            {
                causes.Required($"{path}.options[{i}]", "must not be empty");
            }
        }
    }

    private static void TopologySpread(JsonObject spec, string path, Causes causes)
    {
        var constraints = Json.Items(spec, "topologySpreadConstraints").ToList();
        foreach (var (i, c) in constraints)
        {
            var at = $"{path}[{i}]";
            var skew = Json.Int(c, "maxSkew") ?? 0;
            if (skew <= 0)
            {
                causes.Invalid(at + ".maxSkew", skew, "must be greater than zero");
            }

            var key = Json.S(c, "topologyKey");
            if (key.Length == 0)
            {
                causes.Required(at + ".topologyKey", "can not be empty");
            }

            var action = Json.S(c, "whenUnsatisfiable");
            if (action is not ("DoNotSchedule" or "ScheduleAnyway"))
            {
                causes.NotSupported(at + ".whenUnsatisfiable", action, "DoNotSchedule", "ScheduleAnyway");
            }

            if (constraints.Skip(i + 1).Any(o => Json.S(o.Item, "topologyKey") == key && Json.S(o.Item, "whenUnsatisfiable") == action))
            {
                causes.Duplicate(at + ".{topologyKey, whenUnsatisfiable}", $"{{{key}, {action}}}");
            }

            MetaValidation.LabelSelector(Json.Obj(c, "labelSelector"), at + ".labelSelector", causes);
        }
    }
}
