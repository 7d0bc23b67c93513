using System.Text.Json.Nodes;

namespace Kubesharp.Api.Validation;

/// <summary>Upstream's <c>ValidateService</c> and <c>ValidateServiceUpdate</c> on JSON.</summary>
internal static class ServiceValidation
{
    private const int NodePortMin = 30000;
    private const int NodePortMax = 32767;
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

    public static void Service(JsonObject obj, Causes causes)
    {
        var spec = Json.Obj(obj, "spec") ?? [];
        var type = Json.S(spec, "type");
        var clusterIp = Json.S(spec, "clusterIP");
        var clusterIps = Json.Strings(spec, "clusterIPs");
        // Upstream's strategy copies clusterIP into clusterIPs before validating; a service that sets only
        // clusterIP is read the same way here.
        if (clusterIps.Count == 0 && clusterIp.Length != 0)
        {
            clusterIps = [clusterIp];
        }

        var headless = clusterIps is ["None"];
        var ports = Json.Items(spec, "ports").ToList();
        if (ports.Count == 0 && !headless && type != "ExternalName")
        {
            causes.Required("spec.ports");
        }

        switch (type)
        {
            case "LoadBalancer" when headless:
                causes.Invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services");
                break;
            case "NodePort" when headless:
                causes.Invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services");
                break;
            case "ExternalName":
                if (clusterIps.Count > 0)
                {
                    causes.Forbidden("spec.clusterIPs", "may not be set for ExternalName services");
                }

                if (Json.Arr(spec, "ipFamilies") is { Count: > 0 })
                {
                    causes.Forbidden("spec.ipFamilies", "may not be set for ExternalName services");
                }

                if (Json.Has(spec, "ipFamilyPolicy"))
                {
                    causes.Forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services");
                }

                var cname = Json.S(spec, "externalName");
                cname = cname.EndsWith('.') ? cname[..^1] : cname;
                if (cname.Length > 0)
                {
                    causes.InvalidEach("spec.externalName", cname, Names.Dns1123SubdomainErrors(cname));
                }
                else
                {
                    causes.Required("spec.externalName");
                }

                break;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in ports)
        {
            Port(port, ports.Count > 1, names, $"spec.ports[{i}]", causes);
        }

        if (Json.Obj(spec, "selector") is not null)
        {
            MetaValidation.Labels(Json.StringMap(spec, "selector"), "spec.selector", causes);
        }

        var affinity = Json.S(spec, "sessionAffinity");
        if (affinity.Length == 0)
        {
            causes.Required("spec.sessionAffinity");
        }
        else if (affinity is not ("ClientIP" or "None"))
        {
            causes.NotSupported("spec.sessionAffinity", affinity, "ClientIP", "None");
        }

        if (affinity == "ClientIP")
        {
            var timeout = Json.Int(Json.Obj(Json.Obj(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds");
            if (timeout is { } t && t is <= 0 or > 86400)
            {
                causes.Invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, "must be greater than 0 and less than 86400");
            }
        }
        else if (affinity == "None" && Json.Has(spec, "sessionAffinityConfig"))
        {
            causes.Forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None");
        }

        if (type != "ExternalName")
        {
            ClusterIps(spec, clusterIp, clusterIps, causes);
        }

        foreach (var (ip, i) in Json.Strings(spec, "externalIPs").Select((ip, i) => (ip, i)))
        {
            if (!Formats.IsIp(ip))
            {
                causes.Invalid($"spec.externalIPs[{i}]", ip, Formats.IpMessage);
            }
        }

        if (type.Length == 0)
        {
            causes.Required("spec.type");
        }
        else if (!Types.Contains(type))
        {
            causes.NotSupported("spec.type", type, Types);
        }

        foreach (var (i, port) in ports)
        {
            var nodePort = Json.Int(port, "nodePort") ?? 0;
            if (type == "ClusterIP" && nodePort != 0)
            {
                causes.Forbidden($"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'");
            }
            else if (type is "NodePort" or "LoadBalancer" && nodePort != 0 && nodePort is < NodePortMin or > NodePortMax)
            {
                // Upstream's node port allocator answers this (also 422), with the cluster's range: here k3s's default.
                causes.Invalid($"spec.ports[{i}].nodePort", nodePort, $"provided port is not in the valid range. The range of valid ports is {NodePortMin}-{NodePortMax}");
            }
        }

        var nodePorts = new HashSet<string>(StringComparer.Ordinal);
        var portKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in ports)
        {
            var protocol = Json.S(port, "protocol");
            var nodePort = Json.Int(port, "nodePort") ?? 0;
            if (nodePort != 0 && !nodePorts.Add($"{protocol}/{nodePort}"))
            {
                causes.Duplicate($"spec.ports[{i}].nodePort", nodePort);
            }

            var number = Json.Int(port, "port") ?? 0;
            if (!portKeys.Add($"{protocol}/{number}"))
            {
                causes.Duplicate($"spec.ports[{i}]", new GoLiteral($"core.ServicePort{{Name:\"\", Protocol:{Selectors.GoText.Quote(protocol)}, AppProtocol:(*string)(nil), Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"));
            }
        }

        if (Json.Arr(spec, "loadBalancerSourceRanges") is { Count: > 0 } ranges)
        {
            if (type != "LoadBalancer")
            {
                causes.Forbidden("spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'");
            }

            for (var i = 0; i < ranges.Count; i++)
            {
                var value = (ranges[i]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? ranges[i]!.GetValue<string>() : "").Trim();
                if (!Formats.IsCidr(value))
                {
                    causes.Invalid($"spec.LoadBalancerSourceRanges[{i}]", value, Formats.CidrMessage);
                }
            }
        }

        if (Json.Has(spec, "allocateLoadBalancerNodePorts") && type != "LoadBalancer")
        {
            causes.Forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'");
        }

        if (type == "LoadBalancer" && !Json.Has(spec, "allocateLoadBalancerNodePorts"))
        {
            // Upstream's path lacks "spec." here.
            causes.Required("allocateLoadBalancerNodePorts");
        }

        if (Json.Str(spec, "loadBalancerClass") is { } lbClass)
        {
            if (type == "LoadBalancer")
            {
                causes.InvalidEach("spec.loadBalancerClass", lbClass, Formats.QualifiedName(lbClass));
            }
            else
            {
                causes.Forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'");
            }
        }

        ExternalTrafficPolicy(spec, type, causes);
        var internalPolicy = Json.Str(spec, "internalTrafficPolicy");
        if (internalPolicy is null && type is "NodePort" or "LoadBalancer" or "ClusterIP")
        {
            causes.Required("spec.internalTrafficPolicy");
        }
        else if (internalPolicy is not null and not ("Cluster" or "Local"))
        {
            causes.NotSupported("spec.internalTrafficPolicy", internalPolicy, "Cluster", "Local");
        }

        if (Json.Str(spec, "trafficDistribution") is { } distribution && distribution != "PreferClose")
        {
            causes.NotSupported("spec.trafficDistribution", distribution, "PreferClose");
        }
    }

    private static void Port(JsonObject port, bool requireName, HashSet<string> names, string at, Causes causes)
    {
        var name = Json.S(port, "name");
        if (requireName && name.Length == 0)
        {
            causes.Required(at + ".name");
        }
        else if (name.Length != 0)
        {
            causes.InvalidEach(at + ".name", name, Names.Dns1123LabelErrors(name));
            if (!names.Add(name))
            {
                causes.Duplicate(at + ".name", name);
            }
        }

        var number = Json.Int(port, "port") ?? 0;
        causes.InvalidEach(at + ".port", number, Formats.PortNumber(number));
        PodValidation.Protocol(Json.S(port, "protocol"), at + ".protocol", causes);
        PodValidation.PortNumOrName(port, "targetPort", at, causes);
        if (Json.Str(port, "appProtocol") is { } appProtocol)
        {
            causes.InvalidEach(at + ".appProtocol", appProtocol, Formats.QualifiedName(appProtocol));
        }

    }

    private static void ClusterIps(JsonObject spec, string clusterIp, List<string> clusterIps, Causes causes)
    {
        var explicitIps = Json.Strings(spec, "clusterIPs");
        var ipsLiteral = new GoLiteral(Selectors.GoText.StringSliceLiteral(explicitIps, false));
        if (clusterIp.Length != 0 && explicitIps.Count > 0 && explicitIps[0] != clusterIp)
        {
            causes.Invalid("spec.clusterIPs", ipsLiteral, "first value must match `clusterIP`");
        }
        else if (clusterIp.Length == 0 && explicitIps.Count != 0)
        {
            causes.Invalid("spec.clusterIPs", ipsLiteral, "must be empty when `clusterIP` is not specified");
        }

        var families = Json.Strings(spec, "ipFamilies");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < families.Count; i++)
        {
            if (families[i] is not ("IPv4" or "IPv6"))
            {
                causes.NotSupported($"spec.ipFamilies[{i}]", families[i], "IPv4", "IPv6");
            }

            if (!seen.Add(families[i]))
            {
                causes.Duplicate($"spec.ipFamilies[{i}]", families[i]);
            }
        }

        if (Json.Str(spec, "ipFamilyPolicy") is { } policy && policy is not ("PreferDualStack" or "RequireDualStack" or "SingleStack"))
        {
            causes.NotSupported("spec.ipFamilyPolicy", policy, "PreferDualStack", "RequireDualStack", "SingleStack");
        }

        for (var i = 0; i < clusterIps.Count; i++)
        {
            if (i == 0 && clusterIps[i] == "None")
            {
                if (clusterIps.Count > 1)
                {
                    causes.Invalid("spec.clusterIPs", ipsLiteral, "'None' must be the first and only value");
                }

                continue;
            }

            if (!Formats.IsIp(clusterIps[i]))
            {
                causes.Invalid($"spec.clusterIPs[{i}]", clusterIps[i], Formats.IpMessage);
            }
        }

        if (clusterIps.Count > 2)
        {
            causes.Invalid("spec.clusterIPs", ipsLiteral, "may only hold up to 2 values");
        }
    }

    private static void ExternalTrafficPolicy(JsonObject spec, string type, Causes causes)
    {
        var policy = Json.S(spec, "externalTrafficPolicy");
        var external = type is "NodePort" or "LoadBalancer" || Json.Arr(spec, "externalIPs") is { Count: > 0 };
        if (!external)
        {
            if (policy.Length != 0)
            {
                causes.Invalid("spec.externalTrafficPolicy", policy, "may only be set for externally-accessible services");
            }
        }
        else if (policy.Length == 0)
        {
            causes.Required("spec.externalTrafficPolicy");
        }
        else if (policy is not ("Cluster" or "Local"))
        {
            causes.NotSupported("spec.externalTrafficPolicy", policy, "Cluster", "Local");
        }

        var healthCheck = Json.Int(spec, "healthCheckNodePort") ?? 0;
        var needsHealthCheck = type == "LoadBalancer" && policy == "Local";
        if (!needsHealthCheck && healthCheck != 0)
        {
            causes.Invalid("spec.healthCheckNodePort", healthCheck, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
        }
    }

    /// <summary>Upstream's <c>validateUpgradeDowngradeClusterIPs</c> in its simplest case: set cluster IPs never change.</summary>
    public static void Update(JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        var oldSpec = Json.Obj(oldObj, "spec");
        var newSpec = Json.Obj(newObj, "spec");
        if (Json.S(oldSpec, "type") == "ExternalName" || Json.S(newSpec, "type") == "ExternalName")
        {
            return;
        }

        var oldIps = IpsOf(oldSpec);
        var newIps = IpsOf(newSpec);
        if (oldIps is ["None"] && newIps is ["None"])
        {
            return;
        }

        var literal = new GoLiteral(Selectors.GoText.StringSliceLiteral(newIps, newIps.Count == 0));
        if (oldIps.Count == newIps.Count)
        {
            for (var i = 0; i < oldIps.Count; i++)
            {
                if (oldIps[i] != newIps[i])
                {
                    causes.Invalid($"spec.clusterIPs[{i}]", literal, "may not change once set");
                }
            }
        }
        else if (oldIps.Count > newIps.Count)
        {
            if (newIps.Count == 0)
            {
                causes.Invalid("spec.clusterIPs[0]", literal, "primary clusterIP can not be unset");
            }
            else if (newIps[0] != oldIps[0])
            {
                causes.Invalid("spec.clusterIPs[0]", literal, "may not change once set");
            }
        }
        else if (oldIps.Count > 0 && newIps[0] != oldIps[0])
        {
            causes.Invalid("spec.clusterIPs[0]", literal, "may not change once set");
        }
    }

    private static List<string> IpsOf(JsonObject? spec)
    {
        var ips = Json.Strings(spec, "clusterIPs");
        var ip = Json.S(spec, "clusterIP");
        return ips.Count == 0 && ip.Length != 0 ? [ip] : ips;
    }
}
