using System.Text.Json.Nodes;

namespace Kubesharp.Api.Defaulting;

/// <summary>
/// Upstream's defaulting of the built-in kinds (<c>pkg/apis/*/v1/defaults.go</c>), applied to the JSON
/// of an object on create and on update, so that stored objects look as upstream stores them. Only
/// fields that are absent are set; nothing a client sent is changed. Stateless and thread-safe.
/// </summary>
public static class Defaults
{
    /// <summary>Applies the defaults of <paramref name="group"/>/<paramref name="kind"/> in place.</summary>
    public static void Apply(string group, string kind, JsonObject obj)
    {
        switch (group, kind)
        {
            case ("", "Pod"):
                PodSpec(Object(obj, "spec"));
                break;
            case ("", "Service"):
                Service(Object(obj, "spec"));
                break;
            case ("", "ReplicationController"):
                SetIfAbsent(Object(obj, "spec"), "replicas", 1);
                Template(obj);
                break;
            case ("apps", "Deployment"):
                Deployment(Object(obj, "spec"));
                Template(obj);
                break;
            case ("apps", "ReplicaSet"):
                SetIfAbsent(Object(obj, "spec"), "replicas", 1);
                Template(obj);
                break;
            case ("apps", "StatefulSet"):
                StatefulSet(Object(obj, "spec"));
                Template(obj);
                break;
            case ("apps", "DaemonSet"):
                DaemonSet(Object(obj, "spec"));
                Template(obj);
                break;
            case ("batch", "Job"):
                Job(Object(obj, "spec"));
                Template(obj);
                break;
        }
    }

    /// <summary>The status a new pod starts with: Pending, with its QoS class.</summary>
    public static void NewPodStatus(JsonObject pod)
    {
        var status = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(pod["spec"] as JsonObject) };
        pod["status"] = status;
    }

    private static void Template(JsonObject obj)
    {
        if (obj["spec"]?["template"]?["spec"] is JsonObject podSpec)
        {
            PodSpec(podSpec);
        }
    }

    private static void PodSpec(JsonObject spec)
    {
        SetIfAbsent(spec, "restartPolicy", "Always");
        SetIfAbsent(spec, "dnsPolicy", "ClusterFirst");
        SetIfAbsent(spec, "terminationGracePeriodSeconds", 30);
        SetIfAbsent(spec, "schedulerName", "default-scheduler");
        SetIfAbsent(spec, "enableServiceLinks", true);
        SetIfAbsent(spec, "securityContext", new JsonObject());
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is JsonArray containers)
            {
                foreach (var c in containers.OfType<JsonObject>())
                {
                    Container(c);
                }
            }
        }
    }

    private static void Container(JsonObject c)
    {
        SetIfAbsent(c, "terminationMessagePath", "/dev/termination-log");
        SetIfAbsent(c, "terminationMessagePolicy", "File");
        SetIfAbsent(c, "resources", new JsonObject());
        if (c["imagePullPolicy"] is null)
        {
            c["imagePullPolicy"] = PullPolicy(c["image"]?.GetValue<string>() ?? "");
        }

        if (c["ports"] is JsonArray ports)
        {
            foreach (var p in ports.OfType<JsonObject>())
            {
                SetIfAbsent(p, "protocol", "TCP");
            }
        }
    }

    /// <summary>Upstream: <c>Always</c> for <c>:latest</c> or an untagged image, else <c>IfNotPresent</c>.</summary>
    internal static string PullPolicy(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        var lastSlash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', lastSlash + 1);
        var tag = colon < 0 ? "" : image[(colon + 1)..];
        return tag is "" or "latest" ? "Always" : "IfNotPresent";
    }

    private static void Service(JsonObject spec)
    {
        SetIfAbsent(spec, "type", "ClusterIP");
        SetIfAbsent(spec, "sessionAffinity", "None");
        if (spec["ports"] is JsonArray ports)
        {
            foreach (var p in ports.OfType<JsonObject>())
            {
                SetIfAbsent(p, "protocol", "TCP");
                if (p["targetPort"] is null && p["port"] is { } port)
                {
                    p["targetPort"] = port.DeepClone();
                }
            }
        }
    }

    private static void Deployment(JsonObject spec)
    {
        SetIfAbsent(spec, "replicas", 1);
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        SetIfAbsent(spec, "progressDeadlineSeconds", 600);
        var strategy = Object(spec, "strategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = Object(strategy, "rollingUpdate");
            SetIfAbsent(rolling, "maxUnavailable", "25%");
            SetIfAbsent(rolling, "maxSurge", "25%");
        }
    }

    private static void StatefulSet(JsonObject spec)
    {
        SetIfAbsent(spec, "replicas", 1);
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        SetIfAbsent(spec, "podManagementPolicy", "OrderedReady");
        var strategy = Object(spec, "updateStrategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            SetIfAbsent(Object(strategy, "rollingUpdate"), "partition", 0);
        }

        var retention = Object(spec, "persistentVolumeClaimRetentionPolicy");
        SetIfAbsent(retention, "whenDeleted", "Retain");
        SetIfAbsent(retention, "whenScaled", "Retain");
    }

    private static void DaemonSet(JsonObject spec)
    {
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        var strategy = Object(spec, "updateStrategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = Object(strategy, "rollingUpdate");
            SetIfAbsent(rolling, "maxUnavailable", 1);
            SetIfAbsent(rolling, "maxSurge", 0);
        }
    }

    private static void Job(JsonObject spec)
    {
        SetIfAbsent(spec, "parallelism", 1);
        SetIfAbsent(spec, "completions", 1);
        SetIfAbsent(spec, "backoffLimit", 6);
        SetIfAbsent(spec, "completionMode", "NonIndexed");
        SetIfAbsent(spec, "suspend", false);
        SetIfAbsent(spec, "podReplacementPolicy", "TerminatingOrFailed");
    }

    /// <summary>Upstream's QoS: Guaranteed when every container limits cpu and memory at its requests, BestEffort with no requests or limits at all.</summary>
    internal static string QosClass(JsonObject? spec)
    {
        var containers = (spec?["containers"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var c in containers)
        {
            var requests = c["resources"]?["requests"] as JsonObject;
            var limits = c["resources"]?["limits"] as JsonObject;
            any |= requests is { Count: > 0 } || limits is { Count: > 0 };
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var limit = limits?[resource]?.ToString();
                var request = requests?[resource]?.ToString() ?? limit;
                guaranteed &= limit is not null && request == limit;
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static JsonObject Object(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[name] = created;
        return created;
    }

    private static void SetIfAbsent(JsonObject obj, string name, JsonNode? value)
    {
        if (obj[name] is null)
        {
            obj[name] = value;
        }
    }
}
