using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// What upstream's typed decoding refuses before any validation runs: a malformed resource quantity. Upstream
/// answers it with 400 BadRequest, "&lt;Kind&gt; in version "&lt;version&gt;" cannot be handled as a &lt;Kind&gt;: &lt;error&gt;",
/// naming only the first bad value, not with a 422.
/// </summary>
internal static class DecodeCheck
{
    private static readonly string[] LimitFields = ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"];

    /// <summary>Throws 400 BadRequest with upstream's message for the first quantity of <paramref name="obj"/> that does not parse.</summary>
    public static void ThrowIfUndecodable(string group, string kind, JsonObject obj)
    {
        if (FirstError(group, kind, obj) is not { } error)
        {
            return;
        }

        var apiVersion = Json.S(obj, "apiVersion");
        var version = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..] : apiVersion;
        throw StatusException.BadRequest($"{kind} in version \"{version}\" cannot be handled as a {kind}: {error}");
    }

    /// <summary>Upstream's decoding error for the first malformed quantity, or null.</summary>
    public static string? FirstError(string group, string kind, JsonObject obj)
    {
        var spec = Json.Obj(obj, "spec");
        return (group, kind) switch
        {
            ("", "Pod") => PodSpec(spec),
            ("", "ReplicationController") or ("apps", "Deployment" or "ReplicaSet" or "DaemonSet") or ("batch", "Job") => PodSpec(Json.Obj(Json.Obj(spec, "template"), "spec")),
            ("apps", "StatefulSet") => PodSpec(Json.Obj(Json.Obj(spec, "template"), "spec"))
                ?? Json.Items(spec, "volumeClaimTemplates").Select(c => Requirements(Json.Obj(Json.Obj(c.Item, "spec"), "resources"))).FirstOrDefault(e => e is not null),
            ("batch", "CronJob") => PodSpec(Json.Obj(Json.Obj(Json.Obj(Json.Obj(spec, "jobTemplate"), "spec"), "template"), "spec")),
            ("", "PersistentVolumeClaim") => Requirements(Json.Obj(spec, "resources")) ?? List(Json.Obj(Json.Obj(obj, "status"), "capacity")),
            ("", "PersistentVolume") => List(Json.Obj(spec, "capacity")),
            ("", "Node") => List(Json.Obj(Json.Obj(obj, "status"), "capacity")) ?? List(Json.Obj(Json.Obj(obj, "status"), "allocatable")),
            ("", "ResourceQuota") => List(Json.Obj(spec, "hard")),
            ("", "LimitRange") => Json.Items(spec, "limits").Select(l => LimitFields
                .Select(f => List(Json.Obj(l.Item, f))).FirstOrDefault(e => e is not null)).FirstOrDefault(e => e is not null),
            _ => null,
        };
    }

    private static string? PodSpec(JsonObject? spec)
    {
        if (spec is null)
        {
            return null;
        }

        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            foreach (var (_, c) in Json.Items(spec, list))
            {
                if (Requirements(Json.Obj(c, "resources")) is { } error)
                {
                    return error;
                }

                foreach (var (_, env) in Json.Items(c, "env"))
                {
                    if (Json.Obj(Json.Obj(env, "valueFrom"), "resourceFieldRef")?["divisor"] is { } divisor && One(divisor) is { } divisorError)
                    {
                        return divisorError;
                    }
                }
            }
        }

        foreach (var (_, volume) in Json.Items(spec, "volumes"))
        {
            if (Json.Obj(volume, "emptyDir")?["sizeLimit"] is { } size && One(size) is { } sizeError)
            {
                return sizeError;
            }
        }

        return List(Json.Obj(spec, "overhead")) ?? Requirements(Json.Obj(spec, "resources"));
    }

    private static string? Requirements(JsonObject? resources) =>
        List(Json.Obj(resources, "limits")) ?? List(Json.Obj(resources, "requests"));

    private static string? List(JsonObject? list)
    {
        if (list is null)
        {
            return null;
        }

        foreach (var (_, value) in list)
        {
            if (value is not null && One(value) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static string? One(JsonNode? node) =>
        node is null || ResourceValidation.TryRead(node, out _, out var error) ? null : error;
}
