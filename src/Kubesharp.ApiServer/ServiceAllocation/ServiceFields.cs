using System.Text.Json.Nodes;

namespace Kubesharp.ApiServer.ServiceAllocation;

/// <summary>Reads and writes the allocated fields of a Service's JSON (absent = Go's zero value, and zero is written as absent).</summary>
internal static class ServiceFields
{
    public static JsonObject Spec(JsonObject svc)
    {
        if (svc["spec"] is not JsonObject spec)
        {
            spec = [];
            svc["spec"] = spec;
        }

        return spec;
    }

    public static string Type(JsonObject spec) => Str(spec, "type") ?? "ClusterIP";

    public static string? Str(JsonObject? obj, string name) =>
        obj?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static int Int(JsonObject? obj, string name) =>
        obj?[name] is JsonValue v && v.TryGetValue<int>(out var i) ? i : 0;

    public static List<string> Strings(JsonObject spec, string name) =>
        spec[name] is JsonArray a ? [.. a.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "")] : [];

    public static void SetStrings(JsonObject spec, string name, IReadOnlyList<string>? values)
    {
        if (values is null || values.Count == 0)
        {
            spec.Remove(name);
            return;
        }

        spec[name] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
    }

    public static void SetString(JsonObject spec, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            spec.Remove(name);
            return;
        }

        spec[name] = value;
    }

    public static void SetInt(JsonObject obj, string name, int value)
    {
        if (value == 0)
        {
            obj.Remove(name);
            return;
        }

        obj[name] = value;
    }

    public static List<JsonObject> Ports(JsonObject spec) => spec["ports"] is JsonArray a ? [.. a.OfType<JsonObject>()] : [];

    public static string Protocol(JsonObject port) => Str(port, "protocol") ?? "TCP";

    /// <summary>Upstream's needsClusterIP: every type but ExternalName (a headless "None" counts as a value).</summary>
    public static bool NeedsClusterIp(JsonObject spec) => Type(spec) != "ExternalName";

    public static bool NeedsNodePort(JsonObject spec) => Type(spec) is "NodePort" or "LoadBalancer";

    /// <summary>Upstream's shouldAllocateNodePorts: NodePort, or LoadBalancer unless allocateLoadBalancerNodePorts is false.</summary>
    public static bool ShouldAllocateNodePorts(JsonObject spec) => Type(spec) switch
    {
        "NodePort" => true,
        "LoadBalancer" => spec["allocateLoadBalancerNodePorts"] is not JsonValue v || !v.TryGetValue<bool>(out var allocate) || allocate,
        _ => false,
    };

    /// <summary>Upstream's NeedsHealthCheck: a LoadBalancer with externalTrafficPolicy Local.</summary>
    public static bool NeedsHealthCheck(JsonObject spec) => Type(spec) == "LoadBalancer" && Str(spec, "externalTrafficPolicy") == "Local";

    public static bool IsHeadless(JsonObject spec) => Strings(spec, "clusterIPs") is ["None"] || Str(spec, "clusterIP") == "None";

    public static List<int> NodePorts(JsonObject spec) => [.. Ports(spec).Select(p => Int(p, "nodePort")).Where(n => n != 0)];
}
